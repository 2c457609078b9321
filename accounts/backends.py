"""Sign-in by email and password, with permissions that follow the user's role."""

from allauth.account.auth_backends import AuthenticationBackend

from accounts.roles import role_permissions


class RolePermissionBackend(AuthenticationBackend):
    """allauth's email and password sign-in; permissions come from the role alone.

    Groups and per-user permissions are ignored, so a row granted in the database can never
    widen what a role allows: USER has none, ADMIN those of the shop's apps, SUPER_ADMIN all.
    """

    def get_user_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return set(role_permissions(user_obj.role))

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    async def aget_user_permissions(self, user_obj, obj=None):
        return self.get_user_permissions(user_obj, obj)

    async def aget_group_permissions(self, user_obj, obj=None):
        return set()

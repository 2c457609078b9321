"""Permissions derived from the user's role, so they change the moment the role does."""

import functools

from django.apps import apps
from django.contrib.auth.backends import ModelBackend

from accounts.models import UserRole

# ADMIN runs the shop: catalog, carts, orders (refunds, fulfilment) and the webhook log,
# but never sees users, roles, groups or permissions.
ADMIN_APP_LABELS = ("catalog", "cart", "orders", "payments")


class RolePermissionBackend(ModelBackend):
    """Email/password authentication plus role-based permissions."""

    def get_all_permissions(self, user_obj, obj=None):
        if user_obj.is_active and not user_obj.is_anonymous and obj is None and user_obj.role == UserRole.ADMIN:
            return set(admin_role_permissions())
        return super().get_all_permissions(user_obj, obj)


@functools.cache
def admin_role_permissions():
    """Return every permission of the shop's own apps, as "app_label.codename" strings."""
    permissions = set()
    for app_label in ADMIN_APP_LABELS:
        for model in apps.get_app_config(app_label).get_models():
            opts = model._meta
            permissions.update(f"{app_label}.{action}_{opts.model_name}" for action in opts.default_permissions)
            permissions.update(f"{app_label}.{codename}" for codename, _ in opts.permissions)
    return frozenset(permissions)

class RoleChangeForbidden(Exception):
    """The user asking may not give this role."""

    code = "role_change_forbidden"
    message = "Only a super admin can change a role."

    def __str__(self):
        return self.message


class LastSuperAdmin(RoleChangeForbidden):
    """The change would leave the shop without an active super admin."""

    code = "last_super_admin"
    message = "This is the last super admin: make another super admin first."

"""The role is the source of truth for staff access: flags follow it on every save."""

from accounts.models import UserRole

STAFF_ROLES = frozenset({UserRole.ADMIN, UserRole.SUPER_ADMIN})


def apply_role_flags(user):
    """Set is_staff and is_superuser from the user's role."""
    user.is_staff = user.role in STAFF_ROLES
    user.is_superuser = user.role == UserRole.SUPER_ADMIN

"""The role is the source of truth for staff access: permissions follow it (flags: User.apply_role_flags)."""

import functools

from django.apps import apps

from accounts.exceptions import LastSuperAdmin, RoleChangeForbidden
from accounts.models import User, UserRole

# ADMIN runs the shop: catalog, prices and stock, carts, orders (refunds, fulfilment), subscriptions, the
# webhook log, the shop's pages and its background work (tasks, outgoing emails), but never sees users,
# roles, groups, permissions or linked accounts.
ADMIN_APP_LABELS = ("catalog", "cart", "orders", "subscriptions", "payments", "pages", "inventory", "jobs")


def can_change_roles(user):
    """Return True when `user` may give roles to others (an active SUPER_ADMIN)."""
    return user is not None and user.is_authenticated and user.is_active and user.role == UserRole.SUPER_ADMIN


def is_last_super_admin(user):
    """Return True when no other active SUPER_ADMIN exists besides `user`."""
    return not User.objects.filter(role=UserRole.SUPER_ADMIN, is_active=True).exclude(pk=user.pk).exists()


def check_role_change(*, user, new_role, changed_by):
    """Raise RoleChangeForbidden unless `changed_by` may give `user` the role `new_role`.

    `user.role` must still hold the stored role (the default one for a new user).
    """
    if new_role == user.role:
        return
    if not can_change_roles(changed_by):
        raise RoleChangeForbidden()
    check_super_admin_remains(user=user)


def check_super_admin_remains(*, user):
    """Raise LastSuperAdmin when demoting, deactivating or deleting `user` would leave no super admin."""
    if user.pk is not None and user.role == UserRole.SUPER_ADMIN and is_last_super_admin(user):
        raise LastSuperAdmin()


def role_permissions(role):
    """Return the "app_label.codename" permissions that `role` grants."""
    if role == UserRole.SUPER_ADMIN:
        return _model_permissions(None)
    if role == UserRole.ADMIN:
        return _model_permissions(ADMIN_APP_LABELS)
    return frozenset()


@functools.cache
def _model_permissions(app_labels):
    configs = apps.get_app_configs() if app_labels is None else map(apps.get_app_config, app_labels)
    permissions = set()
    for config in configs:
        for model in config.get_models():
            opts = model._meta
            label = opts.app_label
            permissions.update(f"{label}.{action}_{opts.model_name}" for action in opts.default_permissions)
            permissions.update(f"{label}.{codename}" for codename, _ in opts.permissions)
    return frozenset(permissions)

"""The role is the source of truth: staff flags and permissions follow it whenever it changes."""

import pytest

from accounts.exceptions import LastSuperAdmin, RoleChangeForbidden
from accounts.models import User, UserRole
from accounts.roles import check_role_change
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "is_staff", "is_superuser"),
    [(UserRole.USER, False, False), (UserRole.ADMIN, True, False), (UserRole.SUPER_ADMIN, True, True)],
)
def test_flags_follow_the_role_on_every_save_even_a_partial_one(role, is_staff, is_superuser):
    user = factories.UserFactory(role=UserRole.SUPER_ADMIN if role == UserRole.USER else UserRole.USER)

    user.role = role
    user.save(update_fields=["role"])

    stored = User.objects.get(pk=user.pk)
    assert (stored.is_staff, stored.is_superuser) == (is_staff, is_superuser)


def test_permissions_follow_the_role():
    user = factories.UserFactory()
    assert not user.has_perm("catalog.view_product")
    assert not user.has_module_perms("orders")

    user.role = UserRole.ADMIN
    user.save()
    user = User.objects.get(pk=user.pk)  # a fresh object, as on the next request
    assert user.has_perms(
        [
            "catalog.add_price",
            "orders.change_order",
            "orders.change_refund",
            "payments.view_webhookevent",
            "cart.delete_cart",
        ]
    )
    assert not user.has_perm("accounts.view_user")
    assert not user.has_perm("socialaccount.view_socialaccount")
    assert not user.has_perm("auth.change_permission")
    assert not user.has_module_perms("accounts")

    user.role = UserRole.SUPER_ADMIN
    user.save()
    user = User.objects.get(pk=user.pk)
    assert user.has_perm("accounts.change_user")


def test_an_inactive_admin_has_no_permissions():
    user = factories.AdminFactory(is_active=False)

    assert not user.has_perm("catalog.view_product")
    assert user.get_all_permissions() == set()


def test_only_a_super_admin_changes_a_role():
    target = factories.UserFactory()

    for changed_by in (None, factories.UserFactory(), factories.AdminFactory(), target):
        with pytest.raises(RoleChangeForbidden, match=r"Only a super admin can change a role\."):
            check_role_change(user=target, new_role=UserRole.ADMIN, changed_by=changed_by)
    check_role_change(user=target, new_role=UserRole.ADMIN, changed_by=factories.SuperAdminFactory())
    check_role_change(user=target, new_role=UserRole.USER, changed_by=target)


def test_the_last_active_super_admin_cannot_step_down():
    super_admin = factories.SuperAdminFactory()
    factories.SuperAdminFactory(is_active=False)

    with pytest.raises(LastSuperAdmin):
        check_role_change(user=super_admin, new_role=UserRole.USER, changed_by=super_admin)

    factories.SuperAdminFactory()
    check_role_change(user=super_admin, new_role=UserRole.USER, changed_by=super_admin)

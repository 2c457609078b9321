"""Only a SUPER_ADMIN changes roles; every other attempt is refused and changes nothing."""

from http import HTTPStatus

import pytest
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import reverse

from accounts.exceptions import LastSuperAdmin
from accounts.models import User, UserRole
from tests import factories
from tests.accounts.admin_pages import admin_url, form_data

pytestmark = pytest.mark.django_db


def change_user(client, user, **changes):
    """Submit the admin change form of `user` as the signed-in browser would, with `changes`."""
    page = client.get(admin_url(User, "change", user))
    return client.post(admin_url(User, "change", user), form_data(page) | changes, follow=True)


def messages_on(response):
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize("target", ["self", "someone else"])
def test_an_admin_posting_a_role_change_to_admin_is_refused(client, target):
    admin_user = factories.AdminFactory()
    user = admin_user if target == "self" else factories.UserFactory()
    client.force_login(admin_user)

    response = client.post(
        admin_url(User, "change", user),
        {"email": user.email, "role": UserRole.SUPER_ADMIN, "is_active": "on"},
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    user.refresh_from_db()
    assert (user.role, user.is_superuser) == (UserRole.ADMIN if target == "self" else UserRole.USER, False)


def test_an_admin_cannot_add_a_super_admin_through_admin(client):
    client.force_login(factories.AdminFactory())

    response = client.post(
        admin_url(User, "add"),
        {"email": "new@example.com", "role": UserRole.SUPER_ADMIN, "usable_password": "false"},
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not User.objects.filter(email="new@example.com").exists()


def test_a_user_posting_to_admin_is_sent_to_the_admin_sign_in(client):
    user = factories.UserFactory()
    client.force_login(user)

    response = client.post(
        admin_url(User, "change", user), {"email": user.email, "role": UserRole.SUPER_ADMIN}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("admin:login"))
    user.refresh_from_db()
    assert user.role == UserRole.USER


def test_granted_groups_and_permissions_do_not_widen_a_role(client):
    """Only the role counts: rows in user_permissions or a group give an ADMIN nothing more."""
    admin_user = factories.AdminFactory()
    user_permissions = Permission.objects.filter(content_type__app_label="accounts")
    admin_user.user_permissions.set(user_permissions)
    group = Group.objects.create(name="user managers")
    group.permissions.set(user_permissions)
    admin_user.groups.add(group)
    client.force_login(admin_user)

    response = client.get(admin_url(User, "changelist"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not admin_user.has_perm("accounts.change_user")
    assert admin_user.has_perm("catalog.change_product")


def test_a_super_admin_promotes_a_user_to_admin_who_then_runs_the_shop_but_not_users(client):
    shopper = factories.UserFactory()
    client.force_login(factories.SuperAdminFactory())

    response = change_user(client, shopper, role=UserRole.ADMIN)

    assert response.status_code == 200
    shopper.refresh_from_db()
    assert (shopper.role, shopper.is_staff, shopper.is_superuser) == (UserRole.ADMIN, True, False)
    client.force_login(shopper)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(admin_url(User, "changelist")).status_code == HTTPStatus.FORBIDDEN


def test_the_role_decides_the_staff_flags_not_the_form(client):
    shopper = factories.UserFactory()
    client.force_login(factories.SuperAdminFactory())

    change_user(client, shopper, is_staff="on", is_superuser="on")

    shopper.refresh_from_db()
    assert (shopper.role, shopper.is_staff, shopper.is_superuser) == (UserRole.USER, False, False)


def test_the_last_super_admin_cannot_step_down(client):
    super_admin = factories.SuperAdminFactory()
    client.force_login(super_admin)

    response = change_user(client, super_admin, role=UserRole.ADMIN)

    assert "This is the last super admin: make another super admin first." in response.text
    super_admin.refresh_from_db()
    assert (super_admin.role, super_admin.is_superuser) == (UserRole.SUPER_ADMIN, True)


def test_a_super_admin_can_step_down_when_another_remains(client):
    super_admin = factories.SuperAdminFactory()
    factories.SuperAdminFactory()
    client.force_login(super_admin)

    change_user(client, super_admin, role=UserRole.ADMIN)

    super_admin.refresh_from_db()
    assert (super_admin.role, super_admin.is_superuser, super_admin.is_staff) == (UserRole.ADMIN, False, True)


def test_the_last_super_admin_cannot_be_deactivated(client):
    super_admin = factories.SuperAdminFactory()
    client.force_login(super_admin)
    data = form_data(client.get(admin_url(User, "change", super_admin)))
    del data["is_active"]

    response = client.post(admin_url(User, "change", super_admin), data)

    assert "This is the last super admin" in response.text
    super_admin.refresh_from_db()
    assert super_admin.is_active


def test_the_last_super_admin_cannot_be_deleted(client):
    super_admin = factories.SuperAdminFactory()
    client.force_login(super_admin)

    response = client.post(admin_url(User, "delete", super_admin), {"post": "yes"}, follow=True)

    assert "This is the last super admin: make another super admin first." in messages_on(response)
    assert User.objects.filter(pk=super_admin.pk).exists()


def test_users_are_not_deleted_in_bulk(client):
    client.force_login(factories.SuperAdminFactory())

    page = client.get(admin_url(User, "changelist"))

    assert page.status_code == 200
    assert 'value="delete_selected"' not in page.text


def test_a_super_admin_deletes_a_user_through_admin(client):
    shopper = factories.UserFactory()
    SocialAccount.objects.create(user=shopper, provider="google", uid="1")
    client.force_login(factories.SuperAdminFactory())

    client.post(admin_url(User, "delete", shopper), {"post": "yes"})

    assert not User.objects.filter(pk=shopper.pk).exists()
    assert not SocialAccount.objects.exists()


def test_stored_tokens_are_never_shown_in_admin(client):
    account = SocialAccount.objects.create(user=factories.UserFactory(), provider="github", uid="2")
    token = SocialToken.objects.create(
        account=account, token="gho_do_not_show", token_secret="refresh_do_not_show"
    )
    client.force_login(factories.SuperAdminFactory())

    pages = [
        client.get(admin_url(SocialToken, "changelist")),
        client.get(admin_url(SocialToken, "change", token)),
    ]

    for page in pages:
        assert page.status_code == 200
        assert "do_not_show" not in page.text


def test_the_user_admin_offers_no_groups_or_permissions(client):
    client.force_login(factories.SuperAdminFactory())

    page = client.get(admin_url(User, "change", factories.UserFactory()))

    fields = page.context["adminform"].form.fields
    assert "role" in fields
    assert not {"groups", "user_permissions", "is_superuser", "is_staff"} & set(fields)


def test_a_super_admin_adds_an_admin_through_admin(client):
    client.force_login(factories.SuperAdminFactory())
    password = "staff-Passphrase-2026"

    response = client.post(
        admin_url(User, "add"),
        {
            "email": "staff@example.com",
            "name": "New Staff",
            "role": UserRole.ADMIN,
            "usable_password": "true",
            "password1": password,
            "password2": password,
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    staff = User.objects.get(email="staff@example.com")
    assert (staff.role, staff.is_staff, staff.is_superuser) == (UserRole.ADMIN, True, False)
    assert staff.check_password(password)


def validated_role_change(client, *, user, role, changed_by):
    """Return the admin, request and validated change form of `changed_by` giving `user` the `role`."""
    client.force_login(changed_by)
    data = form_data(client.get(admin_url(User, "change", user))) | {"role": role}
    request = RequestFactory().post(admin_url(User, "change", user), data)
    request.user = changed_by
    model_admin = admin.site.get_model_admin(User)
    form = model_admin.get_form(request, user)(data, instance=User.objects.get(pk=user.pk))
    assert form.is_valid(), form.errors
    return model_admin, request, form


def test_two_super_admins_demoting_each_other_at_once_leave_one(client):
    first, second = factories.SuperAdminFactory(), factories.SuperAdminFactory()
    # Both forms validated while the other was still a super admin, as two requests racing would.
    changes = [
        validated_role_change(client, user=second, role=UserRole.ADMIN, changed_by=first),
        validated_role_change(client, user=first, role=UserRole.ADMIN, changed_by=second),
    ]

    refused = []
    for model_admin, request, form in changes:
        try:
            model_admin.save_model(request, form.save(commit=False), form, change=True)
        except LastSuperAdmin:
            refused.append(form.instance)

    assert User.objects.filter(role=UserRole.SUPER_ADMIN, is_active=True).count() == 1
    assert refused == [first]

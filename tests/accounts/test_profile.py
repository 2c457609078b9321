"""The profile page: name, email and avatar; a role can never be raised from it."""

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from accounts.models import UserRole
from tests import factories

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")


def test_signing_in_is_required(client):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_shows_name_email_and_avatar_with_alt_text(client):
    user = factories.UserFactory(name="Ada Lovelace", image="https://images.example.com/ada.png")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.force_login(user)

    page = client.get(PROFILE).text

    assert "Ada Lovelace" in page
    assert user.email in page
    assert '<img class="avatar" src="https://images.example.com/ada.png" alt="Avatar of Ada Lovelace"' in page
    assert "Verified" in page


def test_shows_initials_without_an_avatar(client):
    client.force_login(factories.UserFactory(name="Grace Brewster Hopper", image=""))

    page = client.get(PROFILE).text

    assert ">GB</span>" in page
    assert 'aria-label="Avatar of Grace Brewster Hopper"' in page


def test_lists_the_ways_to_sign_in(client):
    user = factories.UserFactory()
    SocialAccount.objects.create(user=user, provider="github", uid="1")
    client.force_login(user)

    page = client.get(PROFILE).text

    assert "Email and password, GitHub" in page


def test_saves_name_and_avatar(client):
    user = factories.UserFactory(name="Old Name")
    client.force_login(user)

    response = client.post(
        PROFILE, {"name": "New Name", "image": "https://images.example.com/me.png"}, follow=True
    )

    assert "Your profile was saved." in [str(message) for message in response.context["messages"]]
    user.refresh_from_db()
    assert (user.name, user.image) == ("New Name", "https://images.example.com/me.png")


@pytest.mark.parametrize(
    ("image", "error"),
    [
        ("http://images.example.com/me.png", "Use an address that starts with https://."),
        ("javascript:alert(1)", "Enter a valid URL."),
    ],
)
def test_refuses_an_avatar_that_is_not_https(client, image, error):
    user = factories.UserFactory(name="Kept", image="")
    client.force_login(user)

    response = client.post(PROFILE, {"name": "Changed", "image": image})

    assert response.status_code == 200
    assert error in response.text
    user.refresh_from_db()
    assert (user.name, user.image) == ("Kept", "")


@pytest.mark.parametrize("role", [UserRole.USER, UserRole.ADMIN])
@pytest.mark.parametrize(
    "escalation",
    [{"role": UserRole.SUPER_ADMIN}, {"is_superuser": "on"}, {"is_staff": "on", "role": UserRole.ADMIN}],
    ids=["role", "is_superuser", "is_staff"],
)
def test_a_posted_role_or_staff_flag_is_refused_and_changes_nothing(client, role, escalation):
    user = factories.UserFactory(role=role, name="Kept")
    client.force_login(user)

    response = client.post(PROFILE, {"name": "Changed", "image": ""} | escalation)

    assert response.status_code == 200
    assert "Roles cannot be changed here: only a super admin can change a role." in response.text
    user.refresh_from_db()
    assert (user.role, user.name, user.is_superuser, user.is_staff) == (
        role,
        "Kept",
        False,
        role == UserRole.ADMIN,
    )

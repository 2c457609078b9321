"""Sign up, sign in and out, email verification, password change and reset, email management."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.urls import reverse

from accounts.models import User, UserRole
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-Quite-long-Passphrase-42"


def signup(client, follow=False, **fields):
    return client.post(
        reverse("account_signup"),
        {
            "email": "grace@example.com",
            "name": "Grace Hopper",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        }
        | fields,
        follow=follow,
    )


def signed_in_user(client):
    response = client.get(reverse("accounts:profile"))
    return response.context["user"] if response.status_code == 200 else None


def link_in(message):
    return re.search(rf"{re.escape(settings.SHOP_BASE_URL)}(/\S+)", message.body).group(1)


def test_pages_use_the_shop_layout(client):
    page = client.get(reverse("account_login"))

    assert page.status_code == 200
    assert "<title>Sign in · Northwind Goods</title>" in re.sub(r"\s+", " ", page.text).replace(
        "> ", ">"
    ).replace(" <", "<")
    assert 'class="site-header"' in page.text
    assert f'href="{reverse("account_signup")}"' in page.text


def test_with_optional_verification_sign_up_signs_in_at_once_and_sends_a_verification_email(
    client, settings, mailoutbox
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"

    response = signup(client)

    assert response.status_code == 302
    user = User.objects.get(email="grace@example.com")
    assert (user.name, user.role, user.is_staff, user.is_superuser) == (
        "Grace Hopper",
        UserRole.USER,
        False,
        False,
    )
    assert user.check_password(NEW_PASSWORD)
    assert signed_in_user(client) == user
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.primary, address.verified) == ("grace@example.com", True, False)
    (message,) = mailoutbox
    assert message.to == ["grace@example.com"]
    assert message.subject.startswith("[Northwind Goods] ")


def test_the_emailed_link_verifies_the_address(client, mailoutbox):
    signup(client)
    confirm_url = link_in(mailoutbox[0])

    assert client.get(confirm_url).status_code == 200
    client.post(confirm_url)

    assert EmailAddress.objects.get(email="grace@example.com").verified


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("password", "This password is too common."),
        ("x7Qz", "This password is too short. It must contain at least 8 characters."),
        ("20481024409681", "This password is entirely numeric."),
    ],
)
def test_a_weak_password_is_refused(client, password, error):
    response = signup(client, password1=password, password2=password)

    assert response.status_code == 200
    assert error in response.text
    assert not User.objects.exists()


def test_sign_up_refuses_a_posted_role(client):
    response = signup(client, role=UserRole.SUPER_ADMIN)

    assert response.status_code == 200
    assert "only a super admin can change a role" in response.text
    assert not User.objects.exists()


def test_sign_in_and_out_with_email_and_password(client):
    user = UserFactory(email="grace@example.com")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)

    response = client.post(reverse("account_login"), {"login": "GRACE@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user(client) == user

    client.post(reverse("account_logout"))
    assert signed_in_user(client) is None


def test_a_wrong_password_is_refused(client):
    UserFactory(email="grace@example.com")

    response = client.post(reverse("account_login"), {"login": "grace@example.com", "password": "not-it"})

    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in response.text
    assert signed_in_user(client) is None


def test_an_inactive_user_cannot_sign_in(client):
    UserFactory(email="grace@example.com", is_active=False)

    response = client.post(reverse("account_login"), {"login": "grace@example.com", "password": PASSWORD})

    assert signed_in_user(client) is None
    assert response.status_code in {200, 302}
    assert "inactive" in client.get(response.get("Location", reverse("account_login"))).text.lower()


def test_password_change_refuses_a_weak_password_then_accepts_a_strong_one(client):
    user = UserFactory()
    client.force_login(user)
    url = reverse("account_change_password")

    refused = client.post(url, {"oldpassword": PASSWORD, "password1": "password", "password2": "password"})
    assert "This password is too common." in refused.text
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    client.post(url, {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signed_in_user(client) == user


def test_password_reset_by_emailed_link(client, mailoutbox):
    user = UserFactory(email="grace@example.com")

    client.post(reverse("account_reset_password"), {"email": "grace@example.com"})
    (message,) = mailoutbox
    reset_url = client.get(link_in(message), follow=True).request["PATH_INFO"]
    client.post(reset_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_second_email_address_is_added_unverified_and_a_verification_sent(client, mailoutbox):
    user = UserFactory(email="grace@example.com")
    EmailAddress.objects.create(user=user, email="grace@example.com", primary=True, verified=True)
    client.force_login(user)

    page = client.get(reverse("account_email"))
    client.post(reverse("account_email"), {"action_add": "", "email": "grace@work.example"})

    assert 'aria-label="Your account"' in page.text
    assert EmailAddress.objects.filter(user=user, email="grace@work.example", verified=False).exists()
    assert mailoutbox[-1].to == ["grace@work.example"]


def test_sign_up_holds_the_sign_in_until_the_address_is_confirmed(client, mailoutbox):
    response = signup(client, follow=True)

    assert response.request["PATH_INFO"] == reverse("account_email_verification_sent")
    assert signed_in_user(client) is None
    client.post(link_in(mailoutbox[0]))
    assert EmailAddress.objects.get(email="grace@example.com").verified
    client.post(reverse("account_login"), {"login": "grace@example.com", "password": NEW_PASSWORD})
    assert signed_in_user(client) == User.objects.get(email="grace@example.com")


@pytest.fixture
def foreign_host(settings):
    """A request naming a host the shop answers on (a wildcard, a second name) that is not its own."""
    settings.SHOP_BASE_URL = "https://shop.example.com"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "shop.evil.example"]
    return {"HTTP_HOST": "shop.evil.example"}


def links_in(message):
    return re.findall(r"https?://\S+", message.body + "".join(body for body, _ in message.alternatives))


SIGN_UP = {"email": "grace@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        pytest.param("account_signup", SIGN_UP, id="confirmation"),
        pytest.param("account_reset_password", {"email": "ada@example.com"}, id="reset"),
        pytest.param("account_reset_password", {"email": "nobody@example.com"}, id="reset-unknown-address"),
        pytest.param("account_signup", {**SIGN_UP, "email": "ada@example.com"}, id="sign-up-taken-address"),
    ],
)
def test_account_emails_link_to_the_shops_own_address_whatever_host_the_request_named(
    client, foreign_host, mailoutbox, url_name, data
):
    UserFactory(email="ada@example.com")

    client.post(reverse(url_name), data, **foreign_host)

    (message,) = mailoutbox
    links = links_in(message)
    assert any("/accounts/" in link for link in links)
    assert all(link.startswith("https://shop.example.com/") for link in links)

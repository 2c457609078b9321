"""Google and GitHub sign-in, sign-up and linking: real views, only the providers' HTTP mocked."""

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User, UserRole
from tests.accounts.oauth import (
    GITHUB_CLIENT_ID,
    GITHUB_EMAILS_URL,
    GITHUB_SECRET,
    GITHUB_TOKEN_URL,
    GITHUB_USER_URL,
    GOOGLE_CLIENT_ID,
    GOOGLE_SECRET,
    GOOGLE_TOKEN_URL,
    finish_sign_in,
    form_of,
    github_email,
    pkce_challenge,
    sign_in,
    start_sign_in,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def signed_in_user(client):
    response = client.get(reverse("accounts:profile"))
    return response.context["user"] if response.status_code == 200 else None


def messages_on(response):
    return [str(message) for message in response.context["messages"]]


def test_google_sign_up_creates_a_user_with_a_verified_address_and_stored_tokens(client, providers):
    providers.google_signs_in(sub="109876543210987654321", email="ada@example.com", name="Ada Lovelace")

    authorize = start_sign_in(client, "google")
    response = finish_sign_in(client, "google", authorize)

    assert response.status_code == 302
    assert authorize["client_id"] == GOOGLE_CLIENT_ID
    assert authorize["redirect_uri"] == "http://testserver/accounts/google/login/callback/"
    assert set(authorize["scope"].split()) == {"profile", "email"}
    assert authorize["code_challenge_method"] == "S256"
    (token_request,) = providers.requests_to("POST", GOOGLE_TOKEN_URL)
    sent = form_of(token_request)
    assert sent["code"] == "4/0AeanS0b-test-code"
    assert sent["client_secret"] == GOOGLE_SECRET
    assert sent["redirect_uri"] == authorize["redirect_uri"]
    assert pkce_challenge(sent["code_verifier"]) == authorize["code_challenge"]

    user = User.objects.get(email="ada@example.com")
    assert signed_in_user(client) == user
    assert (user.name, user.role, user.has_usable_password()) == ("Ada Lovelace", UserRole.USER, False)
    assert user.image == "https://lh3.googleusercontent.com/a/109876543210987654321=s96-c"
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("google", "109876543210987654321")
    token = SocialToken.objects.get(account=account)
    assert token.token == "ya29.a0AfB_byC-109876543210987654321"
    assert token.token_secret == "1//0gX-109876543210987654321"
    assert token.expires_at is not None
    assert EmailAddress.objects.filter(
        user=user, email="ada@example.com", verified=True, primary=True
    ).exists()


def test_github_sign_up_uses_the_primary_verified_address_from_user_emails(client, providers):
    providers.github_signs_in(
        user_id=583231,
        login="octocat",
        emails=[
            github_email("octocat@users.noreply.github.com", primary=False),
            github_email("octo@example.com", primary=True),
        ],
    )

    authorize = start_sign_in(client, "github")
    response = finish_sign_in(client, "github", authorize)

    assert response.status_code == 302
    assert authorize["client_id"] == GITHUB_CLIENT_ID
    assert authorize["scope"] == "user:email"
    sent = form_of(providers.requests_to("POST", GITHUB_TOKEN_URL)[0])
    assert (sent["client_secret"], sent["code"]) == (GITHUB_SECRET, "4/0AeanS0b-test-code")
    assert pkce_challenge(sent["code_verifier"]) == authorize["code_challenge"]
    user_request = providers.requests_to("GET", GITHUB_USER_URL)[0]
    assert user_request.headers["Authorization"] == "token gho_16C7e42F292c6912E7710c838347Ae583231"
    assert providers.requests_to("GET", GITHUB_EMAILS_URL)

    user = User.objects.get(email="octo@example.com")
    assert signed_in_user(client) == user
    assert user.name == "The Octocat"
    assert user.image == "https://avatars.githubusercontent.com/u/583231?v=4"
    assert SocialAccount.objects.get(user=user).uid == "583231"
    assert SocialToken.objects.get(account__user=user).token == "gho_16C7e42F292c6912E7710c838347Ae583231"
    assert set(EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)) == {
        "octo@example.com",
        "octocat@users.noreply.github.com",
    }


def test_signing_in_again_with_a_linked_account_reuses_the_user_and_refreshes_the_token(client, providers):
    providers.google_signs_in(sub="1111", email="ada@example.com")
    sign_in(client, "google")
    client.post(reverse("account_logout"))
    providers.google_signs_in(sub="1111", email="ada@example.com")

    sign_in(client, "google")

    user = User.objects.get()
    assert signed_in_user(client) == user
    assert SocialAccount.objects.count() == 1
    assert SocialToken.objects.count() == 1


def test_google_verified_email_links_to_the_existing_account_and_signs_in(client, providers):
    existing = UserFactory(email="ada@example.com")
    EmailAddress.objects.create(user=existing, email="ada@example.com", verified=True, primary=True)
    providers.google_signs_in(sub="2222", email="ada@example.com", email_verified=True)

    sign_in(client, "google")

    assert signed_in_user(client) == existing
    assert User.objects.count() == 1
    assert SocialAccount.objects.get(provider="google").user == existing
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)


def test_a_provider_verified_email_does_not_join_an_account_that_never_verified_it(client, providers):
    """Someone registered the address without proving it; the address's owner arrives via Google."""
    squatter_account = UserFactory(email="victim@example.com")
    EmailAddress.objects.create(
        user=squatter_account, email="victim@example.com", verified=False, primary=True
    )
    providers.google_signs_in(sub="3333", email="victim@example.com", email_verified=True)

    response = sign_in(client, "google", follow=True)

    assert any(
        "An account already exists with this email address" in message for message in messages_on(response)
    )
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.exists()
    squatter_account.refresh_from_db()
    assert squatter_account.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("provider_id", "answer"),
    [
        (
            "github",
            lambda providers: providers.github_signs_in(
                user_id=9001, login="mallory", emails=[github_email("victim@example.com", verified=False)]
            ),
        ),
        (
            "google",
            lambda providers: providers.google_signs_in(
                sub="9002", email="victim@example.com", email_verified=False
            ),
        ),
    ],
    ids=["github", "google"],
)
def test_an_unverified_provider_email_cannot_take_over_an_account(client, providers, provider_id, answer):
    victim = UserFactory(email="victim@example.com")
    EmailAddress.objects.create(user=victim, email="victim@example.com", verified=True, primary=True)
    answer(providers)

    response = sign_in(client, provider_id, follow=True)

    assert response.request["PATH_INFO"] == reverse("account_login")
    assert any(
        "An account already exists with this email address" in message for message in messages_on(response)
    )
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1
    victim.refresh_from_db()
    assert victim.check_password(PASSWORD)


def test_a_forged_state_is_refused_and_changes_nothing(client, providers):
    providers.google_signs_in(sub="4444", email="ada@example.com")
    authorize = start_sign_in(client, "google")

    response = finish_sign_in(client, "google", {**authorize, "state": "forgedState12345"})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "was not started from this browser" in response.text
    assert not providers.requests_to("POST", GOOGLE_TOKEN_URL)
    assert not User.objects.exists()
    assert signed_in_user(client) is None


def test_a_state_cannot_be_used_from_another_browser(client, providers):
    providers.google_signs_in(sub="4545", email="ada@example.com")
    authorize = start_sign_in(client, "google")

    response = finish_sign_in(Client(), "google", authorize)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not User.objects.exists()


def test_a_cancelled_consent_screen_says_so_and_changes_nothing(client, providers):
    authorize = start_sign_in(client, "github")

    response = client.get(
        reverse("github_callback"),
        {
            "error": "access_denied",
            "error_description": "The user has denied your application access.",
            "state": authorize["state"],
        },
        follow=True,
    )

    assert response.request["PATH_INFO"] == reverse("socialaccount_login_cancelled")
    assert "You cancelled the sign-in" in response.text
    assert not providers.requests
    assert not User.objects.exists()


def test_a_provider_error_on_the_callback_shows_a_clear_page(client, providers):
    authorize = start_sign_in(client, "google")

    response = client.get(reverse("google_callback"), {"error": "server_error", "state": authorize["state"]})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "Google did not complete the sign-in. Nothing was changed." in response.text
    assert not User.objects.exists()


def test_a_refused_code_at_the_token_endpoint_shows_a_clear_page(client, providers):
    providers.answer(
        "POST",
        GOOGLE_TOKEN_URL,
        status=HTTPStatus.BAD_REQUEST,
        json_body={"error": "invalid_grant", "error_description": "Bad Request"},
    )

    response = sign_in(client, "google")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "Google did not complete the sign-in" in response.text
    assert not User.objects.exists()
    assert signed_in_user(client) is None


def test_a_signed_in_user_connects_github_and_holds_two_linked_accounts(client, providers):
    providers.google_signs_in(sub="5555", email="ada@example.com")
    sign_in(client, "google")
    user = User.objects.get()
    providers.github_signs_in(user_id=42, login="ada", emails=[github_email("ada@elsewhere.example")])

    response = sign_in(client, "github", process="connect", follow=True)

    assert response.request["PATH_INFO"] == reverse("socialaccount_connections")
    assert "The third-party account has been connected." in messages_on(response)
    assert set(SocialAccount.objects.filter(user=user).values_list("provider", flat=True)) == {
        "google",
        "github",
    }
    assert SocialToken.objects.filter(account__user=user).count() == 2
    assert User.objects.count() == 1
    for account in SocialAccount.objects.filter(user=user):
        assert f'value="{account.pk}"' in response.text


def test_connecting_an_account_already_linked_to_someone_else_is_refused(client, providers):
    owner = UserFactory()
    SocialAccount.objects.create(user=owner, provider="github", uid="77")
    client.force_login(UserFactory())
    providers.github_signs_in(user_id=77, login="taken", emails=[github_email("taken@example.com")])

    response = sign_in(client, "github", process="connect", follow=True)

    assert "The third-party account is already connected to a different account." in messages_on(response)
    assert SocialAccount.objects.get(uid="77").user == owner
    assert SocialAccount.objects.count() == 1


def test_a_user_with_a_password_can_disconnect_their_only_linked_account(client, providers):
    user = UserFactory()
    # allauth keeps a verified address to sign in with (mandatory verification).
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    account = SocialAccount.objects.create(user=user, provider="google", uid="6666")
    client.force_login(user)

    response = client.post(reverse("socialaccount_connections"), {"account": account.pk}, follow=True)

    assert "The third-party account has been disconnected." in messages_on(response)
    assert not SocialAccount.objects.exists()


def test_the_last_way_to_sign_in_cannot_be_disconnected(client, providers):
    user = UserFactory()
    user.set_unusable_password()
    user.save()
    account = SocialAccount.objects.create(user=user, provider="google", uid="7777")
    client.force_login(user)

    response = client.post(reverse("socialaccount_connections"), {"account": account.pk})

    assert response.status_code == 200
    assert "Your account has no password set up." in response.text
    assert SocialAccount.objects.filter(pk=account.pk).exists()


def test_a_provider_can_be_disconnected_while_another_remains(client, providers):
    user = UserFactory()
    user.set_unusable_password()
    user.save()
    google = SocialAccount.objects.create(user=user, provider="google", uid="8888")
    SocialAccount.objects.create(user=user, provider="github", uid="8889")
    client.force_login(user)

    client.post(reverse("socialaccount_connections"), {"account": google.pk})

    assert list(SocialAccount.objects.values_list("provider", flat=True)) == ["github"]


def test_nobody_can_disconnect_someone_elses_account(client, providers):
    other = SocialAccount.objects.create(user=UserFactory(), provider="google", uid="9999")
    client.force_login(UserFactory())

    client.post(reverse("socialaccount_connections"), {"account": other.pk})

    assert SocialAccount.objects.filter(pk=other.pk).exists()


def test_provider_buttons_show_only_for_configured_providers(client, settings, db):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    page = client.get(reverse("account_login")).text
    assert reverse("google_login") not in page
    assert reverse("github_login") not in page

    settings.SOCIALACCOUNT_PROVIDERS = {
        "github": {"APPS": [{"client_id": GITHUB_CLIENT_ID, "secret": GITHUB_SECRET}]}
    }
    page = client.get(reverse("account_login")).text
    assert reverse("google_login") not in page
    assert f"{reverse('github_login')}?process=login" in page


def test_github_without_any_email_asks_for_one_and_signs_in_once_it_is_confirmed(
    client, providers, mailoutbox
):
    providers.github_signs_in(user_id=31337, login="noemail", emails=[])

    response = sign_in(client, "github", follow=True)
    assert response.request["PATH_INFO"] == reverse("socialaccount_signup")
    assert not User.objects.exists()
    response = client.post(reverse("socialaccount_signup"), {"email": "noemail@example.com"}, follow=True)

    assert response.request["PATH_INFO"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="noemail@example.com")
    assert signed_in_user(client) is None
    assert SocialAccount.objects.get(user=user).uid == "31337"
    assert not EmailAddress.objects.get(user=user).verified
    client.post(re.search(rf"{re.escape(settings.SHOP_BASE_URL)}(/\S+)", mailoutbox[-1].body).group(1))
    assert EmailAddress.objects.get(user=user).verified
    sign_in(client, "github")
    assert signed_in_user(client) == user


def test_the_email_asked_for_after_a_provider_sign_in_cannot_be_a_taken_one(client, providers, mailoutbox):
    owner = UserFactory(email="taken@example.com")
    providers.github_signs_in(user_id=31338, login="noemail", emails=[])
    sign_in(client, "github")

    response = client.post(reverse("socialaccount_signup"), {"email": "taken@example.com"}, follow=True)

    # Answered as for a free address; only the mail to the address says it has an account.
    assert response.request["PATH_INFO"] == reverse("account_email_verification_sent")
    assert list(User.objects.all()) == [owner]
    assert not SocialAccount.objects.exists()
    assert [message.to for message in mailoutbox] == [["taken@example.com"]]


def test_settings_configure_a_provider_only_when_its_client_id_is_in_the_environment():
    import json
    import os
    import subprocess
    import sys

    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.SOCIALACCOUNT_PROVIDERS))"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "GOOGLE_CLIENT_ID": "google-id",
        "GOOGLE_CLIENT_SECRET": "google-secret",
        "GITHUB_CLIENT_ID": "",
    }
    output = subprocess.run(  # noqa: S603 (our own interpreter and a fixed script)
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    ).stdout

    assert json.loads(output) == {
        "google": {
            "APPS": [{"client_id": "google-id", "secret": "google-secret"}],
            "SCOPE": ["profile", "email"],
            "VERIFIED_EMAIL": False,
            "OAUTH_PKCE_ENABLED": True,
        }
    }


def test_connecting_a_provider_fills_a_missing_name_and_avatar_but_keeps_existing_ones(client, providers):
    blank = UserFactory(name="", image="")
    named = UserFactory(name="Kept Name", image="https://images.example.com/kept.png")
    for user_id, user in ((101, blank), (102, named)):
        client.force_login(user)
        providers.github_signs_in(
            user_id=user_id, login=f"u{user_id}", emails=[github_email(f"u{user_id}@example.com")]
        )
        sign_in(client, "github", process="connect")

    blank.refresh_from_db()
    named.refresh_from_db()
    assert (blank.name, blank.image) == ("The Octocat", "https://avatars.githubusercontent.com/u/101?v=4")
    assert (named.name, named.image) == ("Kept Name", "https://images.example.com/kept.png")

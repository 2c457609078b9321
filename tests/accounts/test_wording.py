"""The account pages and emails read like the rest of the shop: sentence case, the shop's name."""

import io
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MESSAGES = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
# allauth's English in title case, which the shop's English catalog rewrites.
TITLE_CASE = sorted(
    message.id for message in read_po(io.BytesIO((MESSAGES / "django.po").read_bytes())) if message.id
)


def visible_text(response):
    return response.content.decode()


@pytest.mark.parametrize("url_name", ["account_login", "account_signup", "account_reset_password"])
def test_the_sign_in_pages_speak_in_sentence_case(client, url_name):
    page = client.get(reverse(url_name))

    assert page.status_code == 200
    assert [text for text in TITLE_CASE if text in visible_text(page)] == []


def test_sign_in_reads_sign_in_and_remember_me(client):
    page = visible_text(client.get(reverse("account_login")))

    assert "<title>Sign in · Northwind Goods</title>" in " ".join(page.split()).replace("> ", ">").replace(
        " <", "<"
    )
    assert "Remember me" in page


@pytest.mark.parametrize(
    "url_name", ["account_email", "account_change_password", "socialaccount_connections", "account_logout"]
)
def test_the_account_pages_speak_in_sentence_case(client, url_name):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    client.force_login(user)

    page = client.get(reverse(url_name))

    assert page.status_code == 200
    assert [text for text in TITLE_CASE if text in visible_text(page)] == []


def test_the_only_address_offers_no_make_primary_nor_remove(client):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    client.force_login(user)

    page = visible_text(client.get(reverse("account_email")))

    assert user.email in page
    assert 'name="action_primary"' not in page
    assert 'name="action_remove"' not in page
    assert 'name="action_send"' not in page  # verified: nothing to send again


def test_an_unverified_only_address_can_have_its_verification_sent_again(client, mailoutbox):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    client.force_login(user)

    page = visible_text(client.get(reverse("account_email")))
    client.post(reverse("account_email"), {"email": user.email, "action_send": ""})

    assert 'name="action_send"' in page
    assert 'name="action_remove"' not in page
    assert [message.to for message in mailoutbox] == [[user.email]]


def test_with_two_addresses_either_can_be_made_primary_or_removed(client):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    EmailAddress.objects.create(user=user, email="second@example.com", primary=False, verified=True)
    client.force_login(user)

    page = visible_text(client.get(reverse("account_email")))

    assert "Make primary" in page
    assert 'name="action_remove"' in page


def test_linked_accounts_without_any_and_no_provider_says_so_and_offers_nothing(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    client.force_login(UserFactory())

    page = visible_text(client.get(reverse("socialaccount_connections")))

    assert "No linked accounts yet." in page
    assert "Link an account" not in page


def test_linked_accounts_offers_the_configured_providers(client, providers):
    client.force_login(UserFactory())

    page = visible_text(client.get(reverse("socialaccount_connections")))

    assert "No linked accounts yet." in page
    assert "Link an account" in page
    assert "Google" in page
    assert "GitHub" in page


def test_the_confirmation_email_names_the_shop_and_its_address(client, mailoutbox, settings):
    settings.SHOP_BASE_URL = "https://shop.example.com"
    client.post(
        reverse("account_signup"),
        {
            "email": "grace@example.com",
            "password1": "a-Quite-long-Passphrase-42",
            "password2": "a-Quite-long-Passphrase-42",
        },
    )

    (message,) = mailoutbox
    assert message.subject == "[Northwind Goods] Please confirm your email address"
    assert message.body.startswith("Hello from Northwind Goods!")
    assert "testserver!" not in message.body
    assert message.body.rstrip().endswith(
        "Thank you for shopping at Northwind Goods.\nhttps://shop.example.com/"
    )


def test_the_compiled_catalog_matches_its_source():
    source = read_po(io.BytesIO((MESSAGES / "django.po").read_bytes()))
    compiled = read_mo(io.BytesIO((MESSAGES / "django.mo").read_bytes()))

    assert {m.id: m.string for m in compiled if m.id} == {m.id: m.string for m in source if m.id}

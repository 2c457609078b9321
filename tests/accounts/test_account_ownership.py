"""Proving an address by email hands its account to whoever reads that mail, and nobody else."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.core import signing
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tokens import AddressPasswordResetTokenGenerator
from tests.accounts.oauth import github_email, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ATTACKER_PASSWORD = "an-Attacker-Chose-This-77"
VICTIM_PASSWORD = "the-Victim-Chose-This-42"


def signed_in_user(client):
    response = client.get(reverse("accounts:profile"))
    return response.context["user"] if response.status_code == 200 else None


def link_in(message):
    return re.search(rf"{re.escape(settings.SHOP_BASE_URL)}(/\S+)", message.body).group(1)


def reset_password(client, mailoutbox, email, password):
    mailoutbox.clear()
    client.post(reverse("account_reset_password"), {"email": email})
    (message,) = mailoutbox
    reset_url = client.get(link_in(message), follow=True).request["PATH_INFO"]
    return client.post(reset_url, {"password1": password, "password2": password}, follow=True)


@pytest.fixture
def pre_registered(client, settings, providers, mailoutbox):
    """An account an attacker opened with the victim's address, their GitHub and address added."""
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    client.post(
        reverse("account_signup"),
        {"email": "victim@example.com", "password1": ATTACKER_PASSWORD, "password2": ATTACKER_PASSWORD},
    )
    providers.github_signs_in(user_id=666, login="mallory", emails=[github_email("mallory@evil.example")])
    sign_in(client, "github", process="connect")
    mailoutbox.clear()
    client.post(reverse("account_email"), {"action_add": "", "email": "mallory@evil.example"})
    client.post(link_in(mailoutbox[-1]))
    user = User.objects.get(email="victim@example.com")
    assert SocialAccount.objects.filter(user=user).exists()
    assert EmailAddress.objects.filter(user=user, email="mallory@evil.example", verified=True).exists()
    return user


def test_a_reset_by_email_hands_a_pre_registered_account_to_the_address_owner(
    client, pre_registered, providers, mailoutbox
):
    attacker = client
    victim = Client()

    response = reset_password(victim, mailoutbox, "victim@example.com", VICTIM_PASSWORD)

    assert "Your email address is now verified" in response.text
    (address,) = EmailAddress.objects.filter(user=pre_registered)
    assert (address.email, address.verified, address.primary) == ("victim@example.com", True, True)
    assert not SocialAccount.objects.filter(user=pre_registered).exists()
    assert signed_in_user(attacker) is None
    # The attacker's GitHub now opens an account of its own, not the victim's.
    sign_in(attacker, "github")
    assert signed_in_user(attacker) != pre_registered
    # Nor can the attacker's own address take it back by another reset.
    mailoutbox.clear()
    attacker.post(reverse("account_reset_password"), {"email": "mallory@evil.example"})
    assert mailoutbox
    assert all(str(pre_registered.pk) not in message.body for message in mailoutbox)
    victim.post(reverse("account_login"), {"login": "victim@example.com", "password": VICTIM_PASSWORD})
    assert signed_in_user(victim) == pre_registered


def test_a_reset_through_an_already_verified_address_keeps_the_linked_accounts(client, providers, mailoutbox):
    providers.google_signs_in(sub="5555", email="ada@example.com")
    sign_in(client, "google")
    user = User.objects.get()
    client.post(reverse("account_logout"))

    response = reset_password(client, mailoutbox, "ada@example.com", VICTIM_PASSWORD)

    assert "Your email address is now verified" not in response.text
    assert SocialAccount.objects.filter(user=user).count() == 1
    assert EmailAddress.objects.get(user=user).verified


def test_a_reset_link_whose_address_was_changed_is_refused(client, mailoutbox):
    user = UserFactory(email="grace@example.com")
    other = signing.dumps([str(user.pk), "mallory@evil.example"], salt="forged")
    client.post(reverse("account_reset_password"), {"email": "grace@example.com"})
    link = link_in(mailoutbox[0])
    token, _, _ = link.rstrip("/").rpartition(".")

    response = client.get(f"{token}.{other}/", follow=True)

    assert "The password reset link was invalid" in response.text
    assert not EmailAddress.objects.filter(user=user, verified=True).exists()


@pytest.fixture
def owner(providers, mailoutbox):
    """An account whose owner proved their address, linked GitHub, and added a mistyped second address."""
    providers.github_signs_in(user_id=42, login="grace", emails=[github_email("grace@example.com")])
    owner_client = Client()
    sign_in(owner_client, "github")
    user = User.objects.get(email="grace@example.com")
    user.set_password(VICTIM_PASSWORD)
    user.save()
    owner_client.force_login(user)
    owner_client.post(reverse("account_email"), {"action_add": "", "email": "grace@exmaple.com"})
    assert EmailAddress.objects.filter(user=user, email="grace@exmaple.com", verified=False).exists()
    mailoutbox.clear()
    return user


def addresses_of(user):
    return sorted(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary"))


def test_a_reset_asked_through_an_unproven_second_address_mails_no_link_to_the_account(
    client, owner, mailoutbox
):
    neighbour = UserFactory(email="ada@example.com")
    EmailAddress.objects.create(user=neighbour, email=neighbour.email, primary=True, verified=True)

    client.post(reverse("account_reset_password"), {"email": "grace@exmaple.com"})

    assert [message.to for message in mailoutbox] == [["grace@exmaple.com"]]
    assert str(owner.pk) not in mailoutbox[0].body
    assert "/accounts/password/reset/key/" not in mailoutbox[0].body
    assert addresses_of(owner) == [("grace@example.com", True, True), ("grace@exmaple.com", False, False)]
    assert addresses_of(neighbour) == [("ada@example.com", True, True)]


def test_a_reset_asked_through_the_verified_address_still_mails_a_link(client, owner, mailoutbox):
    client.post(reverse("account_reset_password"), {"email": "grace@example.com"})

    (message,) = mailoutbox
    assert message.to == ["grace@example.com"]
    assert f"/accounts/password/reset/key/{owner.pk}-" in message.body


def test_a_reset_link_for_a_second_address_proves_it_and_takes_nothing_away(client, owner, mailoutbox):
    # A link mailed to the second address (before it stopped receiving them) is still opened.
    token = AddressPasswordResetTokenGenerator(email="grace@exmaple.com").make_token(owner)
    key_url = reverse("account_reset_password_from_key", kwargs={"uidb36": str(owner.pk), "key": token})
    reset_url = client.get(key_url, follow=True).request["PATH_INFO"]

    response = client.post(
        reset_url, {"password1": ATTACKER_PASSWORD, "password2": ATTACKER_PASSWORD}, follow=True
    )

    assert "were removed" not in response.text
    owner.refresh_from_db()
    assert owner.email == "grace@example.com"
    assert addresses_of(owner) == [("grace@example.com", True, True), ("grace@exmaple.com", True, False)]
    assert SocialAccount.objects.filter(user=owner, provider="github").count() == 1
    # The owner's own address still resets the account.
    Client().post(reverse("account_reset_password"), {"email": "grace@example.com"})
    (message,) = mailoutbox
    assert f"/accounts/password/reset/key/{owner.pk}-" in message.body

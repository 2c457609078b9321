"""The sign-up, password reset and add-address pages answer alike for known and unknown addresses."""

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.oauth import github_email, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-Quite-long-Passphrase-42"


def answer(response, email):
    """What the visitor sees: the final page and its text, with the address typed left out."""
    return response.request["PATH_INFO"], response.status_code, response.text.replace(email, "EMAIL")


def signed_in_user(client):
    response = client.get(reverse("accounts:profile"))
    return response.context["user"] if response.status_code == 200 else None


def test_password_reset_answers_alike_for_a_known_and_an_unknown_address(mailoutbox):
    UserFactory(email="grace@example.com")

    known = Client().post(reverse("account_reset_password"), {"email": "grace@example.com"}, follow=True)
    unknown = Client().post(reverse("account_reset_password"), {"email": "nobody@example.com"}, follow=True)

    assert answer(known, "grace@example.com") == answer(unknown, "nobody@example.com")
    assert known.request["PATH_INFO"] == reverse("account_reset_password_done")
    assert [message.to for message in mailoutbox] == [["grace@example.com"], ["nobody@example.com"]]


def test_sign_up_with_a_taken_address_answers_as_for_a_new_one_and_creates_nothing(mailoutbox):
    owner = UserFactory(email="grace@example.com")

    def sign_up(email):
        fields = {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        return Client().post(reverse("account_signup"), fields, follow=True)

    taken = sign_up("Grace@Example.com")
    new = sign_up("ada@example.com")

    assert answer(taken, "Grace@Example.com".lower()) == answer(new, "ada@example.com")
    assert taken.request["PATH_INFO"] == reverse("account_email_verification_sent")
    assert set(User.objects.values_list("email", flat=True)) == {owner.email, "ada@example.com"}
    # The owner is told by mail that someone tried; only the new address gets a confirmation link.
    assert [message.to for message in mailoutbox] == [["grace@example.com"], ["ada@example.com"]]


def test_adding_another_accounts_address_answers_alike_and_stores_nothing(client):
    UserFactory(email="taken@example.com")
    client.force_login(UserFactory())

    taken = client.post(
        reverse("account_email"), {"action_add": "", "email": "taken@example.com"}, follow=True
    )
    free = client.post(reverse("account_email"), {"action_add": "", "email": "free@example.com"}, follow=True)

    assert [str(m) for m in taken.context["messages"]] == [
        str(m).replace("free@example.com", "taken@example.com") for m in free.context["messages"]
    ]
    assert taken.request["PATH_INFO"] == free.request["PATH_INFO"] == reverse("account_email")
    assert list(EmailAddress.objects.filter(email="taken@example.com")) == []


def test_an_unverified_second_address_elsewhere_does_not_block_its_owners_provider_sign_up(client, providers):
    squatter = UserFactory(email="mallory@evil.example")
    EmailAddress.objects.create(user=squatter, email="victim@example.com", verified=False, primary=False)
    providers.github_signs_in(user_id=4242, login="victim", emails=[github_email("victim@example.com")])

    sign_in(client, "github")

    victim = signed_in_user(client)
    assert victim is not None
    assert victim != squatter
    assert victim.email == "victim@example.com"
    assert SocialAccount.objects.get(uid="4242").user == victim
    assert not EmailAddress.objects.filter(user=squatter, email="victim@example.com").exists()

"""User input in case-insensitive lookups is matched literally, never as a regular expression.

This backend turns `iexact` into a `$regex`; a value like `a|@x.example` or `ceo@a.me-corp.com`
must match only the address typed, for every caller: the shop's own lookups, allauth's sign-in
and password reset, and admin search.
"""

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from accounts.models import User
from tests.accounts.oauth import github_email, sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def verified_user(email, **fields):
    user = UserFactory(email=email, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def signed_in_user(client):
    response = client.get(reverse("accounts:profile"))
    return response.context["user"] if response.status_code == 200 else None


@pytest.mark.parametrize(
    ("typed", "matches"),
    [
        ("a|@x.example", []),
        ("ceo@a.me-corp.com", []),
        (".*", []),
        ("(", []),
        ("CEO@ACME-CORP.COM", ["ceo@acme-corp.com"]),
        ("ceo@acme-corp.com", ["ceo@acme-corp.com"]),
    ],
)
def test_iexact_matches_the_typed_value_literally_and_ignores_case(typed, matches):
    verified_user("ceo@acme-corp.com")
    verified_user("alice@x.example")

    found = User.objects.filter(email__iexact=typed).values_list("email", flat=True)

    assert sorted(found) == matches


def test_a_provider_address_that_reads_as_a_pattern_does_not_sign_in_as_someone_else(client, providers):
    victim = verified_user("super@probe.test", role="SUPER_ADMIN")
    providers.github_signs_in(
        user_id=7001, login="attacker", emails=[github_email("super.probe.test|@attacker.example")]
    )

    sign_in(client, "github", follow=True)

    assert signed_in_user(client) != victim
    assert not SocialAccount.objects.filter(user=victim).exists()


def test_a_look_alike_domain_does_not_sign_in_as_its_twin(client, providers):
    victim = verified_user("ceo@acme-corp.com")
    providers.google_signs_in(sub="7002", email="ceo@a.me-corp.com")

    sign_in(client, "google", follow=True)

    assert signed_in_user(client) != victim
    assert not SocialAccount.objects.filter(user=victim).exists()


def test_password_sign_in_tries_the_password_against_the_typed_address_only(client):
    verified_user("alice@x.example")

    response = client.post(reverse("account_login"), {"login": "a.ice@x.example", "password": PASSWORD})

    assert response.status_code == 200
    assert signed_in_user(client) is None


def test_password_reset_for_a_pattern_mails_nobody(client, mailoutbox):
    verified_user("alice@x.example")

    client.post(reverse("account_reset_password"), {"email": "alice@x.exampl."})
    client.post(reverse("account_reset_password"), {"email": "a|@x.example"})

    assert [message.to for message in mailoutbox if "alice@x.example" in message.to] == []

"""Confirming an address: the page says it plainly, and the new customer is signed in afterwards."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.test_email_auth import link_in, signed_in_user, signup
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_confirming_the_address_signs_the_new_customer_in(client, mailoutbox):
    neighbour = UserFactory(email="lin@example.com")
    signup(client)
    assert signed_in_user(client) is None

    # The email names the address it asks about.
    assert "gave this address (grace@example.com) to an account" in mailoutbox[0].body
    page = client.get(link_in(mailoutbox[0])).text
    response = client.post(link_in(mailoutbox[0]))

    assert "Confirm that <strong>grace@example.com</strong> is your email address" in page
    assert "is an email address for user" not in page
    assert response.status_code == 302
    assert signed_in_user(client) == User.objects.get(email="grace@example.com")
    assert signed_in_user(Client()) is None
    assert User.objects.get(pk=neighbour.pk).email == "lin@example.com"


def test_a_link_opened_in_another_browser_confirms_without_signing_in(client, mailoutbox):
    signup(client)
    elsewhere = Client()

    elsewhere.post(link_in(mailoutbox[0]))

    assert signed_in_user(elsewhere) is None


@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_reset_password"])
def test_form_labels_end_without_a_colon(client, name):
    labels = re.findall(r"<label[^>]*>([^<]*)</label>", client.get(reverse(name)).text)

    assert labels
    assert not [label for label in labels if label.strip().endswith(":")]


def test_profile_form_labels_end_without_a_colon(client):
    client.force_login(UserFactory())

    labels = re.findall(r"<label[^>]*>([^<]*)</label>", client.get(reverse("accounts:profile")).text)

    assert labels
    assert not [label for label in labels if label.strip().endswith(":")]

"""allauth's emails (address confirmation, password reset) leave through the outbox like the shop's own:
a mail server that is down never fails the page, and the email goes once it is back."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from jobs.models import OutgoingEmail
from jobs.tasks import email_deliver
from tests import factories


@pytest.fixture
def mail_server_down(settings):
    """The delivery the page's request queues (tasks run at once in tests) meets a refusing server."""
    settings.MAILERS = {"default": {"BACKEND": "tests.jobs.mail_backends.RefusingBackend"}}


def deliver_all_with_mail_server_up(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    for email in OutgoingEmail.objects.unsent():
        # The failed attempt's retry waits for its backoff: deliver now, as the worker then would.
        email_deliver.call(key=email.key)


def test_signing_up_while_the_mail_server_is_down_queues_the_confirmation(
    client, db, mail_server_down, settings
):
    answer = client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": "a-Long-passw0rd!", "password2": "a-Long-passw0rd!"},
    )

    assert answer.status_code == 302
    [queued] = OutgoingEmail.objects.unsent()
    assert queued.recipient == "new@example.com"

    deliver_all_with_mail_server_up(settings)

    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    assert f"{settings.SHOP_BASE_URL}/accounts/confirm-email/" in message.body


def test_a_password_reset_while_the_mail_server_is_down_is_sent_once_when_it_is_back(
    client, db, mail_server_down, settings
):
    for email in ("ada@example.com", "grace@example.com"):
        user = factories.UserFactory(email=email)
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)

    answer = client.post(reverse("account_reset_password"), {"email": "ada@example.com"})

    assert answer.status_code == 302
    deliver_all_with_mail_server_up(settings)
    deliver_all_with_mail_server_up(settings)
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert f"{settings.SHOP_BASE_URL}/accounts/password/reset/key/" in message.body
    assert not OutgoingEmail.objects.filter(recipient="grace@example.com").exists()

"""A subscription email is sent once per kind and reference, and never lost to a run that died
half way: the run that comes again sends what the dead one did not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from subscriptions import emails
from subscriptions.emails import subscription_trial_ending_send
from tests import factories


class ProcessKilled(BaseException):
    """The process dies here: no except clause runs, nothing after it happens."""


def test_a_reminder_whose_run_died_before_queueing_it_is_sent_by_the_next_run(db, monkeypatch, mailoutbox):
    trial_end = timezone.now() + timedelta(days=3)
    subscription = factories.SubscriptionFactory(status="trialing", trial_end=trial_end)
    neighbour = factories.SubscriptionFactory(status="trialing", trial_end=trial_end)
    queue = emails.mail_send

    def dies(**kwargs):
        raise ProcessKilled

    monkeypatch.setattr(emails, "mail_send", dies)
    with pytest.raises(ProcessKilled):
        subscription_trial_ending_send(subscription=subscription)
    monkeypatch.setattr(emails, "mail_send", queue)

    assert subscription_trial_ending_send(subscription=subscription) is True
    assert subscription_trial_ending_send(subscription=subscription) is False

    [reminder] = mailoutbox
    assert reminder.to == [subscription.customer_email]
    assert list(subscription.emails.values_list("kind", flat=True)) == ["trial_ending"]
    assert not neighbour.emails.exists()

"""The pause date a subscriber picks: the page offers tomorrow at the earliest, and a date that is
not after today is refused in words that say which dates are allowed, without asking Stripe."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from subscriptions.exceptions import SubscriptionNotChangeable
from subscriptions.models import Subscription
from subscriptions.services import subscription_pause
from tests import factories

REFUSED = "Choose a date after today: billing and deliveries restart at the start of that day."


def test_the_date_picker_starts_tomorrow(db):
    subscription = factories.SubscriptionFactory()
    client = Client()
    client.force_login(subscription.user)

    page = client.get(subscription.get_absolute_url()).text

    tomorrow = timezone.localdate() + timedelta(days=1)
    [field] = re.findall(r'<input[^>]*name="until"[^>]*>', page)
    assert f'min="{tomorrow.isoformat()}"' in field


@pytest.mark.parametrize("days", [0, -1])
def test_a_restart_date_not_after_today_is_refused_and_nothing_changes(db, days):
    subscription = factories.SubscriptionFactory()
    neighbour = factories.SubscriptionFactory()
    neighbour.refresh_from_db()  # the stored time, at the database's millisecond precision
    client = Client()
    client.force_login(subscription.user)
    until = timezone.localdate() + timedelta(days=days)

    answer = client.post(
        reverse("subscriptions:pause", kwargs={"subscription_id": subscription.stripe_subscription_id}),
        {"until": until.isoformat()},
    )

    assert REFUSED in client.get(answer.headers["Location"]).text
    assert not Subscription.objects.get(pk=subscription.pk).is_paused
    assert Subscription.objects.get(pk=neighbour.pk).updated_at == neighbour.updated_at


def test_the_service_refuses_today_in_the_same_words(db):
    subscription = factories.SubscriptionFactory()

    with pytest.raises(SubscriptionNotChangeable, match=REFUSED):
        subscription_pause(subscription=subscription, until=timezone.localdate())

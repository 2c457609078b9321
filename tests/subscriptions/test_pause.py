"""The restart a subscriber picks for a pause: one of the next renewals after the next one, so what
they pick is exactly when billing and deliveries restart (Stripe resumes collection just after the
renewal before it); one not offered is refused without asking Stripe."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from subscriptions.exceptions import SubscriptionNotChangeable
from subscriptions.models import Subscription
from subscriptions.services import subscription_pause
from tests import factories
from tests.subscriptions.conftest import advance
from tests.subscriptions.test_changes import (  # noqa: F401 (the subscribed fixture)
    DAY,
    deliver_news,
    later_orders,
    long_date,
    period,
    signed_in,
    subscribed,
    url,
)

REFUSED = "Choose one of the restart dates offered."


def restart_options(page: str) -> list[tuple[str, str]]:
    select = re.search(r'<select name="restart"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)


def test_the_restart_is_chosen_among_the_six_renewals_after_the_next(db):
    subscription = factories.SubscriptionFactory(
        current_period_end=datetime(2027, 1, 6, 9, tzinfo=UTC),
        billing_cycle_anchor=datetime(2026, 12, 6, 9, tzinfo=UTC),
    )

    page = signed_in(subscription.user).get(subscription.get_absolute_url()).text

    assert restart_options(page) == [
        ("", "Not until I resume it"),
        ("2027-02-06", "Restart with the delivery of 6 February 2027"),
        ("2027-03-06", "Restart with the delivery of 6 March 2027"),
        ("2027-04-06", "Restart with the delivery of 6 April 2027"),
        ("2027-05-06", "Restart with the delivery of 6 May 2027"),
        ("2027-06-06", "Restart with the delivery of 6 June 2027"),
        ("2027-07-06", "Restart with the delivery of 6 July 2027"),
    ]


def test_renewals_fall_whole_months_from_the_billing_anchor_as_stripe_clamps_them(db):
    # Anchored on 31 January: Stripe renews on 28 February, then 31 March, not 28 March.
    subscription = factories.SubscriptionFactory(
        current_period_end=datetime(2027, 2, 28, 9, tzinfo=UTC),
        billing_cycle_anchor=datetime(2027, 1, 31, 9, tzinfo=UTC),
    )

    page = signed_in(subscription.user).get(subscription.get_absolute_url()).text

    assert [value for value, _label in restart_options(page)][1:4] == [
        "2027-03-31",
        "2027-04-30",
        "2027-05-31",
    ]


@pytest.mark.parametrize("restart", ["2027-01-06", "2027-02-07", "2027-08-06", "soon"])
def test_a_restart_not_offered_is_refused_and_nothing_changes(db, restart):
    subscription = factories.SubscriptionFactory(
        current_period_end=datetime(2027, 1, 6, 9, tzinfo=UTC),
        billing_cycle_anchor=datetime(2026, 12, 6, 9, tzinfo=UTC),
    )
    neighbour = factories.SubscriptionFactory()
    neighbour.refresh_from_db()  # the stored time, at the database's millisecond precision
    client = Client()
    client.force_login(subscription.user)

    answer = client.post(
        reverse("subscriptions:pause", kwargs={"subscription_id": subscription.stripe_subscription_id}),
        {"restart": restart},
    )

    assert REFUSED in client.get(answer.headers["Location"]).text
    assert not Subscription.objects.get(pk=subscription.pk).is_paused
    assert Subscription.objects.get(pk=neighbour.pk).updated_at == neighbour.updated_at


def test_the_service_refuses_a_restart_that_is_not_a_renewal(db):
    subscription = factories.SubscriptionFactory(current_period_end=datetime(2027, 1, 6, 9, tzinfo=UTC))

    with pytest.raises(SubscriptionNotChangeable, match=REFUSED):
        subscription_pause(subscription=subscription, restart_with=datetime(2027, 2, 15, tzinfo=UTC))


def test_billing_and_deliveries_restart_with_the_renewal_chosen(subscribed):  # noqa: F811
    member, clock, record, stripe = subscribed
    neighbour = factories.SubscriptionFactory(user=factories.UserFactory())
    subscription_id = record.stripe_subscription_id
    client = signed_in(member)
    # The third renewal from now: the next two are voided.
    value, label = restart_options(client.get(url("detail", subscription_id)).text)[2]
    assert label.startswith("Restart with the delivery of ")

    paused = client.post(url("pause", subscription_id), {"restart": value})

    record = deliver_news(stripe, subscription_id)
    restart = record.renewal_after_pause
    assert restart.date().isoformat() == value
    assert f"Billing and deliveries restart on {long_date(restart)}." in (
        client.get(paused.headers["Location"]).text
    )
    for _ in range(3):
        advance(stripe, clock, to=period(stripe, subscription_id)[1] + DAY)
    deliver_news(stripe, subscription_id)
    [renewal] = later_orders(subscription_id)
    assert renewal.paid_at == restart
    assert Subscription.objects.get(pk=neighbour.pk).items == neighbour.items

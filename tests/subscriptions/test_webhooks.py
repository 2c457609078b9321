"""Stripe's subscription events keep the shop's subscription records in step with Stripe: each
handler reads the subscription again, so late, repeated and shuffled deliveries end on Stripe's state."""

import copy
import random
import re
import uuid
from datetime import UTC, datetime

import pytest
from allauth.account.models import EmailAddress

from payments import subscriptions as payments_subscriptions
from payments.models import WebhookEvent
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services import subscription_pause
from tests import factories
from tests.subscriptions.conftest import deliver, deliver_all, events_about


def stale_copy(event: dict, event_type: str, **changes) -> dict:
    """Return another event about the same subscription carrying an old or wrong copy of it."""
    stale = copy.deepcopy(event)
    stale["id"] = f"evt_{uuid.uuid4().hex[:24]}"
    stale["type"] = event_type
    stale["data"]["object"].update(changes)
    return stale


def assert_matches_stripe(record: Subscription, stripe_subscription):
    item = stripe_subscription.items.data[0]
    assert record.status == stripe_subscription.status
    assert record.cancel_at_period_end == stripe_subscription.cancel_at_period_end
    assert record.current_period_end == datetime.fromtimestamp(item.current_period_end, UTC)
    assert record.trial_end == (
        datetime.fromtimestamp(stripe_subscription.trial_end, UTC) if stripe_subscription.trial_end else None
    )
    assert record.latest_invoice_id == (stripe_subscription.latest_invoice or "")


def test_a_guest_subscription_checkout_is_recorded_as_stripe_has_it(
    guest_subscribes, coffee_plan, tea_plan, stripe_api, subscription_recorded
):
    subscription_id = guest_subscribes(coffee_plan, tea_plan, email="ada@example.com")

    record = subscription_recorded(subscription_id)

    stripe_subscription = stripe_api().v1.subscriptions.retrieve(subscription_id)
    assert_matches_stripe(record, stripe_subscription)
    # The tea offers no trial, so neither does the subscription (payments.checkout).
    assert (record.status, record.trial_end) == (SubscriptionStatus.ACTIVE, None)
    assert record.stripe_customer_id == stripe_subscription.customer
    assert (record.user, record.customer_email, record.currency) == (None, "ada@example.com", "usd")
    assert record.order.number == stripe_subscription.metadata["order_number"]
    assert record.order.stripe_checkout_session_id
    assert sorted(
        (item["product_name"], item["unit_amount"], item["interval"], item["quantity"], item["price_id"])
        for item in record.items
    ) == [
        ("Coffee club", 1200, "month", 1, str(coffee_plan.pk)),
        ("Tea of the month", 900, "month", 1, str(tea_plan.pk)),
    ]
    assert record.amount_per_period == 2100


def test_a_members_subscription_belongs_to_the_member(member_subscribes, coffee_plan, subscription_recorded):
    member = factories.UserFactory(email="member@example.com")

    record = subscription_recorded(member_subscribes(member, coffee_plan))

    assert (record.user, record.customer_email) == (member, "member@example.com")


def test_shuffled_repeated_and_stale_deliveries_end_on_stripes_state(
    guest_subscribes, coffee_plan, stripe_api, subscription_recorded
):
    subscription_id = guest_subscribes(coffee_plan)
    [created] = events_about(stripe_api(), subscription_id)
    # Copies that were true once, or never: each handler must read Stripe's state, not these.
    stale = [
        stale_copy(created, "customer.subscription.updated", status="past_due"),
        stale_copy(created, "customer.subscription.updated", cancel_at_period_end=True),
        stale_copy(created, "customer.subscription.deleted", status="canceled", ended_at=created["created"]),
        stale_copy(created, "customer.subscription.paused", status="paused"),
        stale_copy(created, "customer.subscription.resumed", status="active"),
    ]
    deliveries = [created, *stale] * 2
    random.Random(14).shuffle(deliveries)

    deliver_all(deliveries)

    record = Subscription.objects.get()
    assert_matches_stripe(record, stripe_api().v1.subscriptions.retrieve(subscription_id))
    assert record.status == SubscriptionStatus.TRIALING
    assert WebhookEvent.objects.filter(processed=True).count() == 6
    assert not WebhookEvent.objects.exclude(last_error="").exists()


def test_the_trial_reminder_is_sent_once_with_the_end_date_and_the_amount(
    guest_subscribes, coffee_plan, stripe_api, mailoutbox, client, quiet_sim
):
    subscription_id = guest_subscribes(coffee_plan, email="ada@example.com")
    [created] = events_about(stripe_api(), subscription_id)
    reminders = [stale_copy(created, "customer.subscription.trial_will_end") for _ in range(2)]

    deliver_all([*reminders, reminders[0]])

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    trial_end = datetime.fromtimestamp(stripe_api().v1.subscriptions.retrieve(subscription_id).trial_end, UTC)
    assert email.to == ["ada@example.com"]
    assert "trial" in email.subject.lower()
    assert f"ends on {trial_end.day} {trial_end:%B %Y}" in email.body
    assert "$12.00 every month" in email.body
    assert "$12.00" in email.alternatives[0][0]
    # A guest's link opens the subscription, with the button that leads to Stripe's portal.
    path = re.search(r"https?://[^/\s]+(/accounts/subscriptions/link/\S+)", email.body).group(1)
    page = client.get(path)
    assert page.status_code == 200
    assert "Coffee club" in page.text
    assert "Update card" in page.text
    portal = client.post(path)
    assert portal.status_code == 302
    assert portal.headers["Location"].startswith(quiet_sim.url + "/billing_portal/")


def test_no_reminder_once_the_trial_is_over(guest_subscribes, tea_plan, stripe_api, mailoutbox):
    subscription_id = guest_subscribes(tea_plan)
    [created] = events_about(stripe_api(), subscription_id)

    deliver_all([stale_copy(created, "customer.subscription.trial_will_end", status="trialing")])

    assert Subscription.objects.get().status == SubscriptionStatus.ACTIVE
    assert mailoutbox == []


def test_an_event_about_a_subscription_stripe_does_not_have_is_acknowledged_and_ignored(
    guest_subscribes, coffee_plan, stripe_api
):
    [created] = events_about(stripe_api(), guest_subscribes(coffee_plan))
    created["data"]["object"]["id"] = "sub_unknown0000000000"

    assert deliver(created).status_code == 200

    assert not Subscription.objects.exists()
    event = WebhookEvent.objects.get()
    assert event.processed
    assert "no subscription sub_unknown" in event.last_error


# An upcoming invoice has no id yet: its subscription is named by the event's copy. (The payment
# action required event reads its invoice again from Stripe: tests/subscriptions/test_billing_cycle.py.)
@pytest.mark.parametrize("event_type", ["invoice.upcoming"])
def test_an_invoice_event_applies_its_subscription(guest_subscribes, coffee_plan, stripe_api, event_type):
    subscription_id = guest_subscribes(coffee_plan)
    invoice = {
        "object": "invoice",
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription_id}},
    }
    [created] = events_about(stripe_api(), subscription_id)
    event = stale_copy(created, event_type)
    event["data"]["object"] = invoice

    assert deliver(event).status_code == 200

    assert_matches_stripe(Subscription.objects.get(), stripe_api().v1.subscriptions.retrieve(subscription_id))


def test_changes_made_at_stripe_arrive_in_any_order_and_the_record_ends_as_stripe_has_it(
    guest_subscribes, coffee_plan, stripe_api
):
    subscription_id = guest_subscribes(coffee_plan)
    stripe = stripe_api()
    stripe.v1.subscriptions.update(subscription_id, {"cancel_at_period_end": True})
    stripe.v1.subscriptions.update(subscription_id, {"cancel_at_period_end": False})
    stripe.v1.subscriptions.cancel(subscription_id)
    deliveries = events_about(stripe, subscription_id)
    assert {event["type"] for event in deliveries} == {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
    deliveries = deliveries * 2
    random.Random(5).shuffle(deliveries)

    deliver_all(deliveries)

    record = Subscription.objects.get()
    assert_matches_stripe(record, stripe.v1.subscriptions.retrieve(subscription_id))
    assert record.status == SubscriptionStatus.CANCELED
    assert record.ended_at is not None
    assert record.next_charge_at is None


def test_a_guests_subscription_goes_to_the_account_that_verified_the_address(
    guest_subscribes, coffee_plan, subscription_recorded
):
    member = factories.UserFactory(email="ada@example.com")
    EmailAddress.objects.create(user=member, email="ada@example.com", primary=True, verified=True)

    record = subscription_recorded(guest_subscribes(coffee_plan, email="Ada@Example.com"))

    assert record.user == member


def test_an_invoice_that_bills_no_subscription_is_acknowledged_and_ignored(
    guest_subscribes, coffee_plan, stripe_api
):
    [created] = events_about(stripe_api(), guest_subscribes(coffee_plan))
    event = stale_copy(created, "invoice.upcoming")
    event["data"]["object"] = {"object": "invoice", "parent": None}

    assert deliver(event).status_code == 200

    stored = WebhookEvent.objects.get()
    assert stored.processed
    assert "bills no subscription" in stored.last_error
    assert not Subscription.objects.exists()


def test_an_event_read_before_the_subscriber_paused_never_unpauses_the_record(
    guest_subscribes, coffee_plan, stripe_api, subscription_recorded, monkeypatch
):
    subscription_id = guest_subscribes(coffee_plan, email="ada@example.com")
    neighbour_id = guest_subscribes(coffee_plan, email="bob@example.com")
    subscription_recorded(subscription_id)
    subscription_recorded(neighbour_id)
    [created] = events_about(stripe_api(), subscription_id)
    read = payments_subscriptions.event_object_from_stripe

    def read_then_the_subscriber_pauses(event, **kwargs):
        # The worker read Stripe's copy; the subscriber's pause lands before it writes it.
        copy = read(event, **kwargs)
        subscription_pause(
            subscription=Subscription.objects.get(stripe_subscription_id=subscription_id), restart_with=None
        )
        return copy

    monkeypatch.setattr(payments_subscriptions, "event_object_from_stripe", read_then_the_subscriber_pauses)
    deliver(stale_copy(created, "customer.subscription.updated"))

    assert Subscription.objects.get(stripe_subscription_id=subscription_id).is_paused
    assert not Subscription.objects.get(stripe_subscription_id=neighbour_id).is_paused

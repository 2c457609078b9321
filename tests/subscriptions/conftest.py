"""Subscriptions test wiring: real subscriptions made by the shop's own checkout on the quiet
simulator, and their events posted, signed, to the webhook endpoint by the test."""

import json
import time

import pytest
from django.test import Client

from payments.catalog_sync import catalog_price_ensure_stripe
from subscriptions.models import Subscription
from tests import factories
from tests.payments.conftest import (  # noqa: F401 (fixtures)
    guest_with_cart,
    signature_headers,
    user_with_cart,
)

WEBHOOK = "/payments/webhook/"
SUBSCRIPTION_EVENT_TYPES = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
)


@pytest.fixture
def coffee_plan(db):
    return factories.PriceFactory(
        monthly=True, product__name="Coffee club", unit_amount=1200, trial_period_days=14
    )


@pytest.fixture
def tea_plan(db):
    return factories.PriceFactory(monthly=True, product__name="Tea of the month", unit_amount=900)


@pytest.fixture
def big_tea(tea_plan, quiet_sim):
    """Two bags of the tea a month: the same product's dearer plan, in Stripe."""
    price = factories.PriceFactory(
        monthly=True, product=tea_plan.product, unit_amount=1800, nickname="2 bags"
    )
    catalog_price_ensure_stripe(price=price)
    return price


def pay_for_subscription(purchase, stripe_api, *, email="buyer@example.com", **fields) -> str:
    """Check the purchase out and pay on Stripe's page; return the Stripe subscription id."""
    response = purchase.shopper.checkout()
    assert response.status_code == 303, response.text
    page_url = response.headers["Location"]
    assert purchase.shopper.on_stripe_page(page_url, "pay", email=email, **fields).status_code == 303
    session = stripe_api().v1.checkout.sessions.retrieve(page_url.rsplit("/", 1)[1])
    assert session.subscription.startswith("sub_")
    return session.subscription


@pytest.fixture
def guest_subscribes(quiet_sim, guest_with_cart, stripe_api):  # noqa: F811
    """Return a maker of a guest's Stripe subscription to the given prices (nothing delivered yet)."""

    def make(*prices, email="buyer@example.com") -> str:
        return pay_for_subscription(
            guest_with_cart(*[(price, 1) for price in prices]), stripe_api, email=email
        )

    return make


@pytest.fixture
def member_subscribes(quiet_sim, user_with_cart, stripe_api):  # noqa: F811
    """Return a maker of a member's Stripe subscription to the given prices (nothing delivered yet)."""

    def make(user, *prices, **fields) -> str:
        purchase = user_with_cart(user, *[(price, 1) for price in prices])
        return pay_for_subscription(purchase, stripe_api, email=user.email, **fields)

    return make


INVOICE_EVENT_TYPES = ("invoice.payment_failed", "invoice.payment_action_required", "invoice.upcoming")
# The simulator's card that pays at checkout and declines every renewal.
DECLINES_RENEWALS = "4000009999000006"


@pytest.fixture
def clocked_member(quiet_sim, stripe_api, db):
    """Return a member whose Stripe customer lives on a test clock of their own, and the clock."""
    stripe = stripe_api()
    clock = stripe.v1.test_helpers.test_clocks.create({"frozen_time": int(time.time()), "name": "member"})
    member = factories.UserFactory(email="clocked@example.com")
    customer = stripe.v1.customers.create({"email": member.email, "test_clock": clock.id})
    member.stripe_customer_id = customer.id
    member.save(update_fields=["stripe_customer_id"])
    return member, clock


def advance(stripe_client, clock, *, to: int) -> None:
    stripe_client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": to})


def events_about(
    stripe_client, subscription_id: str, event_types=SUBSCRIPTION_EVENT_TYPES + INVOICE_EVENT_TYPES
) -> list[dict]:
    """Return the simulator's events about one subscription (or its invoices), oldest first."""
    found = []
    for event_type in event_types:
        for event in stripe_client.v1.events.list({"type": event_type, "limit": 100}).auto_paging_iter():
            event = event.to_dict()
            obj = event["data"]["object"]
            details = (obj.get("parent") or {}).get("subscription_details") or {}
            if subscription_id in (obj.get("id"), details.get("subscription")):
                found.append(event)
    return sorted(found, key=lambda event: event["created"])


def deliver(event: dict, client=None):
    """Post one event to the webhook endpoint, signed as Stripe signs it; return the response."""
    # to_dict() turns Stripe's decimal strings (unit_amount_decimal) into Decimal: send them as strings.
    payload = json.dumps(event, default=str)
    return (client or Client()).post(
        WEBHOOK, payload, content_type="application/json", headers=signature_headers(payload)
    )


def deliver_all(events):
    for event in events:
        response = deliver(event)
        assert response.status_code == 200, response.content


@pytest.fixture
def subscription_recorded(stripe_api):
    """Return a maker that delivers a subscription's events so far; it returns the record."""

    def make(subscription_id: str):
        deliver_all(events_about(stripe_api(), subscription_id))
        return Subscription.objects.get(stripe_subscription_id=subscription_id)

    return make

"""Stripe's customer portal as the shop opens it: the card, the invoices and a cancellation at the
period end are there, a plan or quantity change is not (the shop makes those itself, priced by
Stripe's preview and never charging time twice); its configuration is made once, by the shop."""

import pytest
import requests
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.subscriptions.conftest import events_about


@pytest.fixture
def member(db):
    return factories.UserFactory(email="member@example.com")


def open_portal(member, subscription_id) -> str:
    """Press the shop's "Update card & invoices" button; return the portal page it leads to."""
    client = Client()
    client.force_login(member)
    response = client.post(reverse("subscriptions:portal", kwargs={"subscription_id": subscription_id}))
    assert response.status_code == 302
    assert "/billing_portal/" in response.headers["Location"]
    return response.headers["Location"]


def shop_configurations(stripe):
    """The active portal configurations the shop made (every one but the account's default)."""
    return stripe.v1.billing_portal.configurations.list({"active": True, "is_default": False}).data


def test_the_shops_portal_offers_no_plan_switch_and_refuses_a_forged_one(
    member, member_subscribes, tea_plan, big_tea, subscription_recorded, stripe_api
):
    stripe = stripe_api()
    neighbour = factories.UserFactory(email="neighbour@example.com")
    neighbour_id = member_subscribes(neighbour, tea_plan)
    subscription_id = subscription_recorded(member_subscribes(member, tea_plan)).stripe_subscription_id
    customer = stripe.v1.subscriptions.retrieve(subscription_id).customer
    # The account's default portal would let the customer switch to the dearer plan.
    default_portal = stripe.v1.billing_portal.sessions.create({"customer": customer}).url
    assert "Switch plan" in requests.get(default_portal, timeout=10).text
    tea = stripe.v1.subscriptions.retrieve(neighbour_id)["items"].data[0].price.id
    updates_before = len(
        events_about(stripe, subscription_id, event_types=("customer.subscription.updated",))
    )

    portal = open_portal(member, subscription_id)
    page = requests.get(portal, timeout=10).text
    forged = requests.post(
        portal,
        data={"action": "switch_plan", "subscription": subscription_id, "price": big_tea.stripe_price_id},
        timeout=10,
    ).text

    assert "Update card" in page
    assert "Cancel at period end" in page
    assert "Switch plan" not in page
    assert big_tea.stripe_price_id not in page
    assert "Plan and quantity changes are made in the shop" in page
    assert "This portal does not offer plan changes." in forged
    for unchanged in (subscription_id, neighbour_id):
        item = stripe.v1.subscriptions.retrieve(unchanged)["items"].data[0]
        assert (item.price.id, item.quantity) == (tea, 1)
    updates = events_about(stripe, subscription_id, event_types=("customer.subscription.updated",))
    assert len(updates) == updates_before


def test_the_portal_configuration_is_made_once_and_found_again_after_the_cache_is_emptied(
    member, member_subscribes, tea_plan, subscription_recorded, stripe_api
):
    stripe = stripe_api()
    subscription_id = subscription_recorded(member_subscribes(member, tea_plan)).stripe_subscription_id

    open_portal(member, subscription_id)
    open_portal(member, subscription_id)
    cache.clear()
    portal = open_portal(member, subscription_id)

    [configuration] = shop_configurations(stripe)
    features = configuration.features
    assert features.subscription_update.enabled is False
    assert features.payment_method_update.enabled is True
    assert features.invoice_history.enabled is True
    assert (features.subscription_cancel.enabled, features.subscription_cancel.mode) == (
        True,
        "at_period_end",
    )
    assert "Switch plan" not in requests.get(portal, timeout=10).text


def test_a_configuration_deactivated_at_stripe_is_replaced_on_the_next_visit(
    member, member_subscribes, tea_plan, subscription_recorded, stripe_api
):
    stripe = stripe_api()
    subscription_id = subscription_recorded(member_subscribes(member, tea_plan)).stripe_subscription_id
    open_portal(member, subscription_id)
    [first] = shop_configurations(stripe)
    # As someone tidying the portal settings in Stripe's dashboard might.
    stripe.v1.billing_portal.configurations.update(first.id, {"active": False})

    portal = open_portal(member, subscription_id)

    [replacement] = shop_configurations(stripe)
    assert replacement.id != first.id
    page = requests.get(portal, timeout=10).text
    assert "Update card" in page
    assert "Switch plan" not in page

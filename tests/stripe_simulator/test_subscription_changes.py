"""Changes to what a subscription bills, through the real stripe SDK: a plan or quantity change
with prorations (charged now, pending, or none), the invoice preview of such a change, credit
carried as customer balance, and paused collection."""

from datetime import UTC, datetime

import pytest
import stripe

from .test_billing import DAY, advance, subscribe_on_clock
from .test_simulator import get, post

# 2031-03-01 12:00 UTC: a 31-day March, so half way is 15.5 days on.
START = int(datetime(2031, 3, 1, 12, tzinfo=UTC).timestamp())
MARCH_END = int(datetime(2031, 4, 1, 12, tzinfo=UTC).timestamp())
HALF_WAY = START + (MARCH_END - START) // 2


@pytest.fixture
def big_monthly(client, catalog):
    """The club's second plan, 24.00 a month."""
    club = client.v1.prices.retrieve(catalog["monthly"].id).product
    return client.v1.prices.create(
        params={"product": club, "unit_amount": 2400, "currency": "usd", "recurring": {"interval": "month"}}
    )


def change(client, subscription, **params):
    return client.v1.subscriptions.update(subscription.id, params=params)


def item_of(subscription):
    return subscription["items"].data[0]


def test_an_upgrade_half_way_invoiced_now_charges_half_the_difference(
    sim, client, catalog, big_monthly, receiver
):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    advance(client, clock, HALF_WAY)

    changed = change(
        client,
        subscription,
        items=[{"id": item_of(subscription).id, "price": big_monthly.id}],
        proration_behavior="always_invoice",
    )

    assert item_of(changed).id == item_of(subscription).id
    assert (item_of(changed).price.id, item_of(changed).quantity) == (big_monthly.id, 1)
    invoice = client.v1.invoices.retrieve(changed.latest_invoice)
    assert (invoice.billing_reason, invoice.status) == ("subscription_update", "paid")
    assert invoice.amount_paid == 1200 - 600  # -6.00 unused + 12.00 remaining
    assert invoice.parent.subscription_details.subscription_proration_date == HALF_WAY
    unused, remaining = invoice.lines.data
    assert (unused.amount, remaining.amount) == (-600, 1200)
    assert unused.parent.subscription_item_details.proration is True
    assert unused.parent.subscription_item_details.invoice_item.startswith("ii_")
    credited = unused.parent.subscription_item_details.proration_details.credited_items
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (credited.invoice, credited.invoice_line_items) == (first.id, [first.lines.data[0].id])
    assert unused.description.startswith("Unused time on Coffee club after")
    assert remaining.description.startswith("Remaining time on Coffee club after")
    assert (remaining.period.start, remaining.period.end) == (HALF_WAY, MARCH_END)
    assert [p.status for p in client.v1.invoice_payments.list(params={"invoice": invoice.id}).data] == [
        "paid"
    ]
    sim.wait_for_deliveries(timeout=5)
    [updated] = [
        e
        for e in receiver.of_type("customer.subscription.updated")
        if "items" in e.data.to_dict().get("previous_attributes", {})
    ]
    assert updated.data.previous_attributes["items"]["data"][0]["price"]["id"] == catalog["monthly"].id

    advance(client, clock, MARCH_END + DAY)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (renewal.billing_reason, renewal.amount_paid) == ("subscription_cycle", 2400)


def test_the_preview_of_a_change_is_what_the_change_then_charges(sim, client, catalog, big_monthly):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    advance(client, clock, HALF_WAY)
    items = [{"id": item_of(subscription).id, "price": big_monthly.id}]

    preview = client.v1.invoices.create_preview(
        params={
            "subscription": subscription.id,
            "subscription_details": {
                "items": items,
                "proration_behavior": "always_invoice",
                "proration_date": HALF_WAY,
            },
        }
    )
    next_period = client.v1.invoices.create_preview(
        params={
            "subscription": subscription.id,
            "subscription_details": {"items": items, "proration_behavior": "none"},
        }
    )

    assert preview.id.startswith("upcoming_in_")
    assert (preview.billing_reason, preview.amount_due) == ("subscription_update", 600)
    assert (next_period.billing_reason, next_period.amount_due) == ("upcoming", 2400)
    assert next_period.period_end == MARCH_END
    # A preview changes nothing.
    assert item_of(client.v1.subscriptions.retrieve(subscription.id)).price.id == catalog["monthly"].id
    changed = change(
        client, subscription, items=items, proration_behavior="always_invoice", proration_date=HALF_WAY
    )
    assert client.v1.invoices.retrieve(changed.latest_invoice).amount_paid == preview.amount_due


def test_a_quantity_change_pending_until_the_renewal_is_billed_with_it(sim, client, catalog):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    advance(client, clock, HALF_WAY)

    changed = change(client, subscription, items=[{"id": item_of(subscription).id, "quantity": 3}])

    assert changed.latest_invoice == subscription.latest_invoice
    preview = client.v1.invoices.create_preview(params={"subscription": subscription.id})
    assert client.v1.invoices.create_preview(params={"customer": subscription.customer}).amount_due == (
        preview.amount_due
    )
    # 12.00 more for the rest of March (3 x 6.00 - 6.00), then 3 x 12.00 for April.
    assert preview.amount_due == 1200 + 3600
    advance(client, clock, MARCH_END + DAY)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert renewal.amount_paid == 1200 + 3600
    assert [line.parent.subscription_item_details.proration for line in renewal.lines.data] == [
        True,
        True,
        False,
    ]


def test_a_downgrade_invoiced_now_leaves_a_credit_the_renewal_uses(sim, client, catalog, big_monthly):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    item = item_of(subscription)
    change(client, subscription, items=[{"id": item.id, "price": big_monthly.id}], proration_behavior="none")
    advance(client, clock, HALF_WAY)

    changed = change(
        client,
        subscription,
        items=[{"id": item.id, "price": catalog["monthly"].id}],
        proration_behavior="always_invoice",
    )

    invoice = client.v1.invoices.retrieve(changed.latest_invoice)
    assert (invoice.total, invoice.amount_due, invoice.status) == (-600, 0, "paid")
    assert invoice.ending_balance == -600
    assert client.v1.customers.retrieve(subscription.customer).balance == -600
    advance(client, clock, MARCH_END + DAY)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (renewal.total, renewal.starting_balance, renewal.amount_paid) == (1200, -600, 600)
    assert client.v1.customers.retrieve(subscription.customer).balance == 0


def test_no_proration_changes_the_price_from_the_next_period(sim, client, catalog, big_monthly):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    advance(client, clock, HALF_WAY)

    changed = change(
        client,
        subscription,
        items=[{"id": item_of(subscription).id, "price": big_monthly.id}],
        proration_behavior="none",
    )

    assert changed.latest_invoice == subscription.latest_invoice
    advance(client, clock, MARCH_END + DAY)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert renewal.amount_paid == 2400


@pytest.mark.parametrize(
    ("behavior", "status", "event"),
    [
        ("void", "void", "invoice.voided"),
        ("mark_uncollectible", "uncollectible", "invoice.marked_uncollectible"),
    ],
)
def test_a_renewal_while_collection_is_paused_charges_nothing_until_it_resumes(
    sim, client, catalog, receiver, behavior, status, event
):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    resumes_at = MARCH_END + 10 * DAY

    paused = change(client, subscription, pause_collection={"behavior": behavior, "resumes_at": resumes_at})

    assert (paused.pause_collection.behavior, paused.pause_collection.resumes_at) == (behavior, resumes_at)
    assert paused.status == "active"
    advance(client, clock, MARCH_END + DAY)
    skipped = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (skipped.billing_reason, skipped.status, skipped.amount_paid) == ("subscription_cycle", status, 0)
    assert client.v1.invoice_payments.list(params={"invoice": skipped.id}).data == []
    advance(client, clock, resumes_at + DAY)
    assert client.v1.subscriptions.retrieve(subscription.id).pause_collection is None
    advance(client, clock, int(datetime(2031, 5, 1, 13, tzinfo=UTC).timestamp()))
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (renewal.status, renewal.amount_paid) == ("paid", 1200)
    sim.wait_for_deliveries(timeout=5)
    assert [e.data.object.id for e in receiver.of_type(event)] == [skipped.id]


def test_paused_until_resumed_then_resumed_by_hand(sim, client, catalog):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    change(client, subscription, pause_collection={"behavior": "void"})
    advance(client, clock, int(datetime(2031, 5, 1, 13, tzinfo=UTC).timestamp()))

    resumed = change(client, subscription, pause_collection="")

    assert resumed.pause_collection is None
    invoices = client.v1.invoices.list(params={"subscription": subscription.id}).data
    assert [i.status for i in invoices if i.billing_reason == "subscription_cycle"] == ["void", "void"]


def test_another_interval_restarts_the_period_now_and_invoices_it_less_the_unused_time(
    sim, client, catalog, big_monthly
):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    yearly = client.v1.prices.create(
        params={
            "product": big_monthly.product,
            "unit_amount": 12000,
            "currency": "usd",
            "recurring": {"interval": "year"},
        }
    )
    advance(client, clock, HALF_WAY)
    items = [{"id": item_of(subscription).id, "price": yearly.id}]

    preview = client.v1.invoices.create_preview(
        params={"subscription": subscription.id, "subscription_details": {"items": items}}
    )
    changed = change(client, subscription, items=items)

    invoice = client.v1.invoices.retrieve(changed.latest_invoice)
    assert (invoice.billing_reason, invoice.status, invoice.amount_paid) == (
        "subscription_update",
        "paid",
        12000 - 600,
    )
    assert preview.amount_due == invoice.amount_paid
    assert changed.billing_cycle_anchor == HALF_WAY
    assert item_of(changed).current_period_end == int(datetime(2032, 3, 17, 0, tzinfo=UTC).timestamp())
    advance(client, clock, MARCH_END + DAY)
    assert (
        client.v1.subscriptions.retrieve(subscription.id).latest_invoice == invoice.id
    )  # no monthly renewal


def test_changes_are_refused_the_way_stripe_refuses_them(sim, client, catalog, big_monthly):
    _clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    item = item_of(subscription)
    yearly = client.v1.prices.create(
        params={
            "product": big_monthly.product,
            "unit_amount": 9000,
            "currency": "usd",
            "recurring": {"interval": "year"},
        }
    )
    refused = [
        {"items": [{"id": "si_missing", "quantity": 2}]},
        {"items": [{"id": item.id, "price": catalog["mug"].id}]},
        {"items": [{"id": item.id, "price": catalog["poster_eur"].id}]},
        {"items": [{"price": yearly.id}]},
        {"proration_behavior": "sometimes"},
        {"items": [{"id": item.id, "quantity": 2}], "proration_date": START - DAY},
        {"pause_collection": {"behavior": "forever"}},
        {"pause_collection": {"behavior": "void", "resumes_at": START - 1}},
    ]
    for params in refused:
        with pytest.raises(stripe.InvalidRequestError):
            change(client, subscription, **params)
    assert item_of(client.v1.subscriptions.retrieve(subscription.id)).quantity == 1


def test_the_portal_switches_the_plan_with_the_proration_on_the_next_invoice(
    sim, client, catalog, big_monthly
):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    advance(client, clock, HALF_WAY)
    portal = client.v1.billing_portal.sessions.create(params={"customer": subscription.customer})
    assert "Coffee club: $24.00 / month" in get(portal.url)

    status, _, page = post(
        portal.url, {"action": "switch_plan", "subscription": subscription.id, "price": big_monthly.id}
    )

    assert status == 200
    assert "Your plan was changed." in page
    assert "Next charge: $24.00" in page
    assert item_of(client.v1.subscriptions.retrieve(subscription.id)).price.id == big_monthly.id
    assert (
        client.v1.invoices.create_preview(params={"subscription": subscription.id}).amount_due == 600 + 2400
    )
    _, _, refused = post(
        portal.url, {"action": "switch_plan", "subscription": subscription.id, "price": catalog["mug"].id}
    )
    assert "Choose one of the plans offered." in refused


def test_a_portal_configured_without_subscription_update_offers_no_switch_and_refuses_a_forged_one(
    sim, client, catalog, big_monthly
):
    _clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    configuration = client.v1.billing_portal.configurations.create(
        params={
            "business_profile": {"headline": "Plans change in the shop."},
            "features": {
                "invoice_history": {"enabled": True},
                "payment_method_update": {"enabled": True},
                "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
                "subscription_update": {"enabled": False},
            },
        }
    )
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": subscription.customer, "configuration": configuration.id}
    )
    assert portal.configuration == configuration.id

    page = get(portal.url)
    _, _, refused = post(
        portal.url, {"action": "switch_plan", "subscription": subscription.id, "price": big_monthly.id}
    )

    assert "Plans change in the shop." in page
    assert "Switch plan" not in page
    assert big_monthly.id not in page
    assert "Update card" in page
    assert "Cancel at period end" in page
    assert "This portal does not offer plan changes." in refused
    assert item_of(client.v1.subscriptions.retrieve(subscription.id)).price.id == catalog["monthly"].id
    _, _, canceled = post(portal.url, {"action": "cancel", "subscription": subscription.id})
    assert "Cancels on" in canceled
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is True


def test_a_portal_without_card_updates_invoices_or_cancellation_offers_none_of_them(sim, client, catalog):
    _clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    configuration = client.v1.billing_portal.configurations.create(
        params={
            "features": {
                "invoice_history": {"enabled": False},
                "payment_method_update": {"enabled": False},
                "subscription_cancel": {"enabled": False},
                "subscription_update": {"enabled": False},
            },
        }
    )
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": subscription.customer, "configuration": configuration.id}
    )

    page = get(portal.url)
    _, _, cancel = post(portal.url, {"action": "cancel", "subscription": subscription.id})
    _, _, card = post(portal.url, {"action": "update_card", "card": "4000 0000 0000 0002"})

    assert "Cancel at period end" not in page
    assert "Update card" not in page
    assert "<caption>Invoices</caption>" not in page
    assert "This portal does not offer cancellation." in cancel
    assert "This portal does not offer card updates." in card
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is False
    assert client.v1.customers.retrieve(subscription.customer).invoice_settings.default_payment_method is None


def test_a_portal_that_cancels_immediately_ends_the_subscription_now(sim, client, catalog):
    _clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    configuration = client.v1.billing_portal.configurations.create(
        params={"features": {"subscription_cancel": {"enabled": True, "mode": "immediately"}}}
    )
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": subscription.customer, "configuration": configuration.id}
    )

    assert '<button type="submit" name="action" value="cancel">Cancel now</button>' in get(portal.url)
    _, _, page = post(portal.url, {"action": "cancel", "subscription": subscription.id})

    assert "Your subscription was canceled." in page
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert (ended.status, ended.ended_at) == ("canceled", START)


def test_a_subscription_item_changes_its_quantity_as_the_subscription_update_does(sim, client, catalog):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    advance(client, clock, HALF_WAY)
    item_id = item_of(subscription).id

    changed = client.v1.subscription_items.update(
        item_id, params={"quantity": 2, "proration_behavior": "always_invoice", "metadata": {"gift": "yes"}}
    )

    assert (changed.id, changed.quantity, changed.metadata.to_dict()) == (item_id, 2, {"gift": "yes"})
    assert client.v1.subscription_items.retrieve(item_id).quantity == 2
    listed = client.v1.subscription_items.list(params={"subscription": subscription.id}).data
    assert [(i.id, i.quantity) for i in listed] == [(item_id, 2)]
    latest = client.v1.subscriptions.retrieve(subscription.id).latest_invoice
    assert client.v1.invoices.retrieve(latest).amount_paid == 600  # one more for half of March
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscription_items.retrieve("si_missing")


# The simulator's card that pays at checkout and declines every payment made without the customer.
DECLINES_WHEN_AWAY = "4000009999000006"
HOUR = 3_600


def test_a_declined_upgrade_with_pending_if_incomplete_waits_unapplied_until_its_invoice_is_paid(
    sim, client, catalog, big_monthly, receiver
):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START, card=DECLINES_WHEN_AWAY)
    advance(client, clock, HALF_WAY)
    item = item_of(subscription)
    upgrade = {
        "items": [{"id": item.id, "price": big_monthly.id}],
        "proration_behavior": "always_invoice",
        "payment_behavior": "pending_if_incomplete",
    }

    changed = change(client, subscription, **upgrade)

    # Not applied: the subscription keeps its price and status and carries the update instead.
    assert (changed.status, item_of(changed).price.id) == ("active", catalog["monthly"].id)
    pending = changed.pending_update
    assert sorted(pending.to_dict()) == [
        "billing_cycle_anchor",
        "cancel_at_period_end",
        "discount",
        "discounts",
        "expires_at",
        "metadata",
        "subscription_items",
        "trial_end",
        "trial_from_plan",
    ]
    assert [(i.id, i.price.id) for i in pending.subscription_items] == [(item.id, big_monthly.id)]
    assert pending.expires_at == HALF_WAY + 23 * HOUR
    invoice = client.v1.invoices.retrieve(changed.latest_invoice)
    assert (invoice.billing_reason, invoice.status, invoice.amount_remaining) == (
        "subscription_update",
        "open",
        600,
    )
    # Other parameters cannot ride along with a pending update.
    with pytest.raises(stripe.InvalidRequestError):
        change(client, subscription, **upgrade, metadata={"gift": "yes"})

    status, _, page = post(invoice.hosted_invoice_url, {"action": "pay"})

    assert status == 200
    assert "Invoice paid." in page
    applied = client.v1.subscriptions.retrieve(subscription.id)
    assert (applied.pending_update, item_of(applied).price.id) == (None, big_monthly.id)
    sim.wait_for_deliveries(timeout=5)
    assert [e.data.object.id for e in receiver.of_type("customer.subscription.pending_update_applied")] == [
        subscription.id
    ]


def test_an_unpaid_pending_update_expires_its_invoice_voided_and_the_plan_unchanged(
    sim, client, catalog, big_monthly, receiver
):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START, card=DECLINES_WHEN_AWAY)
    advance(client, clock, HALF_WAY)
    changed = change(
        client,
        subscription,
        items=[{"id": item_of(subscription).id, "quantity": 3}],
        proration_behavior="always_invoice",
        payment_behavior="pending_if_incomplete",
    )

    advance(client, clock, HALF_WAY + DAY)

    expired = client.v1.subscriptions.retrieve(subscription.id)
    assert (expired.status, expired.pending_update, item_of(expired).quantity) == ("active", None, 1)
    invoice = client.v1.invoices.retrieve(changed.latest_invoice)
    assert (invoice.status, invoice.amount_paid) == ("void", 0)
    advance(client, clock, MARCH_END + DAY)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (renewal.billing_reason, renewal.amount_due) == ("subscription_cycle", 1200)
    sim.wait_for_deliveries(timeout=5)
    assert [e.data.object.id for e in receiver.of_type("customer.subscription.pending_update_expired")] == [
        subscription.id
    ]


def test_the_preview_of_the_next_period_takes_off_the_coupon_the_renewal_takes_off(
    sim, client, catalog, big_monthly
):
    coupon = client.v1.coupons.create(params={"percent_off": 25, "duration": "forever"})
    clock, subscription = subscribe_on_clock(sim, client, catalog, START, discounts=[{"coupon": coupon.id}])
    items = [{"id": item_of(subscription).id, "price": big_monthly.id}]

    preview = client.v1.invoices.create_preview(
        params={
            "subscription": subscription.id,
            "subscription_details": {"items": items, "proration_behavior": "none"},
        }
    )
    change(client, subscription, items=items, proration_behavior="none")
    advance(client, clock, MARCH_END + DAY)

    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (preview.total_discount_amounts[0].amount, preview.amount_due) == (600, 1800)
    assert renewal.amount_paid == preview.amount_due

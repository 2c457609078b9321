"""Subscription billing in the simulator, through the real stripe SDK: invoices and their
payments, changes to a subscription, test clocks, renewals, failed renewals and retries."""

from datetime import UTC, datetime

import pytest
import stripe

from stripe_simulator import StripeSimulator

from .test_simulator import SECRET, create_session, get, post


def subscribe(sim, client, line_items, card="4242424242424242", **params):
    session = create_session(client, line_items, mode="subscription", **params)
    return sim.pay(session.id, card=card)


def test_a_paid_subscription_checkout_makes_its_first_invoice_paid_by_a_payment_intent(
    sim, client, catalog, receiver
):
    paid = subscribe(sim, client, [{"price": catalog["monthly"].id, "quantity": 2}])

    invoice = client.v1.invoices.retrieve(paid["invoice"], params={"expand": ["payments"]})
    subscription = client.v1.subscriptions.retrieve(paid["subscription"])
    assert subscription.latest_invoice == invoice.id
    assert (invoice.status, invoice.billing_reason) == ("paid", "subscription_create")
    assert (invoice.amount_due, invoice.amount_paid, invoice.amount_remaining) == (2400, 2400, 0)
    assert invoice.parent.subscription_details.subscription == subscription.id
    assert invoice.customer == paid["customer"]
    [line] = invoice.lines.data
    assert (line.amount, line.quantity, line.pricing.price_details.price) == (2400, 2, catalog["monthly"].id)
    [payment] = invoice.payments.data
    assert (payment.status, payment.amount_paid, payment.payment.type) == ("paid", 2400, "payment_intent")
    intent = client.v1.payment_intents.retrieve(payment.payment.payment_intent)
    assert (intent.status, intent.amount, intent.customer) == ("succeeded", 2400, paid["customer"])
    listed = client.v1.invoice_payments.list(
        params={"payment": {"type": "payment_intent", "payment_intent": intent.id}}
    )
    assert [p.id for p in listed.data] == [payment.id]
    assert [i.id for i in client.v1.invoices.list(params={"subscription": subscription.id}).data] == [
        invoice.id
    ]

    sim.wait_for_deliveries(timeout=5)
    types = receiver.types()
    order = [
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.succeeded",
        "invoice_payment.paid",
        "invoice.paid",
        "invoice.payment_succeeded",
        "checkout.session.completed",
    ]
    assert [types.index(t) for t in order] == sorted(types.index(t) for t in order)


def test_a_trial_invoices_only_the_one_time_items_due_today(sim, client, catalog):
    paid = subscribe(
        sim,
        client,
        [{"price": catalog["monthly"].id, "quantity": 1}, {"price": catalog["sticker"].id, "quantity": 2}],
        subscription_data={"trial_period_days": 14},
    )

    invoice = client.v1.invoices.retrieve(paid["invoice"], params={"expand": ["payments"]})
    assert (invoice.status, invoice.total, invoice.amount_paid) == ("paid", 1000, 1000)
    lines = {line.description: line.amount for line in client.v1.invoices.line_items.list(invoice.id).data}
    assert lines == {"Trial period for Coffee club": 0, "Sticker": 1000}
    assert [p.amount_paid for p in invoice.payments.data] == [1000]


def test_a_trial_of_recurring_items_only_is_a_paid_invoice_of_zero_without_a_payment(
    sim, client, catalog, receiver
):
    paid = subscribe(
        sim,
        client,
        [{"price": catalog["monthly"].id, "quantity": 1}],
        subscription_data={"trial_period_days": 7},
    )

    invoice = client.v1.invoices.retrieve(paid["invoice"], params={"expand": ["payments"]})
    assert (invoice.status, invoice.amount_due, invoice.payments.data) == ("paid", 0, [])
    sim.wait_for_deliveries(timeout=5)
    assert "invoice.paid" in receiver.types()
    assert "payment_intent.created" not in receiver.types()


def test_the_payment_intent_of_an_invoice_can_be_refunded(sim, client, catalog, receiver):
    paid = subscribe(sim, client, [{"price": catalog["monthly"].id, "quantity": 1}])
    [payment] = client.v1.invoice_payments.list(params={"invoice": paid["invoice"]}).data

    refund = client.v1.refunds.create(params={"payment_intent": payment.payment.payment_intent})

    assert (refund.status, refund.amount) == ("succeeded", 1200)
    sim.wait_for_deliveries(timeout=5)
    assert receiver.of_type("charge.refunded")[0].data.object.amount_refunded == 1200


def test_cancel_at_period_end_then_resume_then_cancel_now(sim, client, catalog, receiver):
    subscription_id = subscribe(sim, client, [{"price": catalog["monthly"].id, "quantity": 1}])[
        "subscription"
    ]
    period_end = client.v1.subscriptions.retrieve(subscription_id)["items"].data[0].current_period_end

    pending = client.v1.subscriptions.update(subscription_id, params={"cancel_at_period_end": True})
    assert (pending.status, pending.cancel_at_period_end, pending.cancel_at) == ("active", True, period_end)
    assert pending.cancellation_details.reason == "cancellation_requested"
    resumed = client.v1.subscriptions.update(subscription_id, params={"cancel_at_period_end": False})
    assert (resumed.cancel_at_period_end, resumed.cancel_at, resumed.canceled_at) == (False, None, None)
    canceled = client.v1.subscriptions.cancel(subscription_id)
    assert (canceled.status, canceled.ended_at is not None) == ("canceled", True)

    assert subscription_id not in [s.id for s in client.v1.subscriptions.list().data]
    assert subscription_id in [s.id for s in client.v1.subscriptions.list(params={"status": "all"}).data]
    sim.wait_for_deliveries(timeout=5)
    updates = receiver.of_type("customer.subscription.updated")
    assert [u.data.previous_attributes.cancel_at_period_end for u in updates] == [False, True]
    [deleted] = receiver.of_type("customer.subscription.deleted")
    assert deleted.data.object.status == "canceled"
    with pytest.raises(Exception, match="canceled"):
        client.v1.subscriptions.update(subscription_id, params={"cancel_at_period_end": True})


# Test clocks, renewals and failed renewals

DAY = 86_400
RENEWALS_DECLINED = "4000 0099 9900 0006"


def subscribe_on_clock(sim, client, catalog, frozen_time, card="4242424242424242", **params):
    """A customer on a new test clock subscribes to the monthly club; answers (clock, subscription)."""
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": frozen_time, "name": "shop"})
    customer = client.v1.customers.create(params={"email": "ada@example.com", "test_clock": clock.id})
    paid = subscribe(
        sim,
        client,
        [{"price": catalog["monthly"].id, "quantity": 1}],
        card=card,
        customer=customer.id,
        **params,
    )
    return clock, client.v1.subscriptions.retrieve(paid["subscription"])


def advance(client, clock, frozen_time):
    answer = client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": frozen_time})
    assert answer.status == "advancing"
    clock = client.v1.test_helpers.test_clocks.retrieve(clock.id)
    assert (clock.status, clock.frozen_time) == ("ready", frozen_time)
    return clock


# 2031-01-31 12:00 UTC: month ends are clamped (Feb 28, Mar 31...).
START = int(datetime(2031, 1, 31, 12, tzinfo=UTC).timestamp())


def test_objects_of_a_customer_on_a_clock_are_dated_by_the_clock(sim, client, catalog):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)

    assert (subscription.created, subscription.test_clock) == (START, clock.id)
    assert subscription["items"].data[0].current_period_end == int(
        datetime(2031, 2, 28, 12, tzinfo=UTC).timestamp()
    )
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.created, invoice.test_clock) == (START, clock.id)
    assert client.v1.customers.retrieve(invoice.customer).test_clock == clock.id


def test_advancing_a_clock_three_months_makes_three_paid_cycle_invoices(sim, client, catalog, receiver):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)

    advance(client, clock, int(datetime(2031, 5, 1, tzinfo=UTC).timestamp()))

    invoices = client.v1.invoices.list(params={"subscription": subscription.id}).data
    cycles = [i for i in invoices if i.billing_reason == "subscription_cycle"]
    assert [(i.status, i.amount_paid) for i in cycles] == [("paid", 1200)] * 3
    assert sorted(i.created for i in cycles) == [
        int(datetime(2031, month, day, 12, tzinfo=UTC).timestamp())
        for month, day in ((2, 28), (3, 31), (4, 30))
    ]
    renewed = client.v1.subscriptions.retrieve(subscription.id)
    assert renewed.status == "active"
    assert renewed.latest_invoice == max(cycles, key=lambda i: i.created).id
    assert renewed["items"].data[0].current_period_start == int(
        datetime(2031, 4, 30, 12, tzinfo=UTC).timestamp()
    )
    sim.wait_for_deliveries(timeout=5)
    assert len(receiver.of_type("invoice.paid")) == 4
    upcoming = receiver.of_type("invoice.upcoming")
    assert len(upcoming) == 3
    assert all(event.data.object.id.startswith("upcoming_in_") for event in upcoming)
    types = receiver.types()
    assert types.index("test_helpers.test_clock.advancing") < types.index("test_helpers.test_clock.ready")


def test_a_trial_ends_with_a_notice_three_days_before_and_a_first_charge(sim, client, catalog, receiver):
    clock, subscription = subscribe_on_clock(
        sim, client, catalog, START, subscription_data={"trial_period_days": 14}
    )

    advance(client, clock, START + 12 * DAY)
    sim.wait_for_deliveries(timeout=5)
    assert [e.data.object.id for e in receiver.of_type("customer.subscription.trial_will_end")] == [
        subscription.id
    ]
    assert client.v1.subscriptions.retrieve(subscription.id).status == "trialing"

    advance(client, clock, START + 15 * DAY)
    after = client.v1.subscriptions.retrieve(subscription.id)
    assert after.status == "active"
    invoice = client.v1.invoices.retrieve(after.latest_invoice)
    assert (invoice.billing_reason, invoice.status, invoice.amount_paid) == (
        "subscription_cycle",
        "paid",
        1200,
    )


@pytest.fixture(params=["cancel", "unpaid"])
def dunning_sim(request, receiver):
    with StripeSimulator(
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        retry_delays=(0.01, 0.02, 0.04),
        async_settle_delay=None,
        after_failed_retries=request.param,
    ) as simulator:
        yield simulator, request.param


def test_a_declined_renewal_is_retried_1_3_and_7_days_later_then_ends_per_the_option(
    dunning_sim,
    receiver,
):
    sim, option = dunning_sim
    client = stripe.StripeClient("sk_test_dunning", base_addresses={"api": sim.url}, max_network_retries=0)
    monthly = _monthly(client)
    clock, subscription = subscribe_on_clock(sim, client, {"monthly": monthly}, START, card=RENEWALS_DECLINED)
    assert client.v1.invoices.retrieve(subscription.latest_invoice).status == "paid"
    renewal_at = subscription["items"].data[0].current_period_end

    advance(client, clock, renewal_at + 3600)
    failing = client.v1.subscriptions.retrieve(subscription.id)
    invoice = client.v1.invoices.retrieve(failing.latest_invoice)
    assert failing.status == "past_due"
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == (
        "open",
        1,
        renewal_at + DAY,
    )

    advance(client, clock, renewal_at + DAY + 3600)
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert (invoice.attempt_count, invoice.next_payment_attempt) == (2, renewal_at + 3 * DAY)

    advance(client, clock, renewal_at + 8 * DAY)
    invoice = client.v1.invoices.retrieve(invoice.id)
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == ("open", 4, None)
    sim.wait_for_deliveries(timeout=5)
    assert len(receiver.of_type("invoice.payment_failed")) == 4
    if option == "cancel":
        assert (ended.status, ended.cancellation_details.reason) == ("canceled", "payment_failed")
        assert [e.data.object.id for e in receiver.of_type("customer.subscription.deleted")] == [
            subscription.id
        ]
    else:
        assert ended.status == "unpaid"
        assert receiver.of_type("customer.subscription.deleted") == []


def _monthly(client):
    club = client.v1.products.create(params={"name": "Coffee club"})
    return client.v1.prices.create(
        params={
            "product": club.id,
            "unit_amount": 1200,
            "currency": "usd",
            "recurring": {"interval": "month"},
        }
    )


def test_a_renewal_that_asks_for_3d_secure_waits_for_the_customer(sim, client, catalog, receiver):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START, card="4000 0027 6000 3184")

    advance(client, clock, subscription["items"].data[0].current_period_end + 3600)

    after = client.v1.subscriptions.retrieve(subscription.id)
    invoice = client.v1.invoices.retrieve(after.latest_invoice, params={"expand": ["payments"]})
    intent = client.v1.payment_intents.retrieve(invoice.payments.data[0].payment.payment_intent)
    assert (after.status, invoice.status, intent.status) == ("past_due", "open", "requires_action")
    sim.wait_for_deliveries(timeout=5)
    assert [e.data.object.id for e in receiver.of_type("invoice.payment_action_required")] == [invoice.id]


def test_cancel_at_period_end_ends_the_subscription_when_the_clock_reaches_it(sim, client, catalog, receiver):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    period_end = subscription["items"].data[0].current_period_end
    client.v1.subscriptions.update(subscription.id, params={"cancel_at_period_end": True})

    advance(client, clock, period_end - DAY)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    advance(client, clock, period_end + DAY)

    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert (ended.status, ended.ended_at) == ("canceled", period_end)
    invoices = client.v1.invoices.list(params={"subscription": subscription.id}).data
    assert [i.billing_reason for i in invoices] == ["subscription_create"]
    sim.wait_for_deliveries(timeout=5)
    assert [e.data.object.id for e in receiver.of_type("customer.subscription.deleted")] == [subscription.id]
    assert receiver.of_type("invoice.upcoming") == []


def test_a_clock_only_moves_forward_and_can_be_deleted_with_its_customers(sim, client, catalog):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": START})
    assert raised.value.param == "frozen_time"
    assert [c.id for c in client.v1.test_helpers.test_clocks.list().data] == [clock.id]

    assert client.v1.test_helpers.test_clocks.delete(clock.id).deleted is True
    assert client.v1.subscriptions.retrieve(subscription.id).status == "canceled"
    assert client.v1.customers.retrieve(subscription.customer).deleted is True


# The customer portal


def portal_for(client, customer_id):
    return client.v1.billing_portal.sessions.create(
        params={"customer": customer_id, "return_url": "https://shop.test/account/subscriptions"}
    )


def test_the_portal_lists_the_subscription_and_cancels_then_resumes_it(sim, client, catalog):
    _clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    portal = portal_for(client, subscription.customer)
    assert portal.url.startswith(f"{sim.url}/billing_portal/")
    assert portal.return_url == "https://shop.test/account/subscriptions"

    page = get(portal.url)
    assert "1 × Coffee club" in page
    assert "Next charge: $12.00 on 28 February 2031" in page
    assert 'href="https://shop.test/account/subscriptions"' in page

    status, _, page = post(portal.url, {"action": "cancel", "subscription": subscription.id})
    assert status == 200
    assert "Cancels on 28 February 2031" in page
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is True

    _, _, page = post(portal.url, {"action": "resume", "subscription": subscription.id})
    assert "Next charge: $12.00 on 28 February 2031" in page
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is False


def test_the_portal_says_collection_is_paused_and_charges_nothing_for_the_voided_period(sim, client, catalog):
    _clock, skipped = subscribe_on_clock(sim, client, catalog, START)
    # Skipping the renewal of 28 February: collection resumes an hour after it.
    resumes_at = int(datetime(2031, 2, 28, 13, tzinfo=UTC).timestamp())
    client.v1.subscriptions.update(
        skipped.id, params={"pause_collection": {"behavior": "void", "resumes_at": resumes_at}}
    )

    page = get(portal_for(client, skipped.customer).url)

    assert "Status: Active" in page
    assert "Payment collection paused until 28 February 2031" in page
    assert "Next charge: $12.00 on 28 February 2031" not in page
    assert "Next charge: $12.00 on 31 March 2031" in page
    client.v1.subscriptions.update(skipped.id, params={"pause_collection": {"behavior": "void"}})
    page = get(portal_for(client, skipped.customer).url)
    assert "Payment collection paused</p>" in page
    assert "Next charge" not in page


def test_a_new_card_in_the_portal_pays_the_past_due_invoice_and_recovers_the_subscription(
    sim, client, catalog, receiver
):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START, card=RENEWALS_DECLINED)
    advance(client, clock, subscription["items"].data[0].current_period_end + 3600)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"
    portal = portal_for(client, subscription.customer)
    assert "Past due" in get(portal.url)

    _, _, page = post(portal.url, {"action": "update_card", "card": "4000 0000 0000 0002"})
    assert "Your card was declined." in page
    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"

    _, _, page = post(portal.url, {"action": "update_card", "card": "4242 4242 4242 4242"})
    assert "Your card was updated." in page
    assert "Card ending in 4242" in page
    recovered = client.v1.subscriptions.retrieve(subscription.id)
    assert recovered.status == "active"
    invoice = client.v1.invoices.retrieve(recovered.latest_invoice)
    assert (invoice.status, invoice.amount_paid, invoice.next_payment_attempt) == ("paid", 1200, None)
    assert client.v1.customers.retrieve(subscription.customer).invoice_settings.default_payment_method == (
        recovered.default_payment_method
    )
    sim.wait_for_deliveries(timeout=5)
    assert invoice.id in [e.data.object.id for e in receiver.of_type("invoice.paid")]

    # No retry is left on the schedule: the next renewal is charged to the new card.
    advance(client, clock, recovered["items"].data[0].current_period_end + 3600)
    assert client.v1.invoices.retrieve(
        client.v1.subscriptions.retrieve(subscription.id).latest_invoice
    ).status == ("paid")


SHOP_PORTAL = {
    "business_profile": {"headline": "Plans change in the shop."},
    "default_return_url": "https://shop.test/account/subscriptions",
    "features": {
        "invoice_history": {"enabled": True},
        "payment_method_update": {"enabled": True},
        "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
        "subscription_update": {"enabled": False},
    },
    "metadata": {"shop": "portal"},
}


def test_portal_configurations_are_created_listed_read_and_updated(sim, client, receiver):
    configurations = client.v1.billing_portal.configurations

    made = configurations.create(params=SHOP_PORTAL)

    assert made.id.startswith("bpc_")
    assert (made.active, made.is_default, made.livemode) == (True, False, False)
    assert made.business_profile.headline == "Plans change in the shop."
    assert made.business_profile.privacy_policy_url is None
    assert made.default_return_url == "https://shop.test/account/subscriptions"
    assert made.metadata.to_dict() == {"shop": "portal"}
    features = made.features
    assert features.subscription_update.enabled is False
    assert (features.subscription_cancel.enabled, features.subscription_cancel.mode) == (
        True,
        "at_period_end",
    )
    assert features.payment_method_update.enabled is True
    # A feature left out is off.
    assert (features.customer_update.enabled, features.customer_update.allowed_updates) == (False, [])
    assert features.subscription_pause.enabled is False
    assert configurations.retrieve(made.id).to_dict() == made.to_dict()
    # The account's default (the dashboard's settings) is listed beside it, newest first.
    assert configurations.list().data[0].id == made.id
    [default] = configurations.list(params={"is_default": True}).data
    assert default.features.subscription_update.enabled is True
    assert [c.id for c in configurations.list(params={"is_default": False}).data] == [made.id]
    assert len(configurations.list(params={"limit": 1}).data) == 1

    updated = configurations.update(
        made.id, params={"active": False, "features": {"invoice_history": {"enabled": False}}}
    )

    assert (updated.active, updated.features.invoice_history.enabled) == (False, False)
    assert updated.features.payment_method_update.enabled is True
    assert configurations.list(params={"active": False}).data[0].id == made.id
    assert made.id not in [c.id for c in configurations.list(params={"active": True}).data]
    sim.wait_for_deliveries(timeout=5)
    assert [e.data.object.id for e in receiver.of_type("billing_portal.configuration.created")] == [made.id]
    [change] = receiver.of_type("billing_portal.configuration.updated")
    assert change.data.previous_attributes.active is True


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "features"),
        (
            {"features": {"subscription_update": {"proration_behavior": "none"}}},
            "features[subscription_update][enabled]",
        ),
        (
            {"features": {"subscription_cancel": {"enabled": True, "mode": "later"}}},
            "features[subscription_cancel][mode]",
        ),
        (
            {"features": {"invoice_history": {"enabled": True, "shown": True}}},
            "features[invoice_history][shown]",
        ),
        (
            {"features": {"invoice_history": {"enabled": True}}, "default_return_url": "not a url"},
            "default_return_url",
        ),
        (
            {
                "features": {
                    "subscription_update": {
                        "enabled": True,
                        "products": [{"product": "prod_missing", "prices": []}],
                    }
                }
            },
            "features[subscription_update][products][0][product]",
        ),
    ],
)
def test_a_portal_configuration_is_refused_as_stripe_refuses_it(client, params, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.billing_portal.configurations.create(params=params)
    assert refused.value.param == param
    assert client.v1.billing_portal.configurations.list(params={"is_default": False}).data == []


def test_a_portal_session_names_an_existing_active_configuration(sim, client, catalog):
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.billing_portal.sessions.create(
            params={"customer": customer.id, "configuration": "bpc_missing"}
        )
    assert (missing.value.http_status, missing.value.code, missing.value.param) == (
        400,
        "resource_missing",
        "configuration",
    )
    made = client.v1.billing_portal.configurations.create(params=SHOP_PORTAL)
    client.v1.billing_portal.configurations.update(made.id, params={"active": False})
    with pytest.raises(stripe.InvalidRequestError) as inactive:
        client.v1.billing_portal.sessions.create(params={"customer": customer.id, "configuration": made.id})
    assert inactive.value.param == "configuration"

    client.v1.billing_portal.configurations.update(made.id, params={"active": True})
    session = client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "configuration": made.id, "expand": ["configuration"]}
    )
    default = client.v1.billing_portal.sessions.create(params={"customer": customer.id})

    assert session.configuration.id == made.id
    # Without a return_url the configuration's default one leads back.
    assert session.return_url == "https://shop.test/account/subscriptions"
    assert 'href="https://shop.test/account/subscriptions"' in get(session.url)
    assert client.v1.billing_portal.configurations.retrieve(default.configuration).is_default is True


def test_an_unknown_portal_session_is_not_found(sim):
    status, _, page = post(f"{sim.url}/billing_portal/bps_missing", {"action": "cancel"})
    assert status == 404
    assert "Portal session not found" in page


def test_the_test_clocks_page_advances_a_clock_by_a_month(sim, client, catalog):
    clock, subscription = subscribe_on_clock(sim, client, catalog, START)
    assert "31 January 2031, 12:00 UTC" in get(f"{sim.url}/test_clocks")

    status, headers, _ = post(f"{sim.url}/test_clocks/{clock.id}/advance", {"by": "month"})

    assert (status, headers["Location"]) == (303, "/test_clocks")
    assert "28 February 2031, 12:00 UTC" in get(f"{sim.url}/test_clocks")
    renewed = client.v1.subscriptions.retrieve(subscription.id)
    assert client.v1.invoices.retrieve(renewed.latest_invoice).billing_reason == "subscription_cycle"
    status, _, page = post(f"{sim.url}/test_clocks/{clock.id}/advance", {"by": "century"})
    assert status == 400
    assert "Choose how far to advance the clock." in page

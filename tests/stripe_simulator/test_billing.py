"""Subscription billing in the simulator, through the real stripe SDK: invoices and their
payments, changes to a subscription, test clocks, renewals, failed renewals and retries."""

import pytest

from .test_simulator import create_session


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

"""Refunds come from Stripe's events: amounts from Stripe, rows matched by Stripe id, and a refund
that overtakes its payment waits (fails, is retried) until the payment is recorded."""

import json
import uuid

import requests
from django.core.management import call_command
from django.test import Client

from orders.models import Order, OrderStatus, PaymentStatus, Refund, RefundStatus
from orders.selectors import order_refundable_amount
from orders.services import order_apply_refunds, refund_record_from_stripe
from payments.models import WebhookEvent
from tests import factories
from tests.payments.conftest import event_payloads, signature_headers
from tests.staff.helpers import paid_order


def paid_through_the_simulator(sim, purchase):
    session_id = purchase.shopper.checkout().headers["Location"].rsplit("/", 1)[1]
    sim.pay(session_id)
    return session_id


def deliver(client, payload):
    return client.post(
        "/payments/webhook/", payload, content_type="application/json", headers=signature_headers(payload)
    )


def test_a_refund_that_arrives_before_the_payment_is_retried_and_ends_consistent(
    quiet_sim, guest_with_cart, stripe_api, client, capsys
):
    mug = factories.PriceFactory(unit_amount=1800)
    purchase = guest_with_cart((mug, 2))
    session_id = paid_through_the_simulator(quiet_sim, purchase)
    api = stripe_api()
    intent_id = api.v1.checkout.sessions.retrieve(session_id).payment_intent
    refund = quiet_sim.refund_from_dashboard(intent_id, amount=1000, reason="requested_by_customer")

    # Stripe delivers in no particular order: here the refund's events come first.
    early = [
        payload
        for event_type in ("refund.created", "charge.refunded", "refund.updated")
        for payload in event_payloads(api, event_type)
        if intent_id in payload
    ]
    # Each is stored and acknowledged; its processing fails and is left to be retried.
    assert [deliver(client, payload).status_code for payload in early] == [200, 200, 200]
    failed = WebhookEvent.objects.filter(processed=False)
    assert failed.count() == 3
    assert all(event.last_error.startswith("OrderNotReady: Order ") for event in failed)
    assert not Refund.objects.exists()

    [completed] = [p for p in event_payloads(api, "checkout.session.completed") if session_id in p]
    assert deliver(client, completed).status_code == 200
    order = Order.objects.get()
    assert order.payment_status == PaymentStatus.PAID

    call_command("retry_webhooks")

    assert "3 processed, 0 failed" in capsys.readouterr().out
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PARTIALLY_REFUNDED)
    assert (order.refunded_amount, order.refund_reason) == (1000, "requested_by_customer")
    assert list(Refund.objects.values_list("stripe_refund_id", "amount", "status")) == [
        (refund["id"], 1000, RefundStatus.SUCCEEDED)
    ]
    assert not WebhookEvent.objects.filter(processed=False).exists()


def test_dashboard_refunds_partial_then_full_and_a_late_event_cannot_undo_them(
    stripe_sim, guest_with_cart, stripe_api
):
    mug = factories.PriceFactory(unit_amount=1800)
    purchase = guest_with_cart((mug, 2))
    session_id = paid_through_the_simulator(stripe_sim, purchase)
    stripe_sim.wait_for_deliveries()
    intent_id = Order.objects.get().stripe_payment_intent_id

    stripe_sim.refund_from_dashboard(intent_id, amount=1000)
    stripe_sim.wait_for_deliveries()
    order = Order.objects.get()
    assert (order.payment_status, order.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, 1000)
    assert order.status == OrderStatus.PROCESSING
    # Given without a reason: staff see none, not a made-up one.
    assert order.refund_reason == ""

    stripe_sim.refund_from_dashboard(intent_id)
    stripe_sim.wait_for_deliveries()
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.REFUNDED, PaymentStatus.REFUNDED)
    assert order.refunded_amount == 3600
    assert sorted(Refund.objects.values_list("amount", flat=True)) == [1000, 2600]
    assert set(Refund.objects.values_list("status", flat=True)) == {RefundStatus.SUCCEEDED}

    # The first charge.refunded (1000 refunded) arrives once more, as a new event.
    first = json.loads(next(p for p in event_payloads(stripe_api(), "charge.refunded") if intent_id in p))
    first["id"] = f"evt_{uuid.uuid4().hex[:24]}"
    payload = json.dumps(first)
    answer = requests.post(
        f"{purchase.shopper.base_url}/payments/webhook/",
        data=payload,
        headers=signature_headers(payload),
        timeout=10,
    )
    assert answer.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.refunded_amount) == (
        OrderStatus.REFUNDED,
        PaymentStatus.REFUNDED,
        3600,
    )
    assert session_id == order.stripe_checkout_session_id


def test_a_refund_staff_requested_here_is_matched_not_duplicated(stripe_sim, guest_with_cart, stripe_api):
    mug = factories.PriceFactory(unit_amount=1800)
    purchase = guest_with_cart((mug, 1))
    paid_through_the_simulator(stripe_sim, purchase)
    stripe_sim.wait_for_deliveries()
    order = Order.objects.get()
    requested = Refund.objects.create(
        order=order, amount=500, currency="usd", idempotency_key=f"refund-{uuid.uuid4().hex}"
    )

    stripe_refund = stripe_api().v1.refunds.create(
        {
            "payment_intent": order.stripe_payment_intent_id,
            "amount": 500,
            "metadata": {"refund_id": str(requested.pk)},
        }
    )
    stripe_sim.wait_for_deliveries()

    requested.refresh_from_db()
    assert Refund.objects.count() == 1
    assert (requested.stripe_refund_id, requested.status) == (stripe_refund.id, RefundStatus.SUCCEEDED)
    order.refresh_from_db()
    assert (order.payment_status, order.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, 500)


def test_a_charge_refunded_event_alone_records_its_refunds_from_stripe(
    quiet_sim, guest_with_cart, stripe_api, client
):
    mug = factories.PriceFactory(unit_amount=1800)
    purchase = guest_with_cart((mug, 2))
    session_id = paid_through_the_simulator(quiet_sim, purchase)
    api = stripe_api()
    intent_id = api.v1.checkout.sessions.retrieve(session_id).payment_intent
    refund = quiet_sim.refund_from_dashboard(intent_id, amount=1000, reason="requested_by_customer")
    [completed] = [p for p in event_payloads(api, "checkout.session.completed") if session_id in p]
    assert deliver(client, completed).status_code == 200

    # Only charge.refunded arrives, as Stripe sends it since API version 2022-11-15: no refunds list.
    [refunded] = [p for p in event_payloads(api, "charge.refunded") if intent_id in p]
    assert "refunds" not in json.loads(refunded)["data"]["object"]
    assert deliver(client, refunded).status_code == 200

    order = Order.objects.get()
    assert (order.payment_status, order.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, 1000)
    assert order.refund_reason == "requested_by_customer"
    assert list(Refund.objects.values_list("stripe_refund_id", "amount", "status", "reason")) == [
        (refund["id"], 1000, RefundStatus.SUCCEEDED, "requested_by_customer")
    ]


def test_a_refund_event_records_its_charges_earlier_refunds_whose_events_were_lost(
    quiet_sim, guest_with_cart, stripe_api, client
):
    mug = factories.PriceFactory(unit_amount=1800)
    purchase = guest_with_cart((mug, 2))
    session_id = paid_through_the_simulator(quiet_sim, purchase)
    api = stripe_api()
    intent_id = api.v1.checkout.sessions.retrieve(session_id).payment_intent
    first = quiet_sim.refund_from_dashboard(intent_id, amount=1000)
    second = quiet_sim.refund_from_dashboard(intent_id, amount=500)
    [completed] = [p for p in event_payloads(api, "checkout.session.completed") if session_id in p]
    assert deliver(client, completed).status_code == 200

    # Only the second refund's refund.created arrives: the charge's refunds are read from Stripe.
    [created] = [p for p in event_payloads(api, "refund.created") if second["id"] in p]
    assert deliver(client, created).status_code == 200

    order = Order.objects.get()
    assert (order.payment_status, order.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, 1500)
    # Both succeeded: staff see no error on either.
    assert sorted(Refund.objects.values_list("stripe_refund_id", "amount", "status", "last_error")) == sorted(
        [
            (first["id"], 1000, RefundStatus.SUCCEEDED, ""),
            (second["id"], 500, RefundStatus.SUCCEEDED, ""),
        ]
    )


def test_a_refund_larger_than_the_payment_is_capped_logged_and_flagged_for_staff(
    db, quiet_sim, stripe_api, client, caplog
):
    order = paid_order(quiet_sim, delivered=False, unit_amount=1800, quantity=2)
    # The shop's record of the payment says less than Stripe charged (recorded wrongly by hand).
    Order.objects.filter(pk=order.pk).update(amount_total=3000)
    quiet_sim.refund_from_dashboard(order.stripe_payment_intent_id)
    [refunded] = [
        p for p in event_payloads(stripe_api(), "charge.refunded") if order.stripe_payment_intent_id in p
    ]
    charge_id = json.loads(refunded)["data"]["object"]["id"]

    response = deliver(client, refunded)

    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.refunded_amount, order.payment_status, order.status) == (
        3000,
        PaymentStatus.REFUNDED,
        OrderStatus.REFUNDED,
    )
    flag = (
        f"Stripe reported $36.00 refunded on charge {charge_id}, more than the $30.00 paid; "
        "recorded as $30.00. Check the payment in the Stripe dashboard."
    )
    assert any(flag in record.getMessage() for record in caplog.records if record.levelname == "ERROR")
    staff = Client()
    staff.force_login(factories.SuperAdminFactory())
    assert flag in staff.get(f"/admin/orders/order/{order.pk}/change/").text


def test_a_refund_that_fails_after_it_succeeded_comes_off_and_staff_are_told(stripe_sim, stripe_api):
    order = paid_order(stripe_sim, unit_amount=1800, quantity=2)
    neighbour = paid_order(stripe_sim, unit_amount=1800, quantity=2)
    intent = order.stripe_payment_intent_id
    first = stripe_sim.refund_from_dashboard(intent, amount=1000, reason="requested_by_customer")
    second = stripe_sim.refund_from_dashboard(intent)
    stripe_sim.refund_from_dashboard(neighbour.stripe_payment_intent_id, amount=500)
    stripe_sim.wait_for_deliveries()
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.refunded_amount) == (
        OrderStatus.REFUNDED,
        PaymentStatus.REFUNDED,
        3600,
    )

    # The card network returns the second refund: the customer never got that $26.00.
    stripe_sim.fail_refund(second["id"])
    stripe_sim.wait_for_deliveries()

    order.refresh_from_db()
    assert (order.status, order.payment_status, order.refunded_amount) == (
        OrderStatus.PROCESSING,
        PaymentStatus.PARTIALLY_REFUNDED,
        1000,
    )
    assert Refund.objects.get(stripe_refund_id=second["id"]).status == RefundStatus.FAILED
    assert order_refundable_amount(order=order) == 2600
    assert any(
        "The refund of $26.00 failed at Stripe" in note for note in order.metadata["needs_staff_attention"]
    )
    assert order.status_changes.filter(
        field="payment_status",
        new_status=PaymentStatus.PARTIALLY_REFUNDED,
        note="A refund failed or was canceled at Stripe; $10.00 refunded in total",
    ).exists()

    # A late delivery of the refund's earlier success changes nothing: Stripe says it failed.
    [late] = [json.loads(p) for p in event_payloads(stripe_api(), "refund.created") if second["id"] in p]
    late["id"] = f"evt_{uuid.uuid4().hex[:24]}"
    assert deliver(Client(), json.dumps(late)).status_code == 200
    # Nor can a stale read written over the row bring it back.
    refund_record_from_stripe(
        order=order, stripe_refund_id=second["id"], amount=2600, currency="usd", status=RefundStatus.SUCCEEDED
    )
    order_apply_refunds(order=order)

    order.refresh_from_db()
    assert (order.payment_status, order.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, 1000)
    assert Refund.objects.get(stripe_refund_id=second["id"]).status == RefundStatus.FAILED

    # The first one fails too: the payment is whole again.
    stripe_sim.fail_refund(first["id"])
    stripe_sim.wait_for_deliveries()
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.refunded_amount) == (
        OrderStatus.PROCESSING,
        PaymentStatus.PAID,
        0,
    )
    assert order_refundable_amount(order=order) == 3600
    neighbour.refresh_from_db()
    assert (neighbour.payment_status, neighbour.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, 500)

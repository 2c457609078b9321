"""The webhook endpoint: verified, stored once and answered (Stripe retries exactly when it was not
stored), then processed once by its task (run at once in the tests)."""

import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
import requests
from django.test import Client

from accounts.models import User
from orders.exceptions import InvalidStatusTransition
from orders.models import Order, OrderStatus, OrderStatusChange, PaymentStatus
from orders.services import order_set_payment_status
from payments import services, webhooks
from payments.confirmation import checkout_session_confirm
from payments.models import WebhookEvent
from tests import factories
from tests.payments.conftest import WEBHOOK_SECRET, event_payloads, open_checkout, signature_headers
from tests.payments.subscriptions import api_of
from tests.staff.helpers import paid_order

WEBHOOK = "/payments/webhook/"
# Stripe's test card that asks for 3-D Secure.
THREE_D_SECURE_CARD = "4000 0027 6000 3184"


def stripe_session(simulator, order_number: str | None):
    """Return a Checkout Session made at Stripe by someone else than the shop's checkout (another
    integration on the account, or a checkout whose order was never stored)."""
    metadata = {"order_number": order_number} if order_number else {}
    return api_of(simulator).v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 1000,
                        "product_data": {"name": "Elsewhere"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": "https://elsewhere.example/done",
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
        }
    )


def stripe_session_of(simulator, session_id: str):
    return api_of(simulator).v1.checkout.sessions.retrieve(session_id)


def stripe_event(event_type: str, obj: dict) -> dict:
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def deliver(client, payload: str, headers: dict | None = None):
    return client.post(
        WEBHOOK, payload, content_type="application/json", headers=headers or signature_headers(payload)
    )


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def test_an_unknown_event_type_is_stored_and_acknowledged(db, csrf_client):
    payload = json.dumps(stripe_event("invoice.finalized", {"id": "in_123", "object": "invoice"}))

    response = deliver(csrf_client, payload)

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.type, event.processed, event.attempts, event.last_error) == (
        "invoice.finalized",
        True,
        1,
        "",
    )
    assert event.payload == json.loads(payload)
    assert event.stripe_created_at is not None


def test_a_forged_signature_is_refused_and_nothing_is_stored(db, csrf_client):
    payload = json.dumps(stripe_event("customer.deleted", {"id": "cus_x", "object": "customer"}))

    response = deliver(csrf_client, payload, signature_headers(payload, secret="whsec_attacker"))

    assert response.status_code == 400
    assert response.json() == {"message": "Invalid signature."}
    assert not WebhookEvent.objects.exists()


def test_a_body_changed_after_signing_is_refused(db, csrf_client):
    payload = json.dumps(stripe_event("customer.deleted", {"id": "cus_x", "object": "customer"}))
    headers = signature_headers(payload)

    response = deliver(csrf_client, payload.replace("cus_x", "cus_y"), headers)

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_missing_signature_is_refused(db, csrf_client):
    payload = json.dumps(stripe_event("customer.deleted", {"id": "cus_x", "object": "customer"}))

    response = deliver(csrf_client, payload, {"Content-Type": "application/json"})

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_stale_timestamp_is_refused_as_a_possible_replay(db, csrf_client, settings):
    payload = json.dumps(stripe_event("invoice.finalized", {"id": "in_x", "object": "invoice"}))
    stale = int(time.time()) - settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS - 5

    response = deliver(csrf_client, payload, signature_headers(payload, timestamp=stale))

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    recent = int(time.time()) - settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS + 30
    assert deliver(csrf_client, payload, signature_headers(payload, timestamp=recent)).status_code == 200


def test_malformed_json_is_refused_even_when_signed(db, csrf_client):
    payload = '{"id": "evt_1", "type": "customer.deleted", '

    response = deliver(csrf_client, payload)

    assert response.status_code == 400
    assert response.json() == {"message": "Malformed JSON."}
    assert not WebhookEvent.objects.exists()


def test_json_that_is_not_an_event_is_refused(db, csrf_client):
    payload = json.dumps(["evt_1", "customer.deleted"])

    assert deliver(csrf_client, payload).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_an_oversized_body_is_refused_before_it_is_read(db, csrf_client, settings):
    settings.STRIPE_WEBHOOK_MAX_BYTES = 2048
    event = stripe_event("customer.updated", {"id": "cus_x", "object": "customer", "description": "x" * 4096})
    payload = json.dumps(event)

    response = deliver(csrf_client, payload)

    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()


def test_only_post_is_allowed(db, csrf_client):
    assert csrf_client.get(WEBHOOK).status_code == 405
    assert not WebhookEvent.objects.exists()


def test_a_repeated_delivery_is_recognised_and_not_processed_again(db, quiet_sim, stripe_api, csrf_client):
    api = stripe_api()
    gone = api.v1.customers.create({"email": "gone@example.com"})
    api.v1.customers.delete(gone.id)
    user = factories.UserFactory(stripe_customer_id=gone.id)
    payload = json.dumps(
        stripe_event("customer.deleted", {"id": gone.id, "object": "customer", "deleted": True})
    )

    first = deliver(csrf_client, payload)
    user.refresh_from_db()
    assert user.stripe_customer_id is None
    User.objects.filter(pk=user.pk).update(stripe_customer_id=gone.id)
    second = deliver(csrf_client, payload)

    assert (first.status_code, first.json()) == (200, {"message": "Received."})
    assert (second.status_code, second.json()) == (200, {"message": "Already processed."})
    assert WebhookEvent.objects.get().attempts == 1
    # Not run again: the second delivery left the (re-set) customer id alone.
    assert User.objects.get(pk=user.pk).stripe_customer_id == gone.id


def test_a_failing_handler_is_recorded_acknowledged_and_retried(db, csrf_client, monkeypatch):
    calls = []

    def flaky_handler(event):
        calls.append(event["id"])
        if len(calls) == 1:
            raise RuntimeError("database hiccup")

    monkeypatch.setitem(services.WEBHOOK_HANDLERS, "customer.updated", flaky_handler)
    payload = json.dumps(
        stripe_event("customer.updated", {"id": "cus_x", "object": "customer", "metadata": {}})
    )

    failed = deliver(csrf_client, payload)
    event = WebhookEvent.objects.get()
    # Stored, so the shop retries it (its task, retry_webhooks): Stripe need not deliver it again.
    assert (failed.status_code, failed.json()) == (200, {"message": "Received."})
    assert (event.processed, event.attempts, event.last_error) == (False, 1, "RuntimeError: database hiccup")
    assert event.processing_started_at is None

    retried = deliver(csrf_client, payload)
    event.refresh_from_db()
    assert retried.status_code == 200
    assert (event.processed, event.attempts, event.last_error) == (True, 2, "")
    assert len(calls) == 2


def test_an_event_held_by_another_worker_is_left_to_it_until_its_lease_runs_out(db, csrf_client):
    payload = json.dumps(stripe_event("invoice.created", {"id": "in_1", "object": "invoice"}))
    stored, _ = services.webhook_event_store(event=json.loads(payload))
    WebhookEvent.objects.filter(pk=stored.pk).update(processing_started_at=services.timezone.now())

    assert deliver(csrf_client, payload).status_code == 200
    assert not WebhookEvent.objects.get().processed

    abandoned_at = services.timezone.now() - services.processing_lease() - services.timedelta(seconds=1)
    WebhookEvent.objects.filter(pk=stored.pk).update(processing_started_at=abandoned_at)
    assert deliver(csrf_client, payload).status_code == 200
    assert WebhookEvent.objects.get().processed


def test_a_late_event_never_moves_a_status_backwards_and_is_not_retried(db, quiet_sim, csrf_client):
    order = paid_order(quiet_sim, delivered=False)
    moves = order.status_changes.count()
    intent = {
        "id": order.stripe_payment_intent_id,
        "object": "payment_intent",
        "status": "requires_payment_method",
        "metadata": {"order_number": order.number},
        "last_payment_error": {"message": "Your card was declined."},
    }
    payload = json.dumps(stripe_event("payment_intent.payment_failed", intent))

    response = deliver(csrf_client, payload)

    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    event = WebhookEvent.objects.get()
    # Stripe has the intent succeeded: the event's copy (declined) is not what is applied.
    assert (event.processed, event.last_error) == (True, "")
    assert order.status_changes.count() == moves


def test_an_order_never_moves_halfway_when_its_payment_may_not(db, quiet_sim):
    order = open_checkout()
    order_set_payment_status(order=order, payment_status=PaymentStatus.CANCELED, note="cancelled")
    quiet_sim.pay(order.stripe_checkout_session_id)

    with pytest.raises(InvalidStatusTransition):
        checkout_session_confirm(session_id=order.stripe_checkout_session_id)

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.CANCELED)
    assert not order.status_changes.filter(field="status").exists()


def test_an_event_for_an_order_not_stored_yet_fails_so_that_it_is_retried(db, quiet_sim, csrf_client):
    session = stripe_session(quiet_sim, "ORD-0123456789AB")
    quiet_sim.pay(session.id)
    intent_id = stripe_session_of(quiet_sim, session.id).payment_intent
    payload = json.dumps(
        stripe_event("payment_intent.succeeded", {"id": intent_id, "object": "payment_intent"})
    )

    response = deliver(csrf_client, payload)

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert not event.processed
    assert (
        event.last_error == f"OrderNotReady: Order ORD-0123456789AB of payment {intent_id} is not stored yet."
    )


def test_payments_the_shop_did_not_start_are_acknowledged_and_ignored(db, quiet_sim, csrf_client):
    session = stripe_session(quiet_sim, None)
    quiet_sim.pay(session.id)
    payload = json.dumps(
        stripe_event("checkout.session.completed", {"id": session.id, "object": "checkout.session"})
    )

    assert deliver(csrf_client, payload).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.processed
    assert "belongs to no order of this shop" in event.last_error


def test_customer_events_keep_the_user_linked(db, quiet_sim, stripe_api, csrf_client):
    api = stripe_api()
    user = factories.UserFactory()
    other = factories.UserFactory(stripe_customer_id="cus_other")
    created = api.v1.customers.create({"metadata": {"user_id": str(user.pk)}})
    foreign = api.v1.customers.create({"metadata": {"user_id": str(other.pk)}})
    nonsense = api.v1.customers.create({"metadata": {"user_id": "not-an-id"}})

    for event_type, customer in (
        ("customer.created", created),
        ("customer.updated", foreign),
        ("customer.updated", nonsense),
    ):
        event = stripe_event(event_type, {"id": customer.id, "object": "customer"})
        assert deliver(csrf_client, json.dumps(event)).status_code == 200

    user.refresh_from_db()
    other.refresh_from_db()
    assert user.stripe_customer_id == created.id
    # A user keeps the customer they have.
    assert other.stripe_customer_id == "cus_other"

    api.v1.customers.delete(created.id)
    deleted = {"id": created.id, "object": "customer", "deleted": True}
    assert deliver(csrf_client, json.dumps(stripe_event("customer.deleted", deleted))).status_code == 200
    user.refresh_from_db()
    assert user.stripe_customer_id is None


def test_two_concurrent_deliveries_of_one_event_have_one_effect(
    quiet_sim, guest_with_cart, stripe_api, mailoutbox
):
    mug = factories.PriceFactory(product__name="Stoneware mug")
    purchase = guest_with_cart((mug, 1))
    session_id = purchase.shopper.checkout().headers["Location"].rsplit("/", 1)[1]
    quiet_sim.pay(session_id)
    [payload] = [p for p in event_payloads(stripe_api(), "checkout.session.completed") if session_id in p]
    headers = signature_headers(payload)
    url = f"{purchase.shopper.base_url}{WEBHOOK}"
    barrier = threading.Barrier(4)
    answers = []

    def deliver_over_http():
        barrier.wait()
        answers.append(requests.post(url, data=payload, headers=headers, timeout=10).status_code)

    deliveries = [threading.Thread(target=deliver_over_http) for _ in range(4)]
    for thread in deliveries:
        thread.start()
    for thread in deliveries:
        thread.join()

    assert answers == [200] * 4
    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert OrderStatusChange.objects.filter(order=order, field="payment_status").count() == 1
    assert OrderStatusChange.objects.filter(order=order, field="status").count() == 1
    assert len(mailoutbox) == 1
    event = WebhookEvent.objects.get()
    assert (event.processed, event.attempts) == (True, 1)


def test_an_expired_session_whose_order_was_never_stored_is_acknowledged(db, quiet_sim, csrf_client):
    # Stripe created the session but its answer never reached us: there is nothing to undo.
    session = stripe_session(quiet_sim, "ORD-0123456789AB")
    quiet_sim.expire(session.id)
    event = stripe_event("checkout.session.expired", {"id": session.id, "object": "checkout.session"})

    assert deliver(csrf_client, json.dumps(event)).status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.processed
    assert (
        stored.last_error
        == f"Ignored: Checkout Session {session.id} expired without an order: nothing to undo."
    )


@pytest.mark.parametrize(
    ("event_type", "intent_status", "payment_status"),
    [
        ("payment_intent.requires_action", "requires_action", PaymentStatus.REQUIRES_ACTION),
        ("payment_intent.canceled", "canceled", PaymentStatus.CANCELED),
    ],
)
def test_payment_intent_events_move_only_the_payment_status(
    db, quiet_sim, stripe_api, csrf_client, event_type, intent_status, payment_status
):
    order = open_checkout()
    neighbour = open_checkout()
    session_id = order.stripe_checkout_session_id
    quiet_sim.pay(session_id, card=THREE_D_SECURE_CARD)
    if intent_status == "canceled":
        stripe_api().v1.checkout.sessions.expire(session_id)
    intent_id = stripe_api().v1.checkout.sessions.retrieve(session_id).payment_intent
    [payload] = [p for p in event_payloads(stripe_api(), event_type) if intent_id in p]

    assert deliver(csrf_client, payload).status_code == 200

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, payment_status)
    assert order.status_changes.get().note == f"Payment intent {intent_status}"
    assert Order.objects.get(pk=neighbour.pk).payment_status == PaymentStatus.PENDING


# --- Events no retry can fix: acknowledged, recorded as ignored with why ---------------------


def completed_session(simulator, order_number: str) -> dict:
    """Return the body of a checkout.session.completed for a session paid at Stripe, not by our checkout."""
    session = stripe_session(simulator, order_number)
    simulator.pay(session.id)
    return {"id": session.id, "object": "checkout.session"}


@pytest.mark.parametrize(
    ("order_number", "grace", "why"),
    [
        ("INV-2291", None, "names order 'INV-2291', not a number this shop gives"),
        (
            "ORD-0123456789AB",
            timedelta(0),
            "names order ORD-0123456789AB, still not stored 0:00:00 after it was created",
        ),
    ],
    ids=["foreign-number", "older-than-checkout-takes"],
)
def test_a_completed_session_whose_order_is_not_ours_is_ignored_with_why(
    db, quiet_sim, csrf_client, monkeypatch, order_number, grace, why
):
    if grace is not None:
        monkeypatch.setattr(webhooks, "ORDER_STORE_GRACE", grace)
        time.sleep(1)
    session = completed_session(quiet_sim, order_number)
    payload = json.dumps(stripe_event("checkout.session.completed", session))

    response = deliver(csrf_client, payload)

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.processed, event.attempts) == (True, 1)
    assert event.last_error == f"Ignored: Checkout Session {session['id']} {why}."
    assert not Order.objects.exists()


def test_a_completed_session_whose_order_may_still_be_stored_is_retried(db, quiet_sim, csrf_client):
    session = completed_session(quiet_sim, "ORD-0123456789AB")

    response = deliver(csrf_client, json.dumps(stripe_event("checkout.session.completed", session)))

    assert response.status_code == 200
    assert not WebhookEvent.objects.get().processed
    assert WebhookEvent.objects.get().last_error == (
        f"OrderNotReady: Order ORD-0123456789AB of Checkout Session {session['id']} is not stored yet."
    )


@pytest.mark.parametrize(
    ("event_type", "stripe_object", "why"),
    [
        ("charge.refunded", {"id": "ch_unknown", "object": "charge"}, "Stripe has no charge ch_unknown"),
        ("refund.created", {"id": "re_unknown", "object": "refund"}, "Stripe has no refund re_unknown"),
        ("price.updated", {"id": "price_unknown", "object": "price"}, "Stripe has no price price_unknown"),
        ("invoice.paid", {"id": "in_unknown", "object": "invoice"}, "Stripe has no invoice in_unknown"),
        (
            "charge.dispute.created",
            {"id": "dp_unknown", "object": "dispute"},
            "Stripe has no dispute dp_unknown",
        ),
    ],
    ids=["unknown-charge", "unknown-refund", "unknown-price", "unknown-invoice", "unknown-dispute"],
)
def test_events_for_objects_stripe_does_not_have_are_ignored_with_why(
    db, quiet_sim, csrf_client, event_type, stripe_object, why
):
    response = deliver(csrf_client, json.dumps(stripe_event(event_type, stripe_object)))

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.processed, event.last_error) == (True, f"Ignored: {why}.")


@pytest.mark.parametrize(
    ("order_number", "why"),
    [
        ("4471", "payment {intent} names order '4471', not a number this shop gives"),
        (None, "payment {intent} belongs to no order of this shop (no order number in its metadata)"),
    ],
    ids=["foreign-order", "no-order"],
)
def test_refunds_of_payments_the_shop_did_not_take_are_ignored_with_why(
    db, quiet_sim, stripe_api, csrf_client, order_number, why
):
    session = stripe_session(quiet_sim, order_number)
    quiet_sim.pay(session.id)
    intent = stripe_api().v1.checkout.sessions.retrieve(session.id).payment_intent
    quiet_sim.refund_from_dashboard(intent, amount=100)
    [payload] = [p for p in event_payloads(stripe_api(), "charge.refunded") if intent in p]

    assert deliver(csrf_client, payload).status_code == 200

    event = WebhookEvent.objects.get()
    assert (event.processed, event.last_error) == (True, f"Ignored: {why.format(intent=intent)}.")


def test_the_webhook_log_shows_why_an_event_was_ignored(db, quiet_sim, csrf_client):
    session = completed_session(quiet_sim, "INV-2291")
    deliver(csrf_client, json.dumps(stripe_event("checkout.session.completed", session)))
    staff = Client()
    staff.force_login(factories.SuperAdminFactory())

    listing = staff.get("/admin/payments/webhookevent/")

    # The list shows the note's start; the event's page all of it.
    assert f"Ignored: Checkout Session {session['id'][:30]}" in listing.text


@pytest.mark.parametrize(
    ("secret_key", "event_livemode"),
    [("sk_test_shop_tests", True), ("sk_live_shop_tests", False), ("rk_live_shop_tests", False)],
)
def test_an_event_from_the_other_mode_is_refused_and_changes_nothing(
    db, csrf_client, settings, secret_key, event_livemode
):
    settings.STRIPE_SECRET_KEY = secret_key
    order = factories.OrderFactory(number="ORD-0123456789AB")
    session = {
        "id": "cs_test_other_mode",
        "object": "checkout.session",
        "metadata": {"order_number": order.number},
    }
    payload = json.dumps({**stripe_event("checkout.session.completed", session), "livemode": event_livemode})

    response = deliver(csrf_client, payload)

    assert response.status_code == 400
    assert "mode" in response.json()["message"]
    assert not WebhookEvent.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_an_event_of_the_shops_own_mode_is_taken(db, csrf_client, settings):
    settings.STRIPE_SECRET_KEY = "sk_live_shop_tests"
    payload = json.dumps(
        {**stripe_event("invoice.finalized", {"id": "in_1", "object": "invoice"}), "livemode": True}
    )

    assert deliver(csrf_client, payload).status_code == 200

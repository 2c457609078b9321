"""`manage.py reconcile_stripe`: events Stripe could not deliver, and orders stuck awaiting
payment, recovered from Stripe (the simulator, through the real SDK)."""

import json
import re
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from orders.models import Order, OrderStatus, OrderStatusChange, PaymentStatus
from payments.models import WebhookEvent
from payments.services import webhook_event_store
from tests import factories


@pytest.fixture
def sim(fresh_sim):
    """A simulator of its own: its event log holds this test's only."""
    return fresh_sim


@pytest.fixture
def mug():
    return factories.PriceFactory(product__name="Stoneware mug", unit_amount=1800)


def reconcile(*args) -> str:
    out = StringIO()
    call_command("reconcile_stripe", *args, stdout=out, stderr=out)
    return out.getvalue()


def stripe_event_ids(stripe_api) -> set[str]:
    return {event.id for event in stripe_api().v1.events.list({"limit": 100}).auto_paging_iter()}


def checkout(guest_with_cart, price, sim) -> tuple[object, Order, str]:
    purchase = guest_with_cart((price, 1))
    response = purchase.shopper.checkout()
    assert response.status_code == 303, response.text
    page_url = response.headers["Location"]
    return purchase, Order.objects.get(cart=purchase.cart), page_url


def pay_unseen(guest_with_cart, price, sim) -> Order:
    """A guest checks out and pays while no webhook reaches the shop; return the order."""
    with sim.deliveries_dropped():
        purchase, order, page_url = checkout(guest_with_cart, price, sim)
        assert purchase.shopper.on_stripe_page(page_url, "pay").status_code == 303
    sim.wait_for_deliveries()
    return order


def status_moves(order) -> list[tuple[str, str, str]]:
    return list(
        OrderStatusChange.objects.filter(order=order)
        .order_by("created_at")
        .values_list("field", "old_status", "new_status")
    )


PAID_MOVES = [
    ("status", OrderStatus.PENDING, OrderStatus.PROCESSING),
    ("payment_status", PaymentStatus.PENDING, PaymentStatus.PAID),
]


def test_events_never_delivered_are_stored_and_processed_once(
    sim, stripe_api, guest_with_cart, mug, mailoutbox
):
    order = pay_unseen(guest_with_cart, mug, sim)
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.PENDING)
    assert not WebhookEvent.objects.exists()
    missed = stripe_event_ids(stripe_api)
    assert {"checkout.session.completed", "payment_intent.succeeded"} <= {
        event.type for event in stripe_api().v1.events.list({"delivery_success": False}).data
    }

    out = reconcile()

    n = len(missed)
    assert f"Events: {n} seen, {n} stored, {n} processed, 0 failed, 0 in progress elsewhere" in out
    assert "Orders awaiting payment: 0 checked" in out
    assert set(WebhookEvent.objects.values_list("stripe_event_id", flat=True)) == missed
    assert not WebhookEvent.objects.filter(processed=False).exists()
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert order.customer_email == "buyer@example.com"
    assert status_moves(order) == PAID_MOVES
    assert len(mailoutbox) == 1

    again = reconcile()

    assert f"Events: {n} seen, 0 stored, 0 processed, 0 failed, 0 in progress elsewhere, {n} already" in again
    assert WebhookEvent.objects.count() == n
    assert status_moves(order) == PAID_MOVES
    assert len(mailoutbox) == 1


def test_an_event_delivered_but_lost_by_the_shop_is_found_among_the_newer_ones(
    sim, stripe_api, guest_with_cart, mug
):
    # Stripe got a 2xx for every event, but the shop's record of the payment ones is gone (a
    # database restored from a backup): only "every event since the newest stored" finds them.
    purchase, order, page_url = checkout(guest_with_cart, mug, sim)
    sim.wait_for_deliveries()
    assert purchase.shopper.on_stripe_page(page_url, "pay").status_code == 303
    sim.wait_for_deliveries()
    assert not stripe_api().v1.events.list({"delivery_success": False}).data
    delivered = dict(WebhookEvent.objects.values_list("stripe_event_id", "payload"))
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID
    kept = WebhookEvent.objects.order_by("stripe_created_at").first()
    WebhookEvent.objects.exclude(pk=kept.pk).delete()
    lost = len(delivered) - 1

    out = reconcile()

    assert f"{lost} stored, {lost} processed, 0 failed" in out
    # Stored as the webhook stored them, but for the count of deliveries still owed at the time.
    after = dict(WebhookEvent.objects.values_list("stripe_event_id", "payload"))
    assert set(after) == set(delivered)
    for event_id in set(delivered) - {kept.stripe_event_id}:
        assert after[event_id] == {**delivered[event_id], "pending_webhooks": 0}
    assert set(delivered) == stripe_event_ids(stripe_api)


def test_two_concurrent_runs_process_each_event_once(sim, stripe_api, guest_with_cart, mug, mailoutbox):
    first = pay_unseen(guest_with_cart, mug, sim)
    second = pay_unseen(guest_with_cart, factories.PriceFactory(unit_amount=900), sim)
    missed = stripe_event_ids(stripe_api)
    start = threading.Barrier(2)
    outputs, errors = [], []

    def run():
        try:
            start.wait(timeout=10)
            outputs.append(reconcile())
        except Exception as error:  # a thread's failure must reach the assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(outputs) == 2
    counts = [re.search(r"(\d+) stored, (\d+) processed, 0 failed", out).groups() for out in outputs]
    assert [sum(int(c[i]) for c in counts) for i in (0, 1)] == [len(missed), len(missed)]
    assert set(WebhookEvent.objects.values_list("stripe_event_id", flat=True)) == missed
    assert WebhookEvent.objects.count() == len(missed)
    assert not WebhookEvent.objects.filter(processed=False).exists()
    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) == {1}
    for order in (first, second):
        order.refresh_from_db()
        assert order.payment_status == PaymentStatus.PAID
        assert status_moves(order) == PAID_MOVES
    assert len(mailoutbox) == 2


def test_dry_run_reports_and_writes_nothing(sim, stripe_api, guest_with_cart, mug, mailoutbox):
    order = pay_unseen(guest_with_cart, mug, sim)
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(hours=1))
    n = len(stripe_event_ids(stripe_api))

    out = reconcile("--dry-run")

    assert "Dry run: nothing was written." in out
    assert f"Events: {n} seen, {n} to store and process, 0 already stored" in out
    assert "Orders awaiting payment: 1 checked, 1 to confirm, 0 to cancel, 0 to fail" in out
    assert not WebhookEvent.objects.exists()
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.PENDING)
    assert status_moves(order) == []
    assert mailoutbox == []


def test_an_order_stuck_pending_whose_session_expired_is_cancelled(sim, stripe_api, guest_with_cart, mug):
    purchase, order, _ = checkout(guest_with_cart, mug, sim)
    sim.wait_for_deliveries()
    with sim.deliveries_dropped():
        sim.expire(order.stripe_checkout_session_id)
    # The shop stored the expiry but died before processing it: the inbox holds it for
    # retry_webhooks, which reconcile leaves alone; asking Stripe about the order settles it.
    (expired,) = stripe_api().v1.events.list({"type": "checkout.session.expired"}).data
    webhook_event_store(event=expired.to_dict())
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(hours=1))
    _, fresh_order, _ = checkout(guest_with_cart, factories.PriceFactory(), sim)
    sim.wait_for_deliveries()

    out = reconcile()

    assert "0 stored, 0 processed, 0 failed" in out
    assert "Orders awaiting payment: 1 checked, 0 confirmed, 1 cancelled, 0 failed, 0 unchanged" in out
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.CANCELED)
    purchase.cart.refresh_from_db()
    assert not purchase.cart.is_locked
    fresh_order.refresh_from_db()
    assert fresh_order.status == OrderStatus.PENDING
    assert WebhookEvent.objects.get(stripe_event_id=expired.id).processed is False


def test_a_digital_order_paid_unseen_is_counted_confirmed_when_settled_complete(
    sim, stripe_api, guest_with_cart
):
    guide = factories.PriceFactory(product__name="Brewing guide (PDF)", product__requires_shipping=False)
    order = pay_unseen(guest_with_cart, guide, sim)
    # The shop stored the payment's event but died before processing it: asking Stripe settles it.
    for event in stripe_api().v1.events.list({"limit": 100}).auto_paging_iter():
        # As Stripe sent it: the SDK reads decimal strings as Decimal.
        webhook_event_store(event=json.loads(json.dumps(event.to_dict(), default=str)))
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(hours=1))

    out = reconcile()

    assert "Orders awaiting payment: 1 checked, 1 confirmed, 0 cancelled, 0 failed, 0 unchanged" in out
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.COMPLETED, PaymentStatus.PAID)

"""Payment-driven order writes (orders/services.py): each status moves once, forwards only."""

import datetime

import pytest
from django.db import DatabaseError
from django.utils import timezone

from cart.models import CartStatus
from cart.selectors import cart_lines
from orders.emails import order_confirmation_send
from orders.exceptions import InvalidStatusTransition
from orders.fulfilment import order_mark_shipped
from orders.models import (
    FulfillmentStatus,
    Order,
    OrderItem,
    OrderStatus,
    OrderStatusChange,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from orders.selectors import order_staff_notes
from orders.services import (
    PaymentDetails,
    order_apply_refunds,
    order_cancel,
    order_create_from_cart,
    order_flag_for_staff,
    order_mark_paid,
    order_mark_payment_failed,
    order_record_checkout,
    order_record_dispute,
    order_set_payment_status,
    order_staff_notes_clear,
    refund_record_from_stripe,
)
from orders.tasks import order_emails_catch_up
from tests import factories

SESSION_ID = "cs_test_services"


@pytest.fixture
def frozen_cart(db):
    """A guest cart with two mugs at 1800 and a yearly plan with a trial, frozen on SESSION_ID."""
    cart = factories.CartFactory(currency="usd", checkout_session_id=SESSION_ID)
    mug = factories.PriceFactory(product__name="Mug", unit_amount=1800, stripe_price_id="price_mug")
    plan = factories.PriceFactory(
        yearly=True,
        product__name="Club",
        unit_amount=9000,
        trial_period_days=30,
        stripe_price_id="price_club",
    )
    factories.CartItemFactory(cart=cart, price=mug, quantity=2)
    factories.CartItemFactory(cart=cart, price=plan, quantity=1)
    return cart


def lines_of(cart):
    return cart_lines(cart)


def pending_order(cart, *, user=None):
    order, _ = order_create_from_cart(
        cart=cart,
        lines=lines_of(cart),
        number="ORD-TEST0001",
        user=user,
        checkout_session_id=SESSION_ID,
    )
    return order


def stripe_details(**changes):
    fields = {
        "currency": "usd",
        "amount_subtotal": 3400,
        "amount_discount": 200,
        "amount_tax": 150,
        "amount_shipping": 500,
        "amount_total": 3850,
        "customer_email": "buyer@example.com",
        "customer_name": "Ada Buyer",
        "billing_address": {"line1": "1 Harbour Street", "city": "Portland", "country": "US"},
        "shipping_name": "Ada Buyer",
        "shipping_address": {"line1": "1 Harbour Street", "city": "Portland", "country": "US"},
        "stripe_payment_intent_id": "pi_services",
        "stripe_customer_id": "cus_services",
        "line_amounts": {"price_mug": (1700, 3400)},
    }
    return PaymentDetails(**{**fields, **changes})


def test_an_order_snapshots_its_lines_in_integer_cents(frozen_cart):
    user = factories.UserFactory(email="member@example.com", name="Mem Ber")

    order = pending_order(frozen_cart, user=user)

    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.PENDING)
    assert (order.number, order.stripe_checkout_session_id, order.cart) == (
        "ORD-TEST0001",
        SESSION_ID,
        frozen_cart,
    )
    assert (order.customer_email, order.customer_name) == ("member@example.com", "Mem Ber")
    # The yearly plan starts with a trial: only the mugs are due today.
    assert (order.amount_subtotal, order.amount_total, order.currency) == (12600, 3600, "usd")
    assert list(
        order.items.order_by("product_name").values_list(
            "product_name",
            "unit_amount",
            "quantity",
            "amount_total",
            "price_type",
            "recurring_interval",
            "trial_period_days",
            "stripe_price_id",
        )
    ) == [
        ("Club", 9000, 1, 9000, "RECURRING", "year", 30, "price_club"),
        ("Mug", 1800, 2, 3600, "ONE_TIME", "", None, "price_mug"),
    ]


def test_an_order_line_keeps_how_often_its_price_bills(db):
    quarterly = factories.PriceFactory(monthly=True, recurring_interval_count=3, unit_amount=2400)
    item = factories.CartItemFactory(price=quarterly, quantity=1)

    order, _ = order_create_from_cart(
        cart=item.cart,
        lines=cart_lines(item.cart),
        number="ORD-QUARTER1",
        user=None,
        checkout_session_id="cs_q",
    )

    [line] = order.items.all()
    assert (line.recurring_interval, line.recurring_interval_count) == ("month", 3)
    assert line.billing_label == "every 3 months"


def test_a_dispute_note_says_how_much_moved_when_part_comes_back(db):
    order = factories.OrderFactory(paid=True, amount_total=3600, currency="usd")
    neighbour = factories.OrderFactory(paid=True)
    terms = {
        "stripe_dispute_id": "dp_1",
        "amount": 3600,
        "currency": "usd",
        "reason": "fraudulent",
        "due_by": None,
    }
    order_record_dispute(order=order, status="needs_response", withdrawn=3600, **terms)

    order_record_dispute(order=order, status="under_review", withdrawn=1000, **terms)

    assert order_staff_notes(Order.objects.get(pk=order.pk))[-1] == (
        "Dispute dp_1 (under review): the cardholder's bank returned $26.00; $10.00 of this payment is "
        "with the bank now."
    )
    assert not order_staff_notes(Order.objects.get(pk=neighbour.pk))


def test_a_second_checkout_of_the_same_session_gets_the_same_order(frozen_cart):
    first = pending_order(frozen_cart)

    again, created = order_create_from_cart(
        cart=frozen_cart,
        lines=lines_of(frozen_cart),
        number="ORD-TEST0001",
        user=None,
        checkout_session_id=SESSION_ID,
    )

    assert (again.pk, created) == (first.pk, False)
    assert Order.objects.count() == 1
    assert OrderItem.objects.count() == 2


def test_marking_paid_applies_stripes_figures_once_and_emails_once(frozen_cart, mailoutbox):
    order = pending_order(frozen_cart)

    assert order_mark_paid(order=order, details=stripe_details(), note="paid") is True
    assert order_mark_paid(order=order, details=stripe_details(amount_total=1), note="paid again") is False

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert order.paid_at is not None
    assert (order.amount_subtotal, order.amount_discount, order.amount_tax) == (3400, 200, 150)
    assert (order.amount_shipping, order.amount_total) == (500, 3850)
    assert (order.customer_email, order.shipping_address["city"]) == ("buyer@example.com", "Portland")
    assert (order.stripe_payment_intent_id, order.stripe_customer_id) == ("pi_services", "cus_services")
    assert order.items.get(stripe_price_id="price_mug").unit_amount == 1700
    frozen_cart.refresh_from_db()
    assert frozen_cart.status == CartStatus.CHECKED_OUT
    assert OrderStatusChange.objects.filter(order=order).count() == 2
    assert [message.to for message in mailoutbox] == [["buyer@example.com"]]
    assert "$38.50" in mailoutbox[0].body


def test_a_cancelled_order_cannot_be_marked_paid(frozen_cart, mailoutbox):
    order = pending_order(frozen_cart)
    order_cancel(order=order, note="expired")

    with pytest.raises(InvalidStatusTransition):
        order_mark_paid(order=order, details=stripe_details(), note="late")

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.CANCELED)
    assert order.stripe_payment_intent_id is None
    assert mailoutbox == []


def test_a_payment_still_settling_records_stripes_figures_and_checks_out_the_cart(frozen_cart, mailoutbox):
    order = pending_order(frozen_cart)

    assert order_record_checkout(order=order, details=stripe_details()) is True

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.PENDING)
    assert (order.stripe_payment_intent_id, order.amount_total) == ("pi_services", 3850)
    frozen_cart.refresh_from_db()
    assert frozen_cart.status == CartStatus.CHECKED_OUT
    assert mailoutbox == []
    assert not OrderStatusChange.objects.exists()


def test_a_failed_payment_fails_the_order(frozen_cart):
    order = pending_order(frozen_cart)

    assert order_mark_payment_failed(order=order, note="bank said no") is True
    assert order_mark_payment_failed(order=order, note="bank said no") is False

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.FAILED, PaymentStatus.FAILED)
    # Staff read why on the order's history, beside both moves.
    assert sorted(order.status_changes.values_list("field", "new_status", "note")) == [
        ("payment_status", PaymentStatus.FAILED, "bank said no"),
        ("status", OrderStatus.FAILED, "bank said no"),
    ]
    assert order_record_checkout(order=order, details=stripe_details()) is False


def test_a_failed_payment_cut_short_after_its_first_move_is_completed_by_the_next_run(frozen_cart):
    order = pending_order(frozen_cart)
    # The run before wrote the payment's move, then its process died.
    Order.objects.filter(pk=order.pk).update(payment_status=PaymentStatus.FAILED)
    order.refresh_from_db()

    assert order_mark_payment_failed(order=order, note="bank said no") is True

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.FAILED, PaymentStatus.FAILED)


def test_a_failed_payment_fails_an_order_another_event_moved_meanwhile(frozen_cart):
    order = pending_order(frozen_cart)
    # Another delivery recorded a declined attempt meanwhile: this copy of the order is stale.
    order_set_payment_status(
        order=Order.objects.get(pk=order.pk),
        payment_status=PaymentStatus.REQUIRES_PAYMENT_METHOD,
        note="declined",
    )

    assert order_mark_payment_failed(order=order, note="bank said no") is True

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.FAILED, PaymentStatus.FAILED)


def test_cancelling_unlocks_the_cart_and_moves_its_version(frozen_cart):
    version = frozen_cart.updated_at
    order = pending_order(frozen_cart)

    assert order_cancel(order=order, note="expired") is True
    assert order_cancel(order=order, note="expired") is False

    frozen_cart.refresh_from_db()
    assert (frozen_cart.status, frozen_cart.checkout_session_id) == (CartStatus.ACTIVE, None)
    assert frozen_cart.updated_at > version


def test_a_paid_order_is_never_cancelled(frozen_cart):
    order = pending_order(frozen_cart)
    order_mark_paid(order=order, details=stripe_details(), note="paid")

    with pytest.raises(InvalidStatusTransition):
        order_cancel(order=order, note="late expiry")

    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING
    frozen_cart.refresh_from_db()
    assert frozen_cart.status == CartStatus.CHECKED_OUT


def stripe_refund(order, stripe_refund_id, amount, status):
    return refund_record_from_stripe(
        order=order, stripe_refund_id=stripe_refund_id, amount=amount, currency="usd", status=status
    )


def test_a_refund_still_pending_leaves_the_payment_paid(frozen_cart):
    order = pending_order(frozen_cart)
    order_mark_paid(order=order, details=stripe_details(), note="paid")
    stripe_refund(order, "re_pending", 1000, RefundStatus.PENDING)

    assert order_apply_refunds(order=order) is False

    order.refresh_from_db()
    assert (order.status, order.payment_status, order.refunded_amount) == (
        OrderStatus.PROCESSING,
        PaymentStatus.PAID,
        0,
    )


def test_the_refunded_amount_is_the_sum_of_the_refunds_that_stand(frozen_cart):
    order = pending_order(frozen_cart)
    order_mark_paid(order=order, details=stripe_details(), note="paid")
    other = factories.OrderFactory(paid=True, amount_total=3850)
    stripe_refund(other, "re_other", 500, RefundStatus.SUCCEEDED)

    stripe_refund(order, "re_first", 1000, RefundStatus.SUCCEEDED)
    assert order_apply_refunds(order=order, reason="damaged") is True
    order.refresh_from_db()
    assert (order.payment_status, order.refunded_amount, order.refund_reason) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        1000,
        "damaged",
    )
    assert order.status == OrderStatus.PROCESSING

    stripe_refund(order, "re_rest", 2850, RefundStatus.SUCCEEDED)
    assert order_apply_refunds(order=order, reason="duplicate") is True
    # A late report of the first refund, from before it succeeded, changes nothing.
    stripe_refund(order, "re_first", 1000, RefundStatus.PENDING)
    assert order_apply_refunds(order=order) is False
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.refunded_amount) == (
        OrderStatus.REFUNDED,
        PaymentStatus.REFUNDED,
        3850,
    )
    # The first refund's reason stays the order's.
    assert order.refund_reason == "damaged"

    # The second one fails after it succeeded: it comes off, and the order is back where it was.
    stripe_refund(order, "re_rest", 2850, RefundStatus.FAILED)
    assert order_apply_refunds(order=order) is True
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.refunded_amount) == (
        OrderStatus.PROCESSING,
        PaymentStatus.PARTIALLY_REFUNDED,
        1000,
    )
    other.refresh_from_db()
    assert (other.payment_status, other.refunded_amount) == (PaymentStatus.PAID, 0)


def test_a_shipped_order_whose_full_refund_fails_is_completed_again_in_its_own_currency(db):
    order = factories.OrderFactory(paid=True, currency="eur", amount_total=2000)
    order.set_status("status", OrderStatus.COMPLETED, note="Shipped")

    def refund_reported(status):
        refund_record_from_stripe(
            order=order, stripe_refund_id="re_all", amount=2000, currency="eur", status=status
        )
        return order_apply_refunds(order=order)

    assert refund_reported(RefundStatus.SUCCEEDED) is True
    assert order.status == OrderStatus.REFUNDED
    assert refund_reported(RefundStatus.FAILED) is True

    order.refresh_from_db()
    assert (order.status, order.payment_status, order.refunded_amount) == (
        OrderStatus.COMPLETED,
        PaymentStatus.PAID,
        0,
    )
    notes = set(order.status_changes.filter(field="payment_status").values_list("note", flat=True))
    assert notes == {
        "Refunded €20.00 in total",
        "A refund failed or was canceled at Stripe; €0.00 refunded in total",
    }
    # Given without a reason: staff see none.
    assert Refund.objects.get(stripe_refund_id="re_all").reason == ""


def test_refund_rows_are_matched_by_stripe_id_or_by_our_own_id(frozen_cart):
    order = pending_order(frozen_cart)
    requested = Refund.objects.create(
        order=order, amount=500, currency="usd", idempotency_key="refund-services"
    )

    matched = refund_record_from_stripe(
        order=order,
        stripe_refund_id="re_1",
        amount=500,
        currency="usd",
        status=RefundStatus.PENDING,
        refund_id=str(requested.pk),
    )
    updated = refund_record_from_stripe(
        order=order, stripe_refund_id="re_1", amount=500, currency="usd", status=RefundStatus.SUCCEEDED
    )
    # A second Stripe refund naming our refund, which has its own already: a row of its own.
    refund_record_from_stripe(
        order=order,
        stripe_refund_id="re_2",
        amount=300,
        currency="usd",
        status=RefundStatus.SUCCEEDED,
        reason="x",
        refund_id=str(requested.pk),
    )

    assert matched.pk == updated.pk == requested.pk
    assert list(
        Refund.objects.order_by("amount").values_list("stripe_refund_id", "amount", "status", "reason")
    ) == [
        ("re_2", 300, RefundStatus.SUCCEEDED, "x"),
        ("re_1", 500, RefundStatus.SUCCEEDED, ""),
    ]


def test_notes_staff_looked_into_leave_the_order_and_the_rest_stay(db, monkeypatch):
    order, neighbour = factories.OrderFactory(paid=True), factories.OrderFactory(paid=True)
    for flagged in (order, neighbour):
        order_flag_for_staff(order=flagged, note="Check the address")
    flagged_at = (timezone.now() + datetime.timedelta(hours=1)).replace(microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: flagged_at)
    order_flag_for_staff(order=order, note="Refund by hand")
    # The order's page reads when it last changed.
    assert Order.objects.get(pk=order.pk).updated_at == flagged_at

    order_staff_notes_clear(order=order, notes=["Check the address"])
    assert order_staff_notes(Order.objects.get(pk=order.pk)) == ["Refund by hand"]
    order_staff_notes_clear(order=order, notes=["Refund by hand"])

    assert list(Order.objects.needing_attention()) == [neighbour]
    assert order_staff_notes(Order.objects.get(pk=neighbour.pk)) == ["Check the address"]


def test_a_refund_email_whose_outbox_write_failed_is_sent_once_when_the_event_is_retried(
    frozen_cart, mailoutbox, request
):
    order = pending_order(frozen_cart)
    order_mark_paid(order=order, details=stripe_details(), note="paid")
    mailoutbox.clear()
    request.getfixturevalue("outbox_write_fails_once")

    # The error reaches the event, which is tried again.
    with pytest.raises(DatabaseError):
        stripe_refund(order, "re_once", 1000, RefundStatus.SUCCEEDED)
    stripe_refund(order, "re_once", 1000, RefundStatus.SUCCEEDED)
    stripe_refund(order, "re_once", 1000, RefundStatus.SUCCEEDED)

    assert [(message.to, message.subject) for message in mailoutbox] == [
        (["buyer@example.com"], f"Your Northwind Goods order {order.number} has been refunded")
    ]


def test_a_shipping_email_whose_outbox_write_failed_is_sent_once_by_the_next_catch_up(mailoutbox, request):
    order = factories.OrderFactory(paid=True, customer_email="ada@example.com")
    neighbour = factories.OrderFactory(paid=True, customer_email="grace@example.com")
    for paid in (order, neighbour):
        order_confirmation_send(order_id=paid.pk)
    mailoutbox.clear()
    request.getfixturevalue("outbox_write_fails_once")

    with pytest.raises(DatabaseError):
        order_mark_shipped(order=order, carrier="DHL", tracking_number="JD0001")
    assert Order.objects.get(pk=order.pk).fulfillment_status == FulfillmentStatus.SHIPPED
    # The worker's hourly catch-up, and staff shipping it again, each queue it at most once.
    order_emails_catch_up.call()
    order_emails_catch_up.call()
    assert order_mark_shipped(order=order, carrier="DHL", tracking_number="JD0001") is False

    assert [(message.to, message.subject) for message in mailoutbox] == [
        (["ada@example.com"], f"Your Northwind Goods order {order.number} has shipped")
    ]
    assert Order.objects.get(pk=neighbour.pk).fulfillment_status == FulfillmentStatus.UNFULFILLED


def test_a_confirmation_whose_outbox_write_failed_is_queued_by_the_next_run(frozen_cart, mailoutbox, request):
    order = pending_order(frozen_cart)
    request.getfixturevalue("outbox_write_fails_once")

    with pytest.raises(DatabaseError):
        order_mark_paid(order=order, details=stripe_details(), note="paid")
    # The event is tried again; the order is paid already.
    assert order_mark_paid(order=order, details=stripe_details(), note="paid") is False
    assert order_mark_paid(order=order, details=stripe_details(), note="paid") is False

    assert [message.to for message in mailoutbox] == [["buyer@example.com"]]

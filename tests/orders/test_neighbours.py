"""Every order write changes one order: other orders, their lines and refunds stay as they were."""

import logging
from datetime import UTC, datetime

import pytest

from cart.models import Cart
from cart.selectors import cart_lines
from orders.models import DISPUTE_KEY, Order, OrderStatus, Refund, RefundStatus
from orders.services import (
    STAFF_ATTENTION_KEY,
    order_apply_refunds,
    order_attach_guest_orders,
    order_cancel,
    order_create_from_cart,
    order_flag_for_staff,
    order_mark_paid,
    order_record_checkout,
    order_record_dispute,
    refund_record_from_stripe,
)
from tests import factories
from tests.orders.test_services import stripe_details

MUG_STRIPE_PRICE = "price_mug"
BUYER = "buyer@example.com"


def state(order_id):
    """Return what a shopper or staff could notice of an order: its fields, lines and refunds."""
    order = Order.objects.get(pk=order_id)
    fields = {
        name: getattr(order, name)
        for name in (
            "user_id",
            "status",
            "payment_status",
            "customer_email",
            "amount_total",
            "refunded_amount",
            "refund_reason",
            "stripe_payment_intent_id",
            "metadata",
        )
    }
    items = sorted(order.items.values_list("stripe_price_id", "unit_amount", "quantity", "amount_total"))
    refunds = sorted(order.refunds.values_list("stripe_refund_id", "amount", "status", "reason"), key=str)
    return fields, items, refunds


@pytest.fixture
def mug(db):
    return factories.PriceFactory(unit_amount=1800, stripe_price_id=MUG_STRIPE_PRICE)


@pytest.fixture
def neighbours(mug):
    """Other shoppers' orders: a past paid one of the mug with a refund, a paid guest order of the
    same buyer address as the order under test, a pending checkout and a pending guest order.
    Return a function that asserts them untouched."""
    past = factories.OrderFactory(paid=True, amount_total=3600, customer_email="past@example.com")
    factories.OrderItemFactory(order=past, price=mug, stripe_price_id=MUG_STRIPE_PRICE, quantity=2)
    factories.RefundFactory(order=past, amount=500, stripe_refund_id="re_past", status=RefundStatus.SUCCEEDED)
    factories.RefundFactory(order=past, amount=700, status=RefundStatus.PENDING)
    others = [
        past,
        factories.OrderFactory(paid=True, customer_email=BUYER),
        factories.OrderFactory(),
        factories.OrderFactory(user=None, customer_email="someone@example.com"),
    ]
    before = {order.pk: state(order.pk) for order in others}

    def assert_untouched():
        assert {order_id: state(order_id) for order_id in before} == before

    return assert_untouched


@pytest.fixture
def order(neighbours, mug):
    """A pending guest order for two mugs, its cart frozen on its Checkout Session."""
    cart = factories.CartFactory(currency="usd", checkout_session_id="cs_neighbours")
    factories.CartItemFactory(cart=cart, price=mug, quantity=2)
    order, _ = order_create_from_cart(
        cart=cart,
        lines=cart_lines(cart),
        number="ORD-NEIGHBOUR",
        user=None,
        checkout_session_id="cs_neighbours",
    )
    return order


def test_a_paid_order_takes_stripes_line_amounts_and_no_other_order_does(order, neighbours):
    order_mark_paid(
        order=order, details=stripe_details(line_amounts={MUG_STRIPE_PRICE: (1700, 3400)}), note="paid"
    )

    assert list(order.items.values_list("unit_amount", "amount_total")) == [(1700, 3400)]
    assert Cart.objects.get(pk=order.cart_id).status == "CHECKED_OUT"
    neighbours()


def test_a_settling_payment_records_stripes_figures_on_its_order_only(order, neighbours):
    order_record_checkout(order=order, details=stripe_details(line_amounts={MUG_STRIPE_PRICE: (1700, 3400)}))

    assert Order.objects.get(pk=order.pk).amount_total == 3850
    assert list(order.items.values_list("unit_amount", "amount_total")) == [(1700, 3400)]
    neighbours()


def test_cancelling_an_order_changes_no_other_order(order, neighbours):
    order_cancel(order=order, note="expired")

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    neighbours()


def test_a_refund_changes_only_its_order(order, neighbours):
    order_mark_paid(order=order, details=stripe_details(), note="paid")

    Refund.objects.create(
        order=order,
        amount=1000,
        currency=order.currency,
        status=RefundStatus.SUCCEEDED,
        stripe_refund_id="re_1",
    )

    order_apply_refunds(order=order, reason="damaged")

    assert state(order.pk)[0]["refunded_amount"] == 1000
    neighbours()


def test_a_stripe_refund_is_recorded_on_its_order_without_touching_other_refunds(order, neighbours):
    refund = refund_record_from_stripe(
        order=order, stripe_refund_id="re_new", amount=300, currency="usd", status=RefundStatus.SUCCEEDED
    )

    assert list(Refund.objects.filter(order=order).values_list("pk", "stripe_refund_id")) == [
        (refund.pk, "re_new")
    ]
    neighbours()


def test_a_refund_naming_another_orders_refund_in_its_metadata_does_not_overwrite_it(order, neighbours):
    # Metadata is Stripe's copy of what was sent; a refund made in the dashboard may carry anything.
    others_pending = Refund.objects.exclude(order=order).get(status=RefundStatus.PENDING)

    refund = refund_record_from_stripe(
        order=order,
        stripe_refund_id="re_mine",
        amount=300,
        currency="usd",
        status=RefundStatus.SUCCEEDED,
        refund_id=str(others_pending.pk),
    )

    assert refund.pk != others_pending.pk
    assert (refund.order_id, refund.stripe_refund_id) == (order.pk, "re_mine")
    neighbours()


def test_a_note_for_staff_and_a_dispute_land_on_their_order_only(order, neighbours):
    order_flag_for_staff(order=order, note="Check this payment")
    order_record_dispute(
        order=order,
        stripe_dispute_id="dp_1",
        status="needs_response",
        amount=3600,
        currency="usd",
        reason="fraudulent",
        due_by=datetime(2030, 1, 1, tzinfo=UTC),
    )

    metadata = Order.objects.get(pk=order.pk).metadata
    assert metadata[STAFF_ATTENTION_KEY] == ["Check this payment"]
    assert metadata[DISPUTE_KEY]["id"] == "dp_1"
    neighbours()


def test_proving_an_address_attaches_only_the_guest_orders_placed_with_it(neighbours, caplog):
    caplog.set_level(logging.INFO, logger="orders.services")
    user = factories.UserFactory(email=BUYER)
    mine = factories.OrderFactory(user=None, customer_email=BUYER.upper())

    assert order_attach_guest_orders(user=user, email=BUYER) == 1
    # The log names the account, so support can say whose orders moved.
    assert f"1 guest order(s) attached to user {user.pk}, who proved their address" in caplog.messages

    assert Order.objects.get(pk=mine.pk).user == user
    # The paid order of another account with that address stays that account's.
    neighbours()

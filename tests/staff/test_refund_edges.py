"""Refunds at their edges: a completed order refunded in full, an exact full refund, a late delivery."""

from orders.fulfilment import order_mark_delivered, order_mark_shipped
from orders.models import STAFF_ATTENTION_KEY, Order, OrderStatus, PaymentStatus, Refund, RefundStatus
from orders.services import order_apply_refunds
from tests import factories
from tests.staff.helpers import paid_order
from tests.staff.test_refunds import order_state, submit_refund


def test_a_delivered_order_refunded_in_full_is_refunded_and_not_flagged(staff_client, stripe_sim):
    order = paid_order(stripe_sim, unit_amount=1800, quantity=2)
    order_mark_shipped(order=order, carrier="DHL", tracking_number="JD0001")
    order_mark_delivered(order=order)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED
    bystander = factories.OrderFactory(paid=True)

    submit_refund(staff_client, order, "36.00", reason="Returned unopened")
    stripe_sim.wait_for_deliveries()

    assert order_state(order)[:3] == (OrderStatus.REFUNDED, PaymentStatus.REFUNDED, 3600)
    assert list(Refund.objects.values_list("amount", "status")) == [(3600, RefundStatus.SUCCEEDED)]
    # Exactly what was paid came back: nothing for staff to look into.
    assert STAFF_ATTENTION_KEY not in Order.objects.get(pk=order.pk).metadata
    bystander.refresh_from_db()
    assert (bystander.status, bystander.payment_status, bystander.refunded_amount) == (
        OrderStatus.PROCESSING,
        PaymentStatus.PAID,
        0,
    )


def _refund_succeeded(order, amount, stripe_refund_id="re_edge"):
    return Refund.objects.create(
        order=order,
        amount=amount,
        currency=order.currency,
        status=RefundStatus.SUCCEEDED,
        stripe_refund_id=stripe_refund_id,
    )


def test_an_exact_full_refund_is_not_an_over_refund(db):
    order = factories.OrderFactory(paid=True, amount_total=3600)
    _refund_succeeded(order, 3600)

    assert order_apply_refunds(order=order, stripe_charge_id="ch_1")

    order.refresh_from_db()
    assert (order.status, order.payment_status, order.refunded_amount) == (
        OrderStatus.REFUNDED,
        PaymentStatus.REFUNDED,
        3600,
    )
    assert STAFF_ATTENTION_KEY not in order.metadata


def test_a_full_refund_completes_a_completed_order_as_refunded(db):
    order = factories.OrderFactory(paid=True, amount_total=3600, status=OrderStatus.COMPLETED)
    _refund_succeeded(order, 3600)

    order_apply_refunds(order=order)

    assert order_state(order)[:3] == (OrderStatus.REFUNDED, PaymentStatus.REFUNDED, 3600)


def test_a_late_delivery_of_a_smaller_refunded_total_never_moves_it_back(db):
    order = factories.OrderFactory(paid=True, amount_total=3600)
    # The late delivery's handler read the order when only the first refund stood.
    _refund_succeeded(order, 1000, "re_first")
    order_apply_refunds(order=order)
    read_by_late_delivery = Order.objects.get(pk=order.pk)
    _refund_succeeded(order, 2600, "re_second")
    order_apply_refunds(order=Order.objects.get(pk=order.pk))

    order_apply_refunds(order=read_by_late_delivery)

    assert order_state(order)[:3] == (OrderStatus.REFUNDED, PaymentStatus.REFUNDED, 3600)

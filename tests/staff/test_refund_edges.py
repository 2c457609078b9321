"""Refunds at their edges: a completed order refunded in full, an exact full refund, a late delivery."""

from orders.fulfilment import order_mark_delivered, order_mark_shipped
from orders.models import Order, OrderStatus, PaymentStatus, Refund, RefundStatus
from orders.services import STAFF_ATTENTION_KEY, order_apply_refund
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


def test_an_exact_full_refund_is_not_an_over_refund(db):
    order = factories.OrderFactory(paid=True, amount_total=3600)

    assert order_apply_refund(order=order, amount_refunded=3600, fully_refunded=True, stripe_charge_id="ch_1")

    order.refresh_from_db()
    assert (order.status, order.payment_status, order.refunded_amount) == (
        OrderStatus.REFUNDED,
        PaymentStatus.REFUNDED,
        3600,
    )
    assert STAFF_ATTENTION_KEY not in order.metadata


def test_a_full_refund_completes_a_completed_order_as_refunded(db):
    order = factories.OrderFactory(paid=True, amount_total=3600, status=OrderStatus.COMPLETED)

    order_apply_refund(order=order, amount_refunded=3600, fully_refunded=True)

    assert order_state(order)[:3] == (OrderStatus.REFUNDED, PaymentStatus.REFUNDED, 3600)


def test_a_late_delivery_of_a_smaller_refunded_total_never_moves_it_back(db):
    order = factories.OrderFactory(paid=True, amount_total=3600)
    # The late delivery's handler read the order before the larger total was applied.
    read_by_late_delivery = Order.objects.get(pk=order.pk)
    order_apply_refund(order=order, amount_refunded=3600, fully_refunded=True)

    order_apply_refund(order=read_by_late_delivery, amount_refunded=1000, fully_refunded=False)

    assert order_state(order)[:3] == (OrderStatus.REFUNDED, PaymentStatus.REFUNDED, 3600)

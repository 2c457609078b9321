"""A payment Stripe took for an order the shop had already cancelled: the order stays cancelled, and
staff are told, on the order and on the dashboard, that money came in for it."""

import pytest
from django.urls import reverse

from orders.exceptions import InvalidStatusTransition
from orders.models import STAFF_ATTENTION_KEY, Order, OrderStatus, PaymentStatus
from orders.services import order_cancel
from payments.confirmation import checkout_session_confirm
from payments.models import WebhookEvent
from tests.staff.helpers import open_checkout, order_change_url, paid_order

NOTE = (
    "Paid after its payment was cancelled: Stripe took $36.00 (payment {intent}), but the order stays "
    "cancelled. Refund it in Stripe's dashboard, or contact the customer and fulfil it by hand."
)


@pytest.mark.parametrize("told_by", ["webhook", "success page"])
def test_a_payment_for_a_cancelled_order_is_flagged_for_staff(staff_client, stripe_sim, told_by, caplog):
    order = open_checkout()
    cancelled_neighbour = open_checkout()
    stripe_sim.wait_for_deliveries()
    # The shop gave both checkouts up while Stripe still held their sessions open (its call to
    # expire them failed): the shopper can still pay on Stripe's page.
    for each in (order, cancelled_neighbour):
        order_cancel(order=each, note="Checkout abandoned: cart changed during checkout")
    paid_neighbour = paid_order(stripe_sim, unit_amount=1000, quantity=1)

    if told_by == "webhook":
        session = stripe_sim.pay(order.stripe_checkout_session_id)
        stripe_sim.wait_for_deliveries()
    else:
        with stripe_sim.deliveries_dropped():
            session = stripe_sim.pay(order.stripe_checkout_session_id)
        with pytest.raises(InvalidStatusTransition):
            checkout_session_confirm(session_id=order.stripe_checkout_session_id)

    order = Order.objects.get(pk=order.pk)
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.CANCELED)
    if told_by == "webhook":
        # The webhook log says what became of the money, not that the event was superseded.
        event = WebhookEvent.objects.get(
            type="checkout.session.completed", payload__data__object__id=order.stripe_checkout_session_id
        )
        assert event.processed
        assert event.last_error == f"Flagged for staff on order {order.number}: " + NOTE.format(
            intent=session["payment_intent"]
        )
    assert order.metadata[STAFF_ATTENTION_KEY] == [NOTE.format(intent=session["payment_intent"])]
    # The error log says it too, for whoever watches the logs rather than the admin.
    assert f"order {order.number}: {NOTE.format(intent=session['payment_intent'])}" in caplog.messages
    page = staff_client.get(order_change_url(order)).text
    assert "Needs your attention" in page
    assert "Paid after its payment was cancelled: Stripe took $36.00" in page
    dashboard = staff_client.get(reverse("admin:index"))
    attention = dashboard.context["dashboard"]["needing_attention"]
    assert attention["count"] == 1
    assert "Orders needing your attention" in dashboard.text
    listed = staff_client.get(attention["url"]).context["cl"].result_list
    assert [o.number for o in listed] == [order.number]
    for neighbour in (cancelled_neighbour, paid_neighbour):
        assert STAFF_ATTENTION_KEY not in Order.objects.get(pk=neighbour.pk).metadata
    assert Order.objects.get(pk=paid_neighbour.pk).payment_status == PaymentStatus.PAID

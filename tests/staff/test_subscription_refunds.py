"""Refunds of subscription payments from the order admin, through the same flow as one-time orders:
the first invoice's payment on the checkout order, each renewal's on its own order."""

from django.urls import reverse

from orders.models import Order, OrderStatus, PaymentStatus, Refund, RefundStatus
from tests import factories
from tests.payments.subscriptions import advance_one_period, renewals_of, wait_until
from tests.staff.helpers import checkout_paid, messages_of, order_change_url
from tests.staff.test_refunds import order_state, submit_refund


def subscribed(simulator, *, unit_amount=1200, quantity=2) -> Order:
    """Return the PAID checkout order of a guest's subscription paid through the simulator."""
    plan = factories.PriceFactory(monthly=True, unit_amount=unit_amount)
    cart = factories.CartFactory(currency=plan.currency)
    factories.CartItemFactory(cart=cart, price=plan, quantity=quantity)
    order = checkout_paid(simulator, cart)
    assert order.payment_status == PaymentStatus.PAID
    return order


def test_the_first_payment_of_a_subscription_is_refunded_like_a_one_time_order(
    staff_client, stripe_sim, stripe_api
):
    order = subscribed(stripe_sim)
    assert order.stripe_payment_intent_id.startswith("pi_")
    assert order.stripe_invoice_id.startswith("in_")

    response = submit_refund(staff_client, order, "10.00")

    assert any("Stripe accepted the refund of $10.00" in message for message in messages_of(response))
    stripe_sim.wait_for_deliveries()
    assert order_state(order)[:3] == (OrderStatus.PROCESSING, PaymentStatus.PARTIALLY_REFUNDED, 1000)
    submit_refund(staff_client, order, "14.00")
    stripe_sim.wait_for_deliveries()
    assert order_state(order)[:3] == (OrderStatus.REFUNDED, PaymentStatus.REFUNDED, 2400)
    assert sorted(Refund.objects.filter(order=order).values_list("amount", "status")) == [
        (1000, RefundStatus.SUCCEEDED),
        (1400, RefundStatus.SUCCEEDED),
    ]
    refunds = stripe_api().v1.refunds.list({"payment_intent": order.stripe_payment_intent_id}).data
    assert sorted(refund.amount for refund in refunds) == [1000, 1400]


def test_a_renewal_payment_is_refunded_on_the_renewal_and_leaves_the_first_order_alone(
    staff_client, stripe_sim, stripe_api
):
    first = subscribed(stripe_sim)
    advance_one_period(stripe_sim, first.stripe_subscription_id)
    [renewal] = wait_until(lambda: list(renewals_of(first)))
    page = staff_client.get(order_change_url(renewal)).content.decode()
    assert f'Renewal of <a href="{order_change_url(first)}">{first.number}</a>' in page
    listing = staff_client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert f"Renewal of {first.number}" in listing

    submit_refund(staff_client, renewal, "24.00", reason="Parcel lost")
    stripe_sim.wait_for_deliveries()

    assert order_state(renewal) == (
        OrderStatus.REFUNDED,
        PaymentStatus.REFUNDED,
        2400,
        "requested_by_customer",
    )
    assert Refund.objects.get().order == renewal
    assert order_state(first)[:3] == (OrderStatus.PROCESSING, PaymentStatus.PAID, 0)
    # A refund made in Stripe's dashboard lands on the renewal too.
    assert stripe_api().v1.refunds.list({"payment_intent": renewal.stripe_payment_intent_id}).data
    stripe_sim.refund_from_dashboard(first.stripe_payment_intent_id, amount=500)
    stripe_sim.wait_for_deliveries()
    assert order_state(first)[:3] == (OrderStatus.PROCESSING, PaymentStatus.PARTIALLY_REFUNDED, 500)
    assert order_state(renewal)[2] == 2400

"""Disputes: Stripe's test card 4000 0000 0000 0259 is paid, then disputed; staff see it and its outcome."""

import pytest
from django.urls import reverse

from orders.models import Order, OrderStatus, PaymentStatus
from tests.staff.helpers import order_change_url, paid_order

DISPUTED_CARD = "4000 0000 0000 0259"


def dispute_of(stripe_api, order):
    [dispute] = stripe_api().v1.disputes.list({"payment_intent": order.stripe_payment_intent_id}).data
    return dispute


def test_a_disputed_payment_flags_the_order_for_staff(staff_client, stripe_sim, stripe_api):
    order = paid_order(stripe_sim, unit_amount=1800, quantity=2, card=DISPUTED_CARD)
    stripe_sim.wait_for_deliveries()
    dispute = dispute_of(stripe_api, order)

    order = Order.objects.get(pk=order.pk)
    assert order.metadata["dispute"]["id"] == dispute.id
    assert order.metadata["dispute"]["status"] == "needs_response"
    assert (order.metadata["dispute"]["amount"], order.metadata["dispute"]["reason"]) == (3600, "fraudulent")
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    page = staff_client.get(order_change_url(order)).text
    assert "Needs response: $36.00 disputed as fraudulent" in page
    assert "evidence due by" in page
    dashboard = staff_client.get(reverse("admin:index"))
    assert dashboard.context["dashboard"]["open_disputes"]["count"] == 1
    disputed_list = staff_client.get(dashboard.context["dashboard"]["open_disputes"]["url"])
    assert [o.number for o in disputed_list.context["cl"].result_list] == [order.number]
    assert "Open disputes" in dashboard.text


@pytest.mark.parametrize(("won", "shown"), [(False, "Lost: $36.00"), (True, "Won: $36.00")])
def test_a_closed_dispute_shows_its_outcome_and_leaves_the_payment(
    staff_client, stripe_sim, stripe_api, won, shown
):
    order = paid_order(stripe_sim, unit_amount=1800, quantity=2, card=DISPUTED_CARD)
    stripe_sim.wait_for_deliveries()

    stripe_sim.close_dispute(dispute_of(stripe_api, order).id, won=won)
    stripe_sim.wait_for_deliveries()

    order = Order.objects.get(pk=order.pk)
    assert order.metadata["dispute"]["status"] == ("won" if won else "lost")
    # A lost dispute is not a refund: the shop gave nothing back, the cardholder's bank took it.
    assert (order.payment_status, order.refunded_amount) == (PaymentStatus.PAID, 0)
    assert shown in staff_client.get(order_change_url(order)).text
    dashboard = staff_client.get(reverse("admin:index")).context["dashboard"]
    assert dashboard["open_disputes"]["count"] == 0


def test_an_undisputed_order_shows_no_dispute(staff_client, quiet_sim):
    order = paid_order(quiet_sim, delivered=False)

    page = staff_client.get(order_change_url(order))

    assert "disputed as" not in page.text
    assert staff_client.get(reverse("admin:index")).context["dashboard"]["open_disputes"]["count"] == 0

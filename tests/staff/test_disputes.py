"""Disputes: Stripe's test card 4000 0000 0000 0259 is paid, then disputed; staff see it and its outcome."""

import html

import pytest
from django.urls import reverse

from orders.models import Order, OrderStatus, PaymentStatus
from payments.webhooks import charge_dispute_changed
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
    # Stripe takes the disputed amount from the balance while the dispute is open.
    assert order.dispute["withdrawn"] == 3600
    page = staff_client.get(order_change_url(order)).text
    assert "Needs response: $36.00 disputed as fraudulent" in page
    assert "evidence due by" in page
    dashboard = staff_client.get(reverse("admin:index"))
    assert dashboard.context["dashboard"]["open_disputes"]["count"] == 1
    disputed_list = staff_client.get(dashboard.context["dashboard"]["open_disputes"]["url"])
    assert [o.number for o in disputed_list.context["cl"].result_list] == [order.number]
    assert "Open disputes" in dashboard.text


def revenue(staff_client):
    dashboard = staff_client.get(reverse("admin:index")).context["dashboard"]
    return [(row["currency"], [cell["amount"] for cell in row["cells"]]) for row in dashboard["revenue"]]


@pytest.mark.parametrize(
    ("won", "shown", "revenue_after"),
    [
        (False, "Lost: $36.00 disputed as fraudulent; the cardholder's bank kept the money", "$10.00"),
        (True, "Won: $36.00 disputed as fraudulent; the money came back", "$46.00"),
    ],
)
def test_a_closed_dispute_shows_its_outcome_and_moves_the_revenue_not_the_payment(
    staff_client, stripe_sim, stripe_api, won, shown, revenue_after
):
    order = paid_order(stripe_sim, unit_amount=1800, quantity=2, card=DISPUTED_CARD)
    paid_order(stripe_sim, unit_amount=1000, quantity=1)
    stripe_sim.wait_for_deliveries()
    # While the dispute is open the bank holds the $36.00: it is not the shop's revenue.
    assert revenue(staff_client) == [("usd", ["$10.00", "$10.00"])]

    stripe_sim.close_dispute(dispute_of(stripe_api, order).id, won=won)
    stripe_sim.wait_for_deliveries()

    order = Order.objects.get(pk=order.pk)
    assert order.metadata["dispute"]["status"] == ("won" if won else "lost")
    # A lost dispute is not a refund: the shop gave nothing back, the cardholder's bank took it.
    assert (order.payment_status, order.refunded_amount) == (PaymentStatus.PAID, 0)
    page = html.unescape(staff_client.get(order_change_url(order)).text)
    assert shown in page
    dashboard = staff_client.get(reverse("admin:index")).context["dashboard"]
    assert dashboard["open_disputes"]["count"] == 0
    # Revenue is paid minus refunded minus what the bank took back.
    assert revenue(staff_client) == [("usd", [revenue_after, revenue_after])]
    assert order.dispute["withdrawn"] == (0 if won else 3600)
    if not won:
        assert (
            "the cardholder&#x27;s bank took back $36.00" in page
            or "the cardholder's bank took back $36.00" in page
        )


def test_an_undisputed_order_shows_no_dispute(staff_client, quiet_sim):
    order = paid_order(quiet_sim, delivered=False)

    page = staff_client.get(order_change_url(order))

    assert "disputed as" not in page.text
    assert staff_client.get(reverse("admin:index")).context["dashboard"]["open_disputes"]["count"] == 0


def test_a_dispute_lost_moves_the_revenue_and_tells_staff(staff_client, quiet_sim, stripe_api):
    order = paid_order(quiet_sim, unit_amount=1800, quantity=2, delivered=False, card=DISPUTED_CARD)
    dispute = dispute_of(stripe_api, order)
    event = {
        "id": "evt_dispute_money",
        "type": "charge.dispute.funds_withdrawn",
        "data": {"object": {"id": dispute.id}},
    }
    charge_dispute_changed(event)
    # The bank took the money when the dispute opened: it leaves the revenue then, and stays out.
    order.refresh_from_db()
    assert order.dispute["withdrawn"] == 3600
    assert revenue(staff_client) == [("usd", ["$0.00", "$0.00"])]

    quiet_sim.close_dispute(dispute.id, won=False)
    charge_dispute_changed({**event, "type": "charge.dispute.closed"})

    order.refresh_from_db()
    assert order.dispute["withdrawn"] == 3600
    assert revenue(staff_client) == [("usd", ["$0.00", "$0.00"])]
    assert any(
        "the cardholder's bank took back $36.00" in note for note in order.metadata["needs_staff_attention"]
    )
    assert (order.payment_status, order.refunded_amount) == (PaymentStatus.PAID, 0)

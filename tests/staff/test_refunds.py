"""Refunds from the order admin: validated here, sent to Stripe once, settled by Stripe's webhooks."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from orders.exceptions import RefundAlreadyRequested, RefundFailed
from orders.models import Order, OrderStatus, PaymentStatus, Refund, RefundStatus
from orders.selectors import order_refundable_amount
from payments.models import WebhookEvent
from payments.refunds import order_refund_request
from shop.money import minor_units_from_text
from tests import factories
from tests.admin.pages import run_action
from tests.payments.conftest import signature_headers
from tests.staff.helpers import (
    REFUSED_ROLES,
    STAFF_ROLES,
    is_login_redirect,
    messages_of,
    order_change_url,
    paid_order,
    refund_url,
    run_on_order_page,
)


def open_refund_page(client, order):
    page = client.get(refund_url(order))
    assert page.status_code == 200
    return page


def submit_refund(client, order, amount, *, token=None, reason="Mug arrived broken"):
    token = token or open_refund_page(client, order).context["form"].initial["request_token"]
    data = {
        "amount": amount,
        "stripe_reason": "requested_by_customer",
        "reason": reason,
        "request_token": token,
    }
    return client.post(refund_url(order), data, follow=True)


def order_state(order):
    order = Order.objects.get(pk=order.pk)
    return order.status, order.payment_status, order.refunded_amount, order.refund_reason


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_a_partial_then_a_full_refund_land_through_stripes_webhooks(client_as, role, stripe_sim, stripe_api):
    client = client_as(role)
    order = paid_order(stripe_sim, unit_amount=1800, quantity=2)

    page = open_refund_page(client, order)
    assert "$36.00" in page.text  # still refundable
    response = submit_refund(client, order, "10.00")

    assert response.redirect_chain[-1][0] == order_change_url(order)
    assert any("Stripe accepted the refund of $10.00" in message for message in messages_of(response))
    stripe_sim.wait_for_deliveries()
    first = Refund.objects.get()
    assert first.stripe_refund_id.startswith("re_")
    assert (first.amount, first.status, first.reason) == (1000, RefundStatus.SUCCEEDED, "Mug arrived broken")
    assert first.requested_by.role == role
    assert order_state(order) == (
        OrderStatus.PROCESSING,
        PaymentStatus.PARTIALLY_REFUNDED,
        1000,
        "requested_by_customer",
    )
    order_page = client.get(order_change_url(order))
    assert first.stripe_refund_id in order_page.text
    assert "$10.00" in order_page.text

    assert "$26.00" in open_refund_page(client, order).text
    submit_refund(client, order, "26.00", reason="Second mug broken too")
    stripe_sim.wait_for_deliveries()

    assert order_state(order)[:3] == (OrderStatus.REFUNDED, PaymentStatus.REFUNDED, 3600)
    assert sorted(Refund.objects.values_list("amount", "status")) == [
        (1000, RefundStatus.SUCCEEDED),
        (2600, RefundStatus.SUCCEEDED),
    ]
    stripe_refunds = stripe_api().v1.refunds.list({"payment_intent": order.stripe_payment_intent_id}).data
    assert sorted(refund.amount for refund in stripe_refunds) == [1000, 2600]
    assert "cannot be refunded: its payment is refunded" in open_refund_page(client, order).text


def test_a_refund_above_what_is_left_is_refused_and_nothing_is_recorded(staff_client):
    order = factories.OrderFactory(
        paid=True, amount_total=3000, payment_status=PaymentStatus.PARTIALLY_REFUNDED, refunded_amount=1000
    )
    factories.RefundFactory(order=order, amount=1000, status=RefundStatus.SUCCEEDED, stripe_refund_id="re_1")
    # Requested, not confirmed by Stripe yet: it counts against what is left.
    factories.RefundFactory(order=order, amount=500, status=RefundStatus.PENDING, stripe_refund_id="re_2")
    factories.RefundFactory(order=order, amount=900, status=RefundStatus.FAILED)
    assert order_refundable_amount(order=order) == 1500
    assert "$15.00" in staff_client.get(order_change_url(order)).text  # still refundable

    response = submit_refund(staff_client, order, "15.01")

    assert response.status_code == 200
    assert "At most $15.00 can still be refunded." in response.text
    assert Refund.objects.filter(order=order).count() == 3
    assert order_state(order) == (OrderStatus.PROCESSING, PaymentStatus.PARTIALLY_REFUNDED, 1000, "")


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("0", "Enter an amount greater than zero."),
        ("12.345", "USD has 2 decimals at most."),
        ("$12", "Enter an amount such as 12.50"),
        ("-5", "Enter an amount such as 12.50"),
        ("12abc", "Enter an amount such as 12.50"),
        ("1,2.00", "Enter an amount such as 12.50"),
        # Grouped thousands are read whole: $1,000.00, not $1.00, is more than the order paid.
        ("1,000.00", "At most $30.00 can still be refunded."),
    ],
)
def test_a_malformed_amount_is_refused(staff_client, amount, error):
    order = factories.OrderFactory(paid=True)

    response = submit_refund(staff_client, order, amount)

    assert error in response.text
    assert not Refund.objects.exists()


def test_an_unpaid_order_cannot_be_refunded(staff_client):
    order = factories.OrderFactory(stripe_payment_intent_id="pi_test_unpaid")

    assert "cannot be refunded: its payment is pending" in open_refund_page(staff_client, order).text
    response = submit_refund(staff_client, order, "5.00", token="t" * 32)

    assert response.status_code == 200
    assert f"Order {order.number} cannot be refunded: its payment is pending." in response.text
    assert not Refund.objects.exists()
    assert order_state(order) == (OrderStatus.PENDING, PaymentStatus.PENDING, 0, "")


def test_the_same_request_submitted_twice_refunds_once(staff_client, quiet_sim, stripe_api):
    order = paid_order(quiet_sim, delivered=False)
    token = open_refund_page(staff_client, order).context["form"].initial["request_token"]

    first = submit_refund(staff_client, order, "5.00", token=token)
    second = submit_refund(staff_client, order, "5.00", token=token)

    assert any("Stripe accepted the refund of $5.00" in message for message in messages_of(first))
    assert any("This refund was already requested (pending)" in message for message in messages_of(second))
    assert Refund.objects.count() == 1
    assert len(stripe_api().v1.refunds.list({"payment_intent": order.stripe_payment_intent_id}).data) == 1


def test_the_idempotency_key_reaches_stripe_so_even_a_lost_record_cannot_refund_twice(
    db, quiet_sim, stripe_api
):
    order = paid_order(quiet_sim, delivered=False)
    staff = factories.AdminFactory()
    request = {"amount": 700, "reason": "Late", "requested_by": staff, "request_token": "r" * 24}
    first = order_refund_request(order=order, **request)
    with pytest.raises(RefundAlreadyRequested):
        order_refund_request(order=order, **request)
    first.delete()

    # Stripe knows the key: it refuses to refund again rather than refunding twice.
    with pytest.raises(RefundFailed, match="Keys for idempotent requests"):
        order_refund_request(order=order, **request)

    assert len(stripe_api().v1.refunds.list({"payment_intent": order.stripe_payment_intent_id}).data) == 1


def test_stripe_unreachable_fails_the_refund_visibly_and_changes_nothing_else(staff_client):
    order = factories.OrderFactory(paid=True, amount_total=3000)

    response = submit_refund(staff_client, order, "12.00")

    assert response.redirect_chain[-1][0] == order_change_url(order)
    [message] = [m for m in messages_of(response) if "Stripe did not refund" in m]
    assert message.startswith(f"Stripe did not refund order {order.number}: Stripe could not be reached")
    refund = Refund.objects.get()
    assert (refund.status, refund.stripe_refund_id) == (RefundStatus.FAILED, None)
    assert refund.last_error == "Stripe could not be reached (network error)."
    # In the order page's refund history, below the messages.
    assert response.text.count(refund.last_error) == 2
    assert order_state(order) == (OrderStatus.PROCESSING, PaymentStatus.PAID, 0, "")
    # A failed attempt does not count against what is left.
    assert order_refundable_amount(order=order) == 3000


def test_stripes_refusal_is_shown_with_its_reason(staff_client, quiet_sim):
    order = factories.OrderFactory(paid=True, stripe_payment_intent_id="pi_unknown_to_stripe")

    response = submit_refund(staff_client, order, "5.00")

    refund = Refund.objects.get()
    assert refund.status == RefundStatus.FAILED
    assert "pi_unknown_to_stripe" in refund.last_error
    assert any(refund.last_error in message for message in messages_of(response))
    assert order_state(order)[:3] == (OrderStatus.PROCESSING, PaymentStatus.PAID, 0)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_the_refund_action_opens_the_refund_page_for_one_order(client_as, role):
    client = client_as(role)
    order, other = factories.OrderFactory(paid=True), factories.OrderFactory(paid=True)

    from_list = run_action(client, Order, "refund", [order])
    from_page = run_on_order_page(client, order, "refund")
    two = run_action(client, Order, "refund", [order, other])

    assert from_list.redirect_chain[-1][0] == refund_url(order)
    assert from_page.redirect_chain[-1][0] == refund_url(order)
    assert "Refund one order at a time" in " ".join(messages_of(two))


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_shoppers_and_visitors_cannot_refund(client_as, role):
    client = client_as(role)
    order = factories.OrderFactory(paid=True)

    page = client.get(refund_url(order))
    posted = client.post(
        refund_url(order),
        {"amount": "5.00", "stripe_reason": "duplicate", "reason": "x", "request_token": "t" * 32},
    )
    action = client.post(
        "/admin/orders/order/", {"action": "refund", "_selected_action": [str(order.pk)], "index": "0"}
    )

    assert is_login_redirect(page)
    assert is_login_redirect(posted)
    assert is_login_redirect(action)
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    ("text", "currency", "minor_units"),
    [
        ("12.34", "usd", 1234),
        ("12.3", "usd", 1230),
        ("12", "eur", 1200),
        ("500", "jpy", 500),
        (" 0.01 ", "usd", 1),
    ],
)
def test_amounts_typed_in_major_units_convert_exactly(text, currency, minor_units):
    assert minor_units_from_text(text, currency) == minor_units


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("12.345", "usd", "USD has 2 decimals at most."),
        ("500.5", "jpy", "JPY has no decimals: enter a whole amount."),
        ("500.0", "jpy", "JPY has no decimals: enter a whole amount."),
        ("12,34", "eur", "Enter an amount such as 12.50"),
        ("1e3", "usd", "Enter an amount such as 12.50"),
        ("", "usd", "Enter an amount such as 12.50"),
    ],
)
def test_amounts_with_more_decimals_than_the_currency_are_refused(text, currency, message):
    with pytest.raises(ValidationError) as refused:
        minor_units_from_text(text, currency)
    assert message in refused.value.messages[0]


# Stripe's test card whose refunds are accepted, then fail.
REFUND_FAILS_CARD = "4000 0000 0000 5126"


def test_a_refund_that_fails_at_stripe_leaves_the_order_paid_and_tells_staff_why(staff_client, stripe_sim):
    order = paid_order(stripe_sim, unit_amount=1800, quantity=2, card=REFUND_FAILS_CARD)

    response = submit_refund(staff_client, order, "10.00")
    stripe_sim.wait_for_deliveries()

    assert any("Stripe accepted the refund of $10.00" in message for message in messages_of(response))
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.FAILED
    assert "expired_or_canceled_card" in refund.last_error
    assert order_state(order) == (OrderStatus.PROCESSING, PaymentStatus.PAID, 0, "")
    assert not order.status_changes.filter(
        field="payment_status", new_status=PaymentStatus.PARTIALLY_REFUNDED
    )
    assert WebhookEvent.objects.filter(type="refund.failed", processed=True, last_error="").exists()
    order_page = staff_client.get(order_change_url(order)).text
    assert "The refund of $10.00 failed at Stripe" in order_page
    assert "the card was expired or canceled" in order_page
    # Nothing left the account: the whole payment can still be refunded.
    assert order_refundable_amount(order=order) == 3600


def test_a_failed_refund_delivered_before_it_was_created_stays_failed(staff_client, quiet_sim, stripe_api):
    order = paid_order(quiet_sim, delivered=False, card=REFUND_FAILS_CARD)
    submit_refund(staff_client, order, "10.00")
    stripe = stripe_api()
    events = [
        event.to_dict()
        for event in reversed(stripe.v1.events.list({"limit": 100}).data)
        if event.type.startswith("refund.")
    ]
    assert [event["type"] for event in events] == ["refund.created", "refund.updated", "refund.failed"]

    for event in reversed(events):  # deliveries are unordered
        payload = json.dumps(event)
        response = Client().post(
            reverse("payments:webhook"),
            payload,
            content_type="application/json",
            headers=signature_headers(payload),
        )
        assert response.status_code == 200

    refund = Refund.objects.get()
    assert refund.status == RefundStatus.FAILED
    assert order_state(order) == (OrderStatus.PROCESSING, PaymentStatus.PAID, 0, "")

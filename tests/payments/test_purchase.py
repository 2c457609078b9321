"""Whole purchases over real HTTP: the shopper's browser, the stripe SDK, Stripe's hosted page
(the simulator) and its signed webhooks to the live server."""

from urllib.parse import parse_qs, urlsplit

import pytest

from cart.models import CartStatus
from orders.models import Order, OrderStatus, OrderStatusChange, PaymentStatus
from payments.models import WebhookEvent
from tests import factories


@pytest.fixture
def mug():
    return factories.PriceFactory(product__name="Stoneware mug", unit_amount=1800)


@pytest.fixture
def tee():
    return factories.PriceFactory(product__name="Cotton tee", unit_amount=2500)


def start_checkout(purchase, stripe_sim):
    response = purchase.shopper.checkout()
    assert response.status_code == 303, response.text
    page_url = response.headers["Location"]
    assert page_url.startswith(f"{stripe_sim.url}/checkout/cs_test_")
    return page_url, page_url.rsplit("/", 1)[1]


def status_moves(order):
    return list(
        OrderStatusChange.objects.filter(order=order)
        .order_by("created_at")
        .values_list("field", "old_status", "new_status")
    )


def test_guest_buys_two_products_and_the_webhook_confirms_the_payment(
    stripe_sim, guest_with_cart, mug, tee, mailoutbox
):
    purchase = guest_with_cart((mug, 2), (tee, 1))
    page_url, session_id = start_checkout(purchase, stripe_sim)

    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.PENDING)
    assert order.stripe_checkout_session_id == session_id
    assert order.amount_total == 2 * 1800 + 2500
    assert sorted(order.items.values_list("product_name", "unit_amount", "quantity", "amount_total")) == [
        ("Cotton tee", 2500, 1, 2500),
        ("Stoneware mug", 1800, 2, 3600),
    ]
    purchase.cart.refresh_from_db()
    assert purchase.cart.checkout_session_id == session_id

    assert "Stoneware mug" in purchase.shopper.get(page_url).text
    paid = purchase.shopper.on_stripe_page(page_url, "pay")
    assert paid.status_code == 303
    success_url = paid.headers["Location"]
    assert parse_qs(urlsplit(success_url).query) == {"session_id": [session_id]}
    stripe_sim.wait_for_deliveries()

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert order.paid_at is not None
    assert order.customer_email == "buyer@example.com"
    assert order.shipping_name == "Ada Buyer"
    assert order.shipping_address["city"] == "Portland"
    assert order.stripe_payment_intent_id.startswith("pi_")
    purchase.cart.refresh_from_db()
    assert purchase.cart.status == CartStatus.CHECKED_OUT
    assert status_moves(order) == [
        ("payment_status", PaymentStatus.PENDING, PaymentStatus.PAID),
        ("status", OrderStatus.PENDING, OrderStatus.PROCESSING),
    ]
    assert not WebhookEvent.objects.filter(processed=False).exists()

    page = purchase.shopper.get(success_url)
    assert page.status_code == 200
    assert order.number in page.text
    assert "Your payment is confirmed" in page.text
    assert "Refresh" not in page.headers

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["buyer@example.com"]
    assert order.number in email.subject
    assert "Stoneware mug" in email.body
    assert "$61.00" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert "Cotton tee" in html

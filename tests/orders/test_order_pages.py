"""What a shopper reads on their order pages and in their order email: addresses, delivery, bank payments."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from orders.emails import order_confirmation_send, order_shipped_email_send
from orders.models import FulfillmentStatus, Order, OrderStatus, PaymentStatus
from tests import factories

pytestmark = pytest.mark.django_db

PORTLAND = {
    "line1": "1 Harbour Street",
    "line2": "",
    "city": "Portland",
    "state": "OR",
    "postal_code": "97201",
    "country": "US",
}


def visible_text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" ,", ",")


def order_page(order):
    client = Client()
    client.force_login(order.user)
    return client.get(reverse("orders:detail", kwargs={"number": order.number})).text


def test_the_order_page_and_emails_write_the_address_as_the_country_does(mailoutbox):
    order = factories.OrderFactory(paid=True, shipping_name="Ada Buyer", shipping_address=PORTLAND)

    page = order_page(order)
    order_confirmation_send(order_id=order.pk)

    assert "Portland, OR 97201<br>" in page
    assert "United States" in page
    assert "97201 Portland" not in page
    (message,) = mailoutbox
    assert "Portland, OR 97201\nUnited States" in message.body
    assert "Portland, OR 97201<br>United States" in message.alternatives[0][0]


@pytest.mark.parametrize(
    ("fulfillment", "fields", "wording"),
    [
        (FulfillmentStatus.UNFULFILLED, {}, "Not shipped yet"),
        (FulfillmentStatus.FULFILLED, {}, "Packed, not shipped yet"),
        (
            FulfillmentStatus.SHIPPED,
            {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"},
            "Shipped on 3 December 2025 via UPS, tracking number 1Z999AA10123456784",
        ),
        (FulfillmentStatus.DELIVERED, {"carrier": "UPS", "tracking_number": "1Z9"}, "Delivered"),
        (FulfillmentStatus.RETURNED, {}, "Returned"),
    ],
)
def test_the_delivery_reads_in_plain_words(fulfillment, fields, wording):
    shipped_at = datetime.datetime(2025, 12, 3, 15, 0, tzinfo=datetime.UTC)
    order = factories.OrderFactory(paid=True, fulfillment_status=fulfillment, shipped_at=shipped_at, **fields)

    page = order_page(order)

    assert wording in visible_text(page)
    assert "Unfulfilled" not in page
    assert "Fulfilled" not in page


def test_a_cancelled_checkout_shows_no_delivery():
    order = factories.OrderFactory(status=OrderStatus.CANCELLED, payment_status=PaymentStatus.CANCELED)

    assert "Not shipped yet" not in order_page(order)


def test_the_shipped_email_says_when_and_how_in_plain_words(mailoutbox):
    order = factories.OrderFactory(
        paid=True,
        fulfillment_status=FulfillmentStatus.SHIPPED,
        carrier="UPS",
        tracking_number="1Z9",
        shipped_at=datetime.datetime(2025, 12, 3, 15, 0, tzinfo=datetime.UTC),
        shipping_address=PORTLAND,
    )

    order_shipped_email_send(order_id=order.pk)

    assert "Portland, OR 97201\nUnited States" in mailoutbox[0].body


@pytest.fixture
def bank_payment_started(client, quiet_sim):
    """A guest who paid for two mugs by bank transfer on Stripe's page; return the success page's path."""
    mug = factories.PriceFactory(product__name="Stoneware mug", unit_amount=1800)
    client.post(reverse("cart:add"), {"product_id": mug.product_id, "price_id": mug.pk, "quantity": 2})
    session_id = client.post(reverse("payments:checkout"))["Location"].rsplit("/", 1)[1]
    quiet_sim.pay_async(session_id, email="ada@example.com")
    return f"{reverse('payments:success')}?session_id={session_id}"


def test_a_bank_transfer_in_progress_says_what_happens_next(client, bank_payment_started):
    success = client.get(bank_payment_started)

    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.PENDING)
    text = visible_text(success.text)
    assert "Your bank transfer of $36.00 has started" in text
    assert f"Reference: {order.number}" in text
    assert "usually take 1–3 business days" in text
    assert "We ship your order once the money arrives" in text
    # Days, not seconds: the page does not reload itself while the bank works.
    assert "Refresh" not in success.headers


def test_an_older_order_names_the_day_it_was_charged_and_when_the_subscription_renews(mailoutbox):
    paid_at = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.UTC)
    order = factories.OrderFactory(paid=True, paid_at=paid_at, created_at=paid_at, amount_total=3500)
    factories.OrderItemFactory(order=order, price=factories.PriceFactory(unit_amount=3500), quantity=1)
    factories.OrderItemFactory(order=order, price=factories.PriceFactory(monthly=True), quantity=1)

    page = visible_text(order_page(order))
    order_confirmation_send(order_id=order.pk)

    # No trial: the subscription was charged with the order and renews a month on, in February.
    schedule = "Due on 31 January 2026 $35.00, then $9.00 / month from 28 February 2026"
    assert schedule in page
    (message,) = mailoutbox
    assert schedule in message.body


def test_an_order_of_one_time_items_tells_no_schedule():
    order = factories.OrderFactory(paid=True)
    factories.OrderItemFactory(order=order)

    assert "Due " not in visible_text(order_page(order))

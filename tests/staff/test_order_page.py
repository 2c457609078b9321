"""The order page and list as staff read them: addresses, money, labels and one spelling."""

import re

import pytest

from orders.models import FulfillmentStatus, Order, OrderStatus, PaymentStatus, RefundStatus
from tests import factories
from tests.admin.pages import change_url, changelist_url
from tests.staff.helpers import STAFF_ROLES

PORTLAND = {
    "line1": "1 Harbour Street",
    "line2": "",
    "city": "Portland",
    "state": "OR",
    "postal_code": "97201",
    "country": "US",
}
BERLIN = {
    "line1": "Unter den Linden 1",
    "line2": "",
    "city": "Berlin",
    "state": "",
    "postal_code": "10117",
    "country": "DE",
}


@pytest.fixture
def order(db):
    return factories.OrderFactory(
        paid=True,
        customer_name="Ada Lovelace",
        customer_email="ada@example.com",
        billing_address=BERLIN,
        shipping_name="Charles Babbage",
        shipping_address=PORTLAND,
    )


def fieldset(page_text, name):
    """Return the HTML of the order page's fieldset titled `name`."""
    start = re.search(rf">\s*{name}\s*</h2>", page_text).start()
    return page_text[start : page_text.index("</fieldset>", start)]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_addresses_read_as_on_a_parcel_with_the_names_and_cannot_be_edited_as_json(client_as, role, order):
    client = client_as(role)

    page = client.get(change_url(order)).text

    addresses = fieldset(page, "Addresses")
    assert "Charles Babbage<br>1 Harbour Street<br>Portland, OR 97201<br>United States" in addresses
    assert "Ada Lovelace<br>Unter den Linden 1<br>10117 Berlin<br>Germany" in addresses
    assert "<textarea" not in addresses
    assert "&quot;postal_code&quot;" not in addresses
    assert '"postal_code"' not in addresses


def test_the_history_names_statuses_by_their_labels(staff_client, order):
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PENDING, payment_status=PaymentStatus.PENDING)
    order.refresh_from_db()
    order.set_status("status", OrderStatus.PROCESSING, note="Paid")
    order.set_status("payment_status", PaymentStatus.PAID)
    order.set_status("fulfillment_status", FulfillmentStatus.SHIPPED)

    history = fieldset(staff_client.get(change_url(order)).text, "Status history")

    assert "Pending → Processing" in history
    assert "Pending → Paid" in history
    assert "Unfulfilled → Shipped" in history
    labels = re.findall(r'class="field-field_label">\s*<p>([^<]*)</p>', history)
    assert labels == ["Order", "Payment", "Fulfilment"]
    assert "PENDING" not in history
    assert "payment_status" not in re.sub(r'class="[^"]*"', "", history)


def test_refunds_read_as_money_with_reasons_in_words(staff_client, order):
    factories.RefundFactory(
        order=order, amount=2400, reason="requested_by_customer", status=RefundStatus.SUCCEEDED
    )
    Order.objects.filter(pk=order.pk).update(refunded_amount=2400, refund_reason="requested_by_customer")

    page = staff_client.get(change_url(order)).text

    refunds = fieldset(page, "Refunds")
    assert "$24.00" in refunds
    assert "Requested by the customer" in refunds
    assert "2400 usd" not in page
    assert "requested_by_customer" not in page.replace('value="requested_by_customer"', "")


def test_the_order_page_does_not_offer_a_shop_page_staff_cannot_open(staff_client, order):
    page = staff_client.get(change_url(order))

    assert "View on site" not in page.text
    # The shop's own order page is for the customer alone.
    assert staff_client.get(order.get_absolute_url()).status_code == 404


def test_the_list_has_short_columns_and_shows_refunds_with_the_total(staff_client, order):
    Order.objects.filter(pk=order.pk).update(amount_total=3600, refunded_amount=1000)

    page = staff_client.get(changelist_url(Order)).text

    start = page.index('<table id="result_list">')
    table_head = page[start : page.index("</thead>", start)]
    headers = re.findall(r'<th scope="col"[^>]*>.*?<a [^>]*>([^<]+)</a>', table_head, flags=re.S)
    assert headers == ["Order", "Payment", "Fulfilment", "Total", "Created"]
    assert "ada@example.com" in page
    assert "$36.00" in page
    assert "$10.00 refunded" in page


@pytest.mark.parametrize("page_of", ["list", "order"])
def test_one_spelling_cancelled_and_fulfilment(staff_client, order, page_of):
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.CANCELLED, payment_status=PaymentStatus.CANCELED
    )
    factories.RefundFactory(order=order, status=RefundStatus.CANCELED)

    page = staff_client.get(change_url(order) if page_of == "order" else changelist_url(Order)).text
    # Field names and values (fulfillment_status, CANCELED) are the spec's; English words are one spelling.
    words = re.sub(r'(class|name|id|href|value|for)="[^"]*"', "", page)

    assert "Cancelled" in words
    assert not re.findall(r"\bCanceled\b", words)
    assert not re.findall(r"[Ff]ulfillment(?!_status)", words)
    assert re.findall(r"[Ff]ulfilment", words)

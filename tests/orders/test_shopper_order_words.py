"""An order as its shopper reads it: shipped when it left, a tracking link, the discount's code,
cities as typed, and dates a browser (and the W3C validator) can read."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from orders.emails import order_shipped_email_send
from orders.models import FulfillmentStatus, OrderStatus
from orders.tracking import tracking_url
from tests import factories

pytestmark = pytest.mark.django_db

SHIPPED_AT = datetime.datetime(2025, 12, 3, 15, 0, 7, 123456, tzinfo=datetime.UTC)


def signed_in_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_shipped_order_reads_shipped_with_a_tracking_link_on_its_pages(mailoutbox):
    order = factories.OrderFactory(
        paid=True,
        fulfillment_status=FulfillmentStatus.SHIPPED,
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        shipped_at=SHIPPED_AT,
    )
    waiting = factories.OrderFactory(paid=True, user=order.user)
    client = signed_in_client(order.user)

    detail = client.get(reverse("orders:detail", kwargs={"number": order.number})).text
    listing = client.get(reverse("orders:list")).text

    assert order.status == OrderStatus.PROCESSING
    assert '<span class="badge badge-status-shipped">Shipped</span>' in detail
    assert '<a href="https://www.ups.com/track?tracknum=1Z999AA10123456784" rel="noopener">' in detail
    assert listing.count("badge-status-shipped") == 1
    assert listing.count("badge-status-processing") == 1  # the order still waiting
    assert waiting.number in listing

    order_shipped_email_send(order_id=order.pk)
    assert "Track your parcel: https://www.ups.com/track?tracknum=1Z999AA10123456784" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("carrier", "number", "url"),
    [
        ("USPS", "9400 1000", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400%201000"),
        ("FedEx", "1234", "https://www.fedex.com/fedextrack/?trknbr=1234"),
        (
            "Royal Mail",
            "AB123456789GB",
            "https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB",
        ),
        (
            "dhl",
            "JD01",
            "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=JD01",
        ),
        ("Our own van", "7", ""),
        ("UPS", "", ""),
    ],
)
def test_known_carriers_have_a_tracking_page(carrier, number, url):
    assert tracking_url(carrier, number) == url


def test_the_discount_line_names_the_code_used():
    order = factories.OrderFactory(paid=True, amount_discount=360, discount_code="SPRING-10")

    page = signed_in_client(order.user).get(reverse("orders:detail", kwargs={"number": order.number})).text

    assert "Discount (SPRING-10)" in page


def test_time_elements_carry_valid_datetimes_without_fractions_of_a_second():
    order = factories.OrderFactory(
        paid=True, fulfillment_status=FulfillmentStatus.SHIPPED, shipped_at=SHIPPED_AT, carrier="UPS"
    )
    client = signed_in_client(order.user)

    for url in [reverse("orders:detail", kwargs={"number": order.number}), reverse("orders:list")]:
        values = re.findall(r'<time datetime="([^"]*)"', client.get(url).text)
        assert values
        for value in values:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", value), value
    assert (
        "2025-12-03T15:00:07+00:00"
        in client.get(reverse("orders:detail", kwargs={"number": order.number})).text
    )

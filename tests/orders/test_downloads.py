"""Digital goods: a paid line of a product with a file links to it, signed; nothing else reaches it."""

import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from orders.downloads import order_item_download_path
from orders.emails import order_confirmation_send
from orders.links import order_link_path
from orders.models import Order, PaymentStatus
from tests import factories

pytestmark = pytest.mark.django_db

GUIDE_BYTES = b"%PDF-1.4\n% the brewing guide\n%%EOF\n"
THIRTY_ONE_DAYS = 31 * 24 * 3600


def guide_line(order, *, name="Pour-Over Brewing Guide", content=GUIDE_BYTES):
    product = factories.ProductFactory(
        name=name, requires_shipping=False, download=ContentFile(content, name="guide.pdf")
    )
    price = factories.PriceFactory(product=product, unit_amount=900)
    return factories.OrderItemFactory(order=order, price=price, quantity=1)


def download_links(html: str) -> list[str]:
    return re.findall(r'href="(/orders/download/[^"]+)"', html)


def guest_order_with_guide(name="Pour-Over Brewing Guide"):
    order = factories.OrderFactory(user=None, customer_email="ada@example.com", paid=True)
    factories.OrderItemFactory(order=order, product_name="Enamel Camp Mug", quantity=1)
    return order, guide_line(order, name=name)


def test_a_members_order_page_links_the_paid_guide_and_the_link_streams_the_file(client):
    member = factories.UserFactory()
    order = factories.OrderFactory(user=member, paid=True)
    factories.OrderItemFactory(order=order, product_name="Enamel Camp Mug", quantity=1)
    guide_line(order)
    client.force_login(member)

    links = download_links(client.get(order.get_absolute_url()).text)

    # One link: the mug ships, it has nothing to download.
    assert len(links) == 1
    download = Client().get(links[0])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == GUIDE_BYTES
    assert download["Content-Disposition"] == 'attachment; filename="pour-over-brewing-guide.pdf"'
    assert "private" in download["Cache-Control"]
    assert "no-store" in download["Cache-Control"]


def test_the_guests_order_link_page_and_confirmation_email_link_the_guide(mailoutbox):
    order, _ = guest_order_with_guide()

    page_links = download_links(Client().get(order_link_path(order=order)).text)
    order_confirmation_send(order_id=order.pk)
    text, html = mailoutbox[0].body, mailoutbox[0].alternatives[0][0]

    assert len(page_links) == 1
    email_link = re.search(rf"{re.escape(settings.SHOP_BASE_URL)}(/orders/download/\S+)", text).group(1)
    assert f"{settings.SHOP_BASE_URL}{email_link}" in html
    assert b"".join(Client().get(email_link).streaming_content) == GUIDE_BYTES


def test_a_pending_order_shows_no_link_and_a_link_to_its_line_is_refused():
    member = factories.UserFactory()
    order = factories.OrderFactory(user=member)
    line = guide_line(order)
    client = Client()
    client.force_login(member)

    assert download_links(client.get(order.get_absolute_url()).text) == []
    refused = Client().get(order_item_download_path(order=order, item=line))

    assert refused.status_code == 404
    assert GUIDE_BYTES.decode() not in refused.text


@pytest.mark.parametrize(
    ("payment_status", "works"),
    [(PaymentStatus.REFUNDED, False), (PaymentStatus.PARTIALLY_REFUNDED, True)],
    ids=["refunded", "partially-refunded"],
)
def test_a_refunded_orders_link_is_refused_and_the_neighbours_still_works(payment_status, works):
    order, _ = guest_order_with_guide()
    neighbour, _ = guest_order_with_guide("Espresso Guide")
    [link] = download_links(Client().get(order_link_path(order=order)).text)
    [neighbour_link] = download_links(Client().get(order_link_path(order=neighbour)).text)

    Order.objects.filter(pk=order.pk).update(payment_status=payment_status)

    assert Client().get(link).status_code == (200 if works else 404)
    assert Client().get(neighbour_link).status_code == 200


def test_a_link_changed_to_name_another_orders_line_is_refused():
    order, line = guest_order_with_guide()
    neighbour, neighbour_line = guest_order_with_guide("Espresso Guide")
    [link] = download_links(Client().get(order_link_path(order=order)).text)

    changed = link.replace(str(line.pk), str(neighbour_line.pk))
    # Signed as it is, but for a line of another order.
    mismatched = order_item_download_path(order=order, item=neighbour_line)

    assert changed != link
    assert Client().get(changed).status_code == 404
    assert Client().get(mismatched).status_code == 404
    assert Client().get(order_item_download_path(order=neighbour, item=neighbour_line)).status_code == 200


def test_a_tampered_signature_an_expired_link_and_a_removed_file_are_refused(monkeypatch):
    order, line = guest_order_with_guide()
    [link] = download_links(Client().get(order_link_path(order=order)).text)
    token = link.rstrip("/").rsplit("/", 1)[1]
    tampered = link.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))

    assert Client().get(tampered).status_code == 404
    real_time = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + THIRTY_ONE_DAYS)
    assert Client().get(link).status_code == 404
    monkeypatch.setattr(signing.time, "time", real_time)
    assert Client().get(link).status_code == 200
    line.product.download.delete()
    assert Client().get(link).status_code == 404


def test_the_file_is_kept_out_of_the_media_storage_and_its_url():
    _, line = guest_order_with_guide()
    name = line.product.download.name

    assert not default_storage.exists(name)
    assert not Path(line.product.download.path).is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert Client().get(f"/{settings.MEDIA_URL.strip('/')}/{name}").status_code == 404

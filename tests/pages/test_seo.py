"""What search engines and link previews read: a description, canonical address, Open Graph and
Twitter tags on every page, schema.org Product data on product pages, sitemap.xml and robots.txt."""

import importlib
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.images import png_upload

pytestmark = pytest.mark.django_db

default_pages = importlib.import_module("pages.migrations.0002_default_pages")
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def meta(html, attribute, name):
    found = re.findall(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', html)
    assert len(found) == 1, f"{name}: {found}"
    return found[0]


def canonical(html):
    [href] = re.findall(r'<link rel="canonical" href="([^"]*)">', html)
    return href


@pytest.fixture
def shop(settings):
    settings.SHOP_BASE_URL = "https://shop.example.com"
    default_pages.create_default_pages(apps, None)
    mug = factories.PriceFactory(
        product__name="Enamel mug",
        product__description="A white enamel mug.\n\nHolds 350 ml.",
        unit_amount=1800,
    ).product
    return mug


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?q=mug",
        "/products/enamel-mug/",
        "/shipping/",
        "/cart/",
        "/accounts/login/",
        "/accounts/signup/",
    ],
)
def test_every_page_has_a_description_canonical_address_and_sharing_tags(client, shop, path):
    shop.slug = "enamel-mug"
    shop.save()

    html = client.get(path).text

    description = meta(html, "name", "description")
    assert 20 < len(description) <= 160
    assert canonical(html) == "https://shop.example.com" + path.split("?")[0]
    assert meta(html, "property", "og:url") == canonical(html)
    assert meta(html, "property", "og:title")
    assert meta(html, "property", "og:description") == description
    assert meta(html, "property", "og:site_name") == "Northwind Goods"
    assert meta(html, "name", "twitter:card") in {"summary", "summary_large_image"}
    assert meta(html, "name", "twitter:title")


def test_a_product_page_describes_the_product_and_carries_its_schema_org_data(client, shop):
    factories.PriceFactory(product=shop, type="RECURRING", recurring_interval="month", unit_amount=900)
    factories.PriceFactory(product=shop, unit_amount=100, active=False)
    factories.ProductImageFactory(product=shop, image=png_upload("mug.png"), alt_text="The mug")

    html = client.get(shop.get_absolute_url()).text

    assert meta(html, "name", "description") == "A white enamel mug. Holds 350 ml."
    assert meta(html, "property", "og:type") == "product"
    assert meta(html, "property", "og:title") == "Enamel mug"
    image = meta(html, "property", "og:image")
    assert image.startswith("https://shop.example.com/media/")  # The shop's address, like its url.
    assert image.endswith(".png")
    assert meta(html, "name", "twitter:card") == "summary_large_image"
    [data] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    product = json.loads(data)
    assert product["@context"] == "https://schema.org"
    assert product["@type"] == "Product"
    assert (product["name"], product["description"]) == ("Enamel mug", "A white enamel mug. Holds 350 ml.")
    assert product["image"] == [image]
    assert product["url"] == "https://shop.example.com" + shop.get_absolute_url()
    offers = sorted(product["offers"], key=lambda offer: offer["price"])
    assert [(offer["price"], offer["priceCurrency"], offer["availability"]) for offer in offers] == [
        ("18.00", "USD", "https://schema.org/InStock"),
        ("9.00", "USD", "https://schema.org/InStock"),
    ]
    assert offers[1]["priceSpecification"]["unitCode"] == "MON"


def test_product_data_cannot_close_its_script_element(client, shop):
    shop.name = "Mug </script><script>alert(1)</script>"
    shop.save()

    html = client.get(shop.get_absolute_url()).text

    [data] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert json.loads(data)["name"] == shop.name


def test_sitemap_lists_the_home_page_products_for_sale_and_shop_pages(client, shop):
    hidden = factories.PriceFactory(product__active=False).product
    deleted = factories.PriceFactory(product__deleted_at=timezone.now()).product

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    sitemap = ET.fromstring(response.content)  # noqa: S314 -- the shop's own sitemap
    locations = {node.text for node in sitemap.findall("s:url/s:loc", SITEMAP_NS)}
    assert "http://testserver/" in locations
    assert f"http://testserver{shop.get_absolute_url()}" in locations
    assert {
        f"http://testserver/{slug}/" for slug in ["contact", "shipping", "returns", "privacy", "terms"]
    } <= locations
    assert f"http://testserver{hidden.get_absolute_url()}" not in locations
    assert f"http://testserver{deleted.get_absolute_url()}" not in locations


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_private_pages(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert {"Disallow: /admin/", "Disallow: /cart/", "Disallow: /orders/", "Disallow: /accounts/"} <= set(
        lines
    )
    assert reverse("pages:sitemap") == "/sitemap.xml"


def test_a_shoppers_own_pages_are_kept_out_of_search_engines_and_repeat_no_address(client):
    order = factories.OrderFactory(paid=True)
    client.force_login(order.user)

    for url in [order.get_absolute_url(), reverse("orders:list")]:
        html = client.get(url).text
        assert '<meta name="robots" content="noindex">' in html
        assert 'rel="canonical"' not in html
        assert "og:url" not in html
        assert meta(html, "name", "description")

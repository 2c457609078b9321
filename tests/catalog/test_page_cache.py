"""Catalog and product pages kept in the shared cache: what shoppers see changes at once with the
catalog, and each shopper still gets their own CSRF token and form."""

import re
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Price, Variant
from catalog.page_cache import page_keep
from catalog.product_page import product_page_lookup
from inventory.services import StockLine, stock_adjust, stock_hold_for_checkout
from tests import factories

pytestmark = pytest.mark.django_db

HOME = reverse("catalog:product_list")


def csrf_token_in(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_a_price_edit_shows_at_once_on_the_product_and_catalog_pages(client):
    price = factories.PriceFactory(product__name="Mug", unit_amount=1500)
    neighbour = factories.PriceFactory(product__name="Bowl", unit_amount=2200)
    product_url = price.product.get_absolute_url()
    assert "$15.00" in client.get(product_url).content.decode()
    assert "$15.00" in client.get(HOME).content.decode()

    price.unit_amount = 1800
    price.save()

    assert "$18.00" in client.get(product_url).content.decode()
    home = client.get(HOME).content.decode()
    assert "$18.00" in home
    assert "$15.00" not in home
    assert "$22.00" in client.get(neighbour.product.get_absolute_url()).content.decode()


def test_a_price_written_by_a_queryset_update_shows_at_once(client):
    # Stripe's catalog sync and the webhooks write prices without a save().
    price = factories.PriceFactory(product__name="Mug", unit_amount=1500)
    assert "$15.00" in client.get(price.product.get_absolute_url()).content.decode()

    Price.objects.filter(pk=price.pk).update(unit_amount=900)

    assert "$9.00" in client.get(price.product.get_absolute_url()).content.decode()
    assert "$9.00" in client.get(HOME).content.decode()


def test_stock_going_to_sold_out_shows_at_once_on_the_product_page(client):
    price = factories.PriceFactory(product__name="Mug")
    variant = Variant.objects.get(pk=price.variant_id)
    Variant.objects.filter(pk=variant.pk).update(track_stock=True)
    stock_adjust(variant=variant, quantity=1, reason="Delivery")
    assert "Only 1 left" in client.get(price.product.get_absolute_url()).content.decode()

    stock_adjust(variant=variant, quantity=-1, reason="Broken")

    html = client.get(price.product.get_absolute_url()).content.decode()
    assert "Sold out" in html
    assert 'action="/cart/add/"' not in html


def test_a_page_kept_by_the_release_before_a_deploy_is_not_served(client, monkeypatch):
    # Its stylesheet's hashed address would be gone after the deploy's collectstatic.
    price = factories.PriceFactory(product__name="Mug")
    url = price.product.get_absolute_url()
    kept = {"product_name": "Mug", "seo": "", "content": "<p>Rendered by the release before</p>"}
    page_keep(product_page_lookup(price.product.slug, query=QueryDict()), kept)
    assert "Rendered by the release before" in client.get(url).content.decode()

    monkeypatch.setattr("catalog.page_cache.code_release", lambda: "the-next-release")

    html = client.get(url).content.decode()
    assert "Rendered by the release before" not in html
    assert "Mug" in html


def test_a_new_product_appears_on_the_catalog_page_at_once(client):
    factories.PriceFactory(product__name="Mug")
    assert "Teapot" not in client.get(HOME).content.decode()

    factories.PriceFactory(product__name="Teapot")

    assert "Teapot" in client.get(HOME).content.decode()


def test_a_kept_product_page_gives_each_shopper_their_own_csrf_token_and_email():
    price = factories.PriceFactory(product__name="Mug")
    variant = Variant.objects.get(pk=price.variant_id)
    Variant.objects.filter(pk=variant.pk).update(track_stock=True)  # sold out: the back-in-stock form
    url = price.product.get_absolute_url()
    first, second, signed_in = Client(), Client(), Client()
    signed_in.force_login(factories.UserFactory(email="ada@example.com"))

    first_page = first.get(url).content.decode()
    second_page = second.get(url).content.decode()
    signed_in_page = signed_in.get(url).content.decode()

    assert csrf_token_in(first_page) != csrf_token_in(second_page)
    assert 'value="ada@example.com"' in signed_in_page
    assert "ada@example.com" not in first_page + second_page
    assert "__" not in re.sub(r"<script.*?</script>", "", second_page, flags=re.DOTALL).split("<main", 1)[1]
    # The token on the page is the one the cookie set for this shopper: adding to the cart works.
    response = second.post(
        reverse("cart:add"),
        {
            "csrfmiddlewaretoken": csrf_token_in(second_page),
            "product_id": price.product_id,
            "price_id": price.pk,
        },
    )
    assert response.status_code == 302


def test_a_checkout_holding_stock_leaves_the_other_kept_pages_kept(client, database_commands):
    # Stock moves at every checkout: it must not make every kept page of the catalog stale.
    mug = factories.PriceFactory(product__name="Mug")
    bowl = factories.PriceFactory(product__name="Bowl")
    mug_variant = Variant.objects.get(pk=mug.variant_id)
    Variant.objects.filter(pk=mug_variant.pk).update(track_stock=True)
    stock_adjust(variant=mug_variant, quantity=3, reason="Delivery")
    pages = [mug.product.get_absolute_url(), bowl.product.get_absolute_url(), HOME]
    for url in pages:
        client.get(url)

    stock_hold_for_checkout(
        order_number="ORD-1",
        lines=[StockLine(variant_id=mug_variant.pk, quantity=3, name="Mug")],
        expires_at=timezone.now() + timedelta(minutes=30),
    )

    with database_commands() as kept:
        bowl_page = client.get(bowl.product.get_absolute_url()).content.decode()
        home = client.get(HOME).content.decode()
    assert len(kept.captured_queries) == 2  # One read each: the page with its generations.
    assert "Bowl" in bowl_page
    assert "Mug" in home
    assert "Sold out" in client.get(mug.product.get_absolute_url()).content.decode()

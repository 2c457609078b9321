"""Product pages rendered ahead of shoppers by the worker (catalog.product_page): the first shopper
to open any product is served a kept page, the same page a render on request gives."""

import re
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from catalog.models import Price, Variant
from catalog.tasks import product_pages_render
from inventory.services import stock_adjust
from tests import factories

pytestmark = pytest.mark.django_db

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def products():
    mug = factories.PriceFactory(product__name="Mug", unit_amount=1500)
    bowl = factories.PriceFactory(product__name="Bowl", unit_amount=2200)
    factories.PriceFactory(product__name="Retired teapot", product__active=False)
    return mug, bowl


def test_the_first_shopper_to_open_a_product_is_served_the_page_rendered_ahead(products, database_commands):
    mug, _ = products

    assert product_pages_render.call() == 2  # The teapot is not for sale.

    shopper = Client()
    shopper.get(reverse("catalog:product_list"))  # The navigation: read once a minute per process.
    with database_commands() as first_view:
        ahead = shopper.get(mug.product.get_absolute_url()).content.decode()
    assert len(first_view.captured_queries) == 1  # The kept page, with its generations.
    cache.clear()
    on_request = Client().get(mug.product.get_absolute_url()).content.decode()
    assert CSRF_TOKEN.sub("", ahead) == CSRF_TOKEN.sub("", on_request)
    assert "$15.00" in ahead
    # The token in the page rendered ahead is this shopper's own: adding to the cart works.
    response = shopper.post(
        reverse("cart:add"),
        {
            "csrfmiddlewaretoken": CSRF_TOKEN.search(ahead).group(1),
            "product_id": mug.product_id,
            "price_id": mug.pk,
        },
    )
    assert response.status_code == 302


def test_each_pass_renders_only_the_pages_not_kept_or_made_stale(products):
    mug, bowl = products
    assert product_pages_render.call() == 2
    assert product_pages_render.call() == 0

    variant = Variant.objects.get(pk=mug.variant_id)
    Variant.objects.filter(pk=variant.pk).update(track_stock=True)
    stock_adjust(variant=variant, quantity=1, reason="Delivery")
    assert product_pages_render.call() == 1  # The mug's stock moved; the bowl's page is still right.
    assert "Only 1 left" in Client().get(mug.product.get_absolute_url()).content.decode()

    Price.objects.filter(pk=bowl.pk).update(unit_amount=2500)
    assert product_pages_render.call() == 2  # A catalog edit: every page may show it.
    assert "$25.00" in Client().get(bowl.product.get_absolute_url()).content.decode()


def test_staff_render_the_pages_ahead_after_a_deploy_with_a_command(products):
    out = StringIO()

    call_command("render_product_pages", stdout=out)

    assert out.getvalue().startswith("Rendered 2 product page(s) in ")


def test_a_pass_that_finds_every_page_kept_reads_them_in_one_command(products, database_commands):
    # The worker checks every product's page every few minutes: not one read per product.
    factories.PriceFactory.create_batch(5)
    assert product_pages_render.call() == 7

    with database_commands() as check:
        assert product_pages_render.call() == 0

    assert len(check.captured_queries) == 2  # The slugs for sale; the pages with their generations.

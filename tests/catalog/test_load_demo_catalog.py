from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from PIL import Image

from catalog.models import Price, PriceType, Product, ProductImage, ShippingRate, Variant
from catalog.selectors import product_list_page


def load():
    output = StringIO()
    call_command("load_demo_catalog", stdout=output)
    return output.getvalue()


def stored_documents():
    database = connection.database
    return {
        name: sorted(database[name].find({}), key=lambda document: document["_id"])
        for name in ("catalog_product", "catalog_price", "catalog_productimage")
    }


@pytest.mark.django_db
def test_demo_catalog_loads_fourteen_products_for_sale_one_inactive_and_one_deleted():
    output = load()

    assert "created 16 products" in output
    assert "14 are for sale, 1 inactive and 1 soft-deleted" in output
    assert Product.objects.for_sale().count() == 14
    assert list(Product.objects.filter(requires_shipping=False).values_list("slug", flat=True)) == [
        "pour-over-brewing-guide"
    ]
    assert sorted(ShippingRate.objects.values_list("display_name", "amount")) == [
        ("Express courier", 1200),
        ("Standard post", 495),
    ]
    assert Product.objects.filter(active=False).count() == 1
    assert Product.objects.filter(deleted_at__isnull=False).count() == 1
    assert product_list_page().paginator.count == 14


@pytest.mark.django_db
def test_demo_prices_cover_one_time_monthly_yearly_and_a_trial():
    load()
    prices = Price.objects.for_sale().filter(product__in=Product.objects.for_sale())

    assert prices.filter(type=PriceType.ONE_TIME).exists()
    assert prices.filter(type=PriceType.RECURRING, recurring_interval="month").exists()
    assert prices.filter(type=PriceType.RECURRING, recurring_interval="year").exists()
    assert prices.get(trial_period_days__isnull=False).label == "$9.00 / month"
    assert Price.objects.filter(active=False).exists()
    assert Price.objects.filter(deleted_at__isnull=False).exists()
    for price in Price.objects.all():
        price.full_clean()


@pytest.mark.django_db
def test_every_demo_picture_is_uploaded_to_storage_as_a_png_with_alt_text():
    load()

    for product in Product.objects.exclude(slug="wall-calendar-2025"):
        images = list(product.images.all())
        assert images, product.slug
        assert product.card_image == images[0].image.name
        for image in images:
            assert image.alt_text
            with default_storage.open(image.image.name) as stored, Image.open(stored) as picture:
                assert picture.format == "PNG"
    coffee = ProductImage.objects.filter(product__slug="house-roast-coffee")
    assert [image.alt_text for image in coffee] == [
        "Kraft bag of House Roast coffee with a green label",
        "Close-up of freshly roasted coffee beans",
    ]


@pytest.mark.django_db
def test_the_demo_catalog_page_shows_a_thumbnail_of_each_products_picture(client):
    load()

    html = client.get(reverse("catalog:product_list")).content.decode()

    for product in Product.objects.for_sale():
        original = product.images.first().image.url
        assert original not in html
    assert html.count('class="product-card-image" src="/media/cache/') == 14


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    load()
    before = stored_documents()

    output = load()

    assert "created 0 products and 0 prices; 16 products were already there" in output
    assert "Shipping rates: created 0." in output
    assert stored_documents() == before


@pytest.mark.django_db
def test_a_demo_product_staff_have_changed_is_left_alone():
    load()
    Product.objects.filter(slug="enamel-camp-mug").update(name="Camp Mug (renamed)", active=False)

    load()

    mug = Product.objects.get(slug="enamel-camp-mug")
    assert (mug.name, mug.active) == ("Camp Mug (renamed)", False)
    assert Product.objects.count() == 16


@pytest.mark.django_db
def test_the_demo_has_a_t_shirt_in_sizes_and_colours_one_sold_out_a_mug_with_two_left_and_collections(client):
    load()

    shirt = Product.objects.get(slug="organic-cotton-t-shirt")
    stock = {tuple(v.option_values.values()): (v.track_stock, v.available) for v in shirt.variants.all()}
    assert len(stock) == 6
    assert stock[("L", "Black")] == (True, 0)
    assert all(
        available > 0 for (size, colour), (_, available) in stock.items() if (size, colour) != ("L", "Black")
    )
    assert all(price.variant.product_id == shirt.pk for price in shirt.prices.all())
    assert Variant.objects.get(product__slug="enamel-camp-mug").available == 2
    assert Variant.objects.get(product__slug="brass-fountain-pen").available == 0
    assert Variant.objects.get(product__slug="canvas-tote-bag").track_stock is False
    # Every price sells an item.
    assert not Price.objects.filter(variant__isnull=True).exists()
    assert "Only 2 left" in client.get(reverse("catalog:product_detail", args=["enamel-camp-mug"])).text
    assert "Sold out" in client.get(reverse("catalog:product_detail", args=["brass-fountain-pen"])).text
    kitchen = client.get(reverse("catalog:collection_detail", args=["kitchen"]))
    assert {product.slug for product in kitchen.context["products"]} == {
        "enamel-camp-mug",
        "insulated-water-bottle",
        "linen-apron",
    }
    assert 'href="/collections/coffee-tea/"' in kitchen.text


@pytest.mark.django_db
def test_the_black_t_shirts_have_their_own_picture_once_however_often_the_demo_loads(client):
    load()
    # A catalog loaded before the black picture existed gets it on the next run.
    ProductImage.objects.filter(variant__isnull=False).delete()
    load()
    load()

    shirt = Product.objects.get(slug="organic-cotton-t-shirt")
    pictures = {
        variant.label: [image.alt_text for image in variant.images.all()]
        for variant in Variant.objects.filter(product=shirt)
    }
    assert pictures == {
        "S, Navy": [],
        "M, Navy": [],
        "L, Navy": [],
        "S, Black": ["Black cotton T-shirt, laid flat"],
        "M, Black": ["Black cotton T-shirt, laid flat"],
        "L, Black": ["Black cotton T-shirt, laid flat"],
    }
    black = client.get(shirt.get_absolute_url(), {"Size": "M", "Colour": "Black"}).text
    assert black.index('alt="Black cotton T-shirt, laid flat"') < black.index('alt="Navy blue cotton T-shirt')
    assert (
        "Black cotton T-shirt"
        not in client.get(shirt.get_absolute_url(), {"Size": "M", "Colour": "Navy"}).text
    )


@pytest.mark.django_db
def test_the_brewing_guide_carries_a_pdf_to_download_kept_out_of_media_and_added_once():
    load()
    guide = Product.objects.get(slug="pour-over-brewing-guide")
    # A catalog loaded before the guide had its file gets it, once.
    Product.objects.filter(pk=guide.pk).update(download="")
    load()
    name = Product.objects.get(pk=guide.pk).download.name
    load()

    guide.refresh_from_db()
    assert guide.download.name == name
    assert "A PDF to download after payment: nothing is posted." in guide.description
    assert guide.download.read().startswith(b"%PDF-")
    assert guide.download.size < 10_000
    assert not default_storage.exists(name)

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from catalog.models import Price, PriceType, Product
from catalog.selectors import product_list_page


def load():
    output = StringIO()
    call_command("load_demo_catalog", stdout=output)
    return output.getvalue()


def stored_documents():
    database = connection.database
    return {
        name: sorted(database[name].find({}), key=lambda document: document["_id"])
        for name in ("catalog_product", "catalog_price")
    }


@pytest.mark.django_db
def test_demo_catalog_loads_a_dozen_products_for_sale_one_inactive_and_one_deleted():
    output = load()

    assert "created 14 products" in output
    assert "12 are for sale, 1 inactive and 1 soft-deleted" in output
    assert Product.objects.for_sale().count() == 12
    assert Product.objects.filter(active=False).count() == 1
    assert Product.objects.filter(deleted_at__isnull=False).count() == 1
    assert product_list_page().paginator.count == 12


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
def test_every_demo_image_is_shipped_in_static():
    load()
    static_root = settings.BASE_DIR / "static"

    for product in Product.objects.all():
        assert product.images
        for image in product.images:
            assert (static_root / image).is_file(), image
            assert (static_root / image).read_text().lstrip().startswith("<svg")


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    load()
    before = stored_documents()

    output = load()

    assert "created 0 products and 0 prices; 14 products were already there" in output
    assert stored_documents() == before


@pytest.mark.django_db
def test_a_demo_product_staff_have_changed_is_left_alone():
    load()
    Product.objects.filter(slug="enamel-camp-mug").update(name="Camp Mug (renamed)", active=False)

    load()

    mug = Product.objects.get(slug="enamel-camp-mug")
    assert (mug.name, mug.active) == ("Camp Mug (renamed)", False)
    assert Product.objects.count() == 14

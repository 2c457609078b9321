from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Price, Product
from tests.factories import PriceFactory, ProductFactory

HOME = reverse("catalog:product_list")


def create_catalog(count, *, start=0):
    """Create `count` purchasable products with two prices each, in two bulk inserts."""
    now = timezone.now()
    products = Product.objects.bulk_create(
        Product(name=f"Item {index:02}", slug=f"item-{index:02}", created_at=now - timedelta(minutes=index))
        for index in range(start, start + count)
    )
    Price.objects.bulk_create(
        price
        for position, product in enumerate(products, start=start)
        for price in (
            Price(product=product, unit_amount=1000 + 10 * position),
            Price(product=product, type="RECURRING", recurring_interval="month", unit_amount=500),
        )
    )


@pytest.mark.django_db
def test_home_lists_products_with_their_price_and_link(client):
    mug = PriceFactory(product__name="Enamel Mug", unit_amount=1800).product
    PriceFactory(product__name="Retired Teapot", product__active=False)
    PriceFactory(product__name="Old Calendar", product__deleted_at=timezone.now())

    response = client.get(HOME)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Enamel Mug" in html
    assert "$18.00" in html
    assert f'href="{mug.get_absolute_url()}"' in html
    assert "Retired Teapot" not in html
    assert "Old Calendar" not in html
    assert "1 product" in html


@pytest.mark.django_db
def test_home_search_filter_and_sort_come_from_the_query_string(client):
    PriceFactory(product__name="Coffee subscription", monthly=True)
    PriceFactory(product__name="Coffee mug", unit_amount=1800)
    PriceFactory(product__name="Tea mug", unit_amount=1200)

    html = client.get(HOME, {"q": "coffee", "kind": "subscription"}).content.decode()
    assert "Coffee subscription" in html
    assert "Coffee mug" not in html
    assert "Tea mug" not in html

    html = client.get(HOME, {"q": "mug", "sort": "-price"}).content.decode()
    assert html.index("Coffee mug") < html.index("Tea mug")
    html = client.get(HOME, {"q": "mug", "sort": "price"}).content.decode()
    assert html.index("Tea mug") < html.index("Coffee mug")


@pytest.mark.django_db
def test_home_ignores_unknown_filter_values(client):
    PriceFactory(product__name="Coffee mug")

    response = client.get(HOME, {"kind": "bogus", "sort": "$where"})

    assert response.status_code == 200
    assert "Coffee mug" in response.content.decode()


@pytest.mark.django_db
def test_home_pagination_links_keep_the_filters(client):
    create_catalog(25)

    html = client.get(HOME, {"q": "item", "sort": "price"}).content.decode()

    assert "Page 1 of 2" in html
    assert 'href="?q=item&amp;sort=price&amp;page=2"' in html
    assert "Item 24" in client.get(HOME, {"q": "item", "sort": "price", "page": 2}).content.decode()


@pytest.mark.django_db
def test_home_empty_states(client):
    assert "Nothing for sale yet" in client.get(HOME).content.decode()
    PriceFactory(product__name="Zebra Lamp")
    html = client.get(HOME, {"q": "unicorn"}).content.decode()
    assert "No products match your search" in html
    assert "Zebra Lamp" not in html


@pytest.mark.django_db
def test_product_page_labels_every_available_price_as_a_shopper_reads_it(client):
    product = ProductFactory(name="House Roast", description="Chocolatey.\n\nRoasted on Mondays.")
    PriceFactory(product=product, unit_amount=1500)
    PriceFactory(product=product, monthly=True, trial_period_days=14)
    PriceFactory(product=product, yearly=True)
    PriceFactory(product=product, unit_amount=777, active=False)
    PriceFactory(product=product, unit_amount=888, deleted_at=timezone.now())

    response = client.get(product.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>House Roast</h1>" in html
    assert "Roasted on Mondays." in html
    for label in ("$15.00", "$9.00 / month", "$90.00 / year", "14-day free trial"):
        assert label in html
    assert "$7.77" not in html
    assert "$8.88" not in html
    assert html.count('action="/cart/add/"') == 3
    assert html.count("csrfmiddlewaretoken") >= 3
    assert 'name="quantity" value="1" min="1" max="99"' in html


@pytest.mark.django_db
def test_product_without_an_available_price_says_it_is_not_for_sale(client):
    product = ProductFactory(name="Mug")
    PriceFactory(product=product, active=False)

    html = client.get(product.get_absolute_url()).content.decode()

    assert "not for sale right now" in html
    assert 'action="/cart/add/"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "hidden", [{"active": False}, {"deleted_at": timezone.now()}], ids=["inactive", "deleted"]
)
def test_inactive_or_deleted_product_page_answers_404(client, hidden):
    product = PriceFactory(
        product__name="Teapot", **{f"product__{key}": value for key, value in hidden.items()}
    ).product

    response = client.get(product.get_absolute_url())

    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


@pytest.mark.django_db
def test_unknown_product_answers_404(client):
    assert client.get(reverse("catalog:product_detail", kwargs={"slug": "no-such-thing"})).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["newest", "price", "-price"])
def test_catalog_page_sends_as_many_database_commands_for_50_products_as_for_5(
    client, database_commands, sort
):
    create_catalog(5)
    client.get(HOME)
    with database_commands() as small:
        assert client.get(HOME, {"sort": sort}).status_code == 200
    create_catalog(45, start=5)
    with database_commands() as large:
        response = client.get(HOME, {"sort": sort})
    with database_commands() as kept:
        client.get(HOME, {"sort": sort})

    assert len(response.context["products"]) == 24
    assert len(large.captured_queries) == len(small.captured_queries)
    # The catalog's generation and the page it keeps, in one read, then (not kept yet) a count and a page.
    assert len(small.captured_queries) == 3
    assert [command["sql"].split("(")[0] for command in kept.captured_queries] == [
        "db.django_cache.aggregate"
    ]


@pytest.mark.django_db
def test_product_page_sends_as_many_database_commands_for_10_prices_as_for_1(client, database_commands):
    product = PriceFactory(product__name="Coffee").product
    client.get(product.get_absolute_url())
    with database_commands() as one:
        client.get(product.get_absolute_url())
    for amount in range(9):
        PriceFactory(product=product, unit_amount=100 + amount)
    with database_commands() as ten:
        response = client.get(product.get_absolute_url())

    assert response.content.decode().count('action="/cart/add/"') == 10
    # The catalog's generation and the page it keeps, in one read, then (not kept since the prices
    # changed) the product, its variants, its prices, its pictures.
    assert len(ten.captured_queries) == 5
    # Kept: the generation and the page, in one read.
    assert len(one.captured_queries) == 1


@pytest.mark.django_db
def test_product_page_reads_its_prices_by_product_first_and_never_with_in(client, database_commands):
    product = PriceFactory(product__name="Coffee").product

    with database_commands() as commands:
        client.get(product.get_absolute_url())

    price_query = next(q["sql"] for q in commands.captured_queries if "catalog_price" in q["sql"])
    # The embedded engine narrows a scan with an index only for the first `field: value` it meets.
    assert price_query.startswith(
        f"db.catalog_price.aggregate([{{'$match': {{'$and': [{{'product_id': ObjectId('{product.pk}')}}"
    )
    assert "$in" not in price_query

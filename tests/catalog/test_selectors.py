from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.selectors import PriceKind, ProductSort, product_gallery, product_list_page
from tests.factories import PriceFactory, ProductFactory, ProductImageFactory


def make_product(
    name, *, amount=1500, age_minutes=0, product_active=True, product_deleted=False, **price_fields
):
    product = ProductFactory(
        name=name,
        active=product_active,
        deleted_at=timezone.now() if product_deleted else None,
        created_at=timezone.now() - timedelta(minutes=age_minutes),
    )
    PriceFactory(product=product, **{"unit_amount": amount, **price_fields})
    return product


def names(page):
    return [product.name for product in page.object_list]


@pytest.mark.django_db
def test_lists_only_products_that_can_be_bought():
    make_product("Mug")
    make_product("Retired mug", product_active=False)
    make_product("Deleted mug", product_deleted=True)
    without_price = ProductFactory(name="Priceless")
    PriceFactory(product=without_price, active=False)
    PriceFactory(product=without_price, deleted_at=timezone.now())

    assert names(product_list_page()) == ["Mug"]


@pytest.mark.django_db
def test_search_matches_name_or_description_whatever_the_case_and_every_word():
    ProductFactory(name="Enamel Mug", description="For camping")
    ProductFactory(name="Tote", description="Carries a MUG and more")
    ProductFactory(name="Pen", description="Writes")
    for product in ProductFactory._meta.model.objects.all():
        PriceFactory(product=product)

    assert sorted(names(product_list_page(search="mug"))) == ["Enamel Mug", "Tote"]
    assert names(product_list_page(search="MUG camping")) == ["Enamel Mug"]
    assert names(product_list_page(search="nothing-like-this")) == []


@pytest.mark.django_db
def test_search_treats_regex_characters_literally():
    make_product("C++ Primer")
    make_product("Cookbook")

    assert names(product_list_page(search="c++")) == ["C++ Primer"]
    assert names(product_list_page(search=".*")) == []


@pytest.mark.django_db
def test_filter_one_time_or_subscription_and_show_the_cheapest_matching_price():
    coffee = make_product("Coffee", amount=1500)
    PriceFactory(product=coffee, monthly=True, unit_amount=1400)
    make_product("Mug", amount=1800)
    make_product("Socks", amount=1200, monthly=True)

    subscription = product_list_page(kind=PriceKind.SUBSCRIPTION)
    assert sorted(names(subscription)) == ["Coffee", "Socks"]
    coffee_listed = next(product for product in subscription.object_list if product.name == "Coffee")
    assert coffee_listed.lowest_price.label == "$14.00 / month"

    one_time = product_list_page(kind=PriceKind.ONE_TIME)
    assert sorted(names(one_time)) == ["Coffee", "Mug"]
    coffee_listed = next(product for product in one_time.object_list if product.name == "Coffee")
    assert coffee_listed.lowest_price.label == "$15.00"
    assert coffee_listed.listed_price_count == 1


@pytest.mark.django_db
def test_sort_newest_first_by_default():
    make_product("Old", age_minutes=30)
    make_product("New", age_minutes=1)
    make_product("Middle", age_minutes=10)

    assert names(product_list_page()) == ["New", "Middle", "Old"]


@pytest.mark.django_db
def test_price_sort_orders_across_pages_by_each_products_lowest_price():
    make_product("C", amount=300, age_minutes=1)
    make_product("A", amount=100, age_minutes=2)
    expensive_but_cheap_option = make_product("B", amount=9000, age_minutes=3)
    PriceFactory(product=expensive_but_cheap_option, unit_amount=200)
    make_product("E", amount=500, age_minutes=4)
    make_product("D", amount=400, age_minutes=5)

    ascending = [
        names(product_list_page(sort=ProductSort.PRICE_LOW_HIGH, page_number=n, per_page=2))
        for n in (1, 2, 3)
    ]
    assert ascending == [["A", "B"], ["C", "D"], ["E"]]
    descending = [
        names(product_list_page(sort=ProductSort.PRICE_HIGH_LOW, page_number=n, per_page=2))
        for n in (1, 2, 3)
    ]
    assert descending == [["E", "D"], ["C", "B"], ["A"]]


@pytest.mark.django_db
def test_price_sort_keeps_newest_first_among_equal_prices():
    make_product("Older", amount=100, age_minutes=5)
    make_product("Newer", amount=100, age_minutes=1)

    assert names(product_list_page(sort=ProductSort.PRICE_LOW_HIGH)) == ["Newer", "Older"]
    assert names(product_list_page(sort=ProductSort.PRICE_HIGH_LOW)) == ["Newer", "Older"]


@pytest.mark.django_db
def test_pages_of_twenty_four():
    for index in range(25):
        make_product(f"Product {index:02}", age_minutes=index)

    first, second = product_list_page(page_number=1), product_list_page(page_number=2)
    assert len(first.object_list) == 24
    assert names(second) == ["Product 24"]
    assert first.paginator.num_pages == 2
    # A page number past the end or not a number shows the nearest real page.
    assert names(product_list_page(page_number=99)) == ["Product 24"]
    assert len(product_list_page(page_number="x").object_list) == 24


@pytest.mark.django_db
def test_listed_prices_leave_out_inactive_and_deleted_prices():
    product = make_product("Coffee", amount=1500)
    PriceFactory(product=product, unit_amount=100, active=False)
    PriceFactory(product=product, unit_amount=200, deleted_at=timezone.now())

    (listed,) = product_list_page().object_list
    assert listed.listed_price_count == 1
    assert listed.lowest_price.unit_amount == 1500


@pytest.mark.django_db
def test_gallery_lists_the_products_pictures_by_position_the_main_one_first():
    mug = ProductFactory(name="Mug")
    third = ProductImageFactory(product=mug, position=5, alt_text="third")
    first = ProductImageFactory(product=mug, position=0, alt_text="first")
    second = ProductImageFactory(product=mug, position=1, alt_text="second")
    ProductImageFactory(alt_text="another product's")

    assert product_gallery(mug) == [first, second, third]

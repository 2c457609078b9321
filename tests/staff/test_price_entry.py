"""Prices as staff type them: major units of the currency, read back as shoppers will see them,
and a confirmation before a price on sale is created or changed."""

import pytest
from django.urls import reverse

from catalog.models import Price, PriceType, Product
from tests import factories
from tests.admin.pages import change_url, changelist_url
from tests.staff.helpers import STAFF_ROLES, messages_of
from tests.staff.test_catalog_sync import price_form, product_form

CONFIRM = {"confirm_live": "on"}


def new_price_form(product, **fields):
    """Return the POST data of the price add page."""
    data = {
        "product": str(product.pk),
        "nickname": "",
        "type": "ONE_TIME",
        "currency": "usd",
        "recurring_interval": "",
        "recurring_interval_count": "1",
        "trial_period_days": "",
        "active": "on",
        "metadata": "{}",
        **fields,
    }
    return {name: value for name, value in data.items() if value is not None}


def add_price(client, product, **fields):
    return client.post(reverse("admin:catalog_price_add"), new_price_form(product, **fields), follow=True)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_a_price_typed_as_32_00_is_stored_as_3200_cents_and_sold_at_32_dollars(
    client_as, role, quiet_sim, stripe_api
):
    client = client_as(role)
    product = factories.ProductFactory(name="Tea club")

    response = add_price(
        client,
        product,
        type="RECURRING",
        unit_amount="32.00",
        recurring_interval="month",
        **CONFIRM,
    )

    price = Price.objects.get()
    assert price.unit_amount == 3200
    assert stripe_api().v1.prices.retrieve(price.stripe_price_id).unit_amount == 3200
    assert any("$32.00 / month" in message for message in messages_of(response))
    assert "$32.00 / month" in client.get(product.get_absolute_url()).text


@pytest.mark.parametrize(
    ("typed", "currency", "stored", "reads"),
    [
        ("500", "jpy", 500, "¥500"),
        ("19.99", "eur", 1999, "€19.99"),
        ("7", "usd", 700, "$7.00"),
        ("1,299.00", "usd", 129900, "$1,299.00"),
    ],
)
def test_amounts_are_typed_in_the_currencys_own_units(staff_client, typed, currency, stored, reads):
    product = factories.ProductFactory()

    add_price(staff_client, product, unit_amount=typed, currency=currency, **CONFIRM)

    price = Price.objects.get()
    assert (price.unit_amount, price.currency, price.label) == (stored, currency, reads)


@pytest.mark.parametrize(
    ("typed", "currency", "error"),
    [
        ("12.345", "usd", "USD has 2 decimals at most."),
        ("5.5", "jpy", "JPY has no decimals: enter a whole amount."),
        ("$32", "usd", "Enter an amount such as 12.50 or 1,299.00, without a currency sign."),
        ("12abc", "usd", "Enter an amount such as 12.50 or 1,299.00, without a currency sign."),
        ("", "usd", "Enter an amount, such as 12.50."),
    ],
)
def test_a_badly_typed_amount_is_refused_with_a_reason_and_nothing_is_saved(
    staff_client, typed, currency, error
):
    product = factories.ProductFactory()

    response = add_price(staff_client, product, unit_amount=typed, currency=currency, **CONFIRM)

    assert response.status_code == 200
    assert error in response.text
    assert not Price.objects.exists()


def test_a_new_price_on_sale_waits_for_confirmation_showing_what_shoppers_will_pay(staff_client):
    product = factories.ProductFactory()

    response = add_price(
        staff_client, product, type="RECURRING", unit_amount="32.00", recurring_interval="month"
    )

    assert response.status_code == 200
    assert "Shoppers will pay $32.00 / month as soon as this is saved" in response.text
    assert not Price.objects.exists()


@pytest.mark.parametrize(
    ("product_active", "price_active"), [(False, "on"), (True, None)], ids=["product off sale", "price off"]
)
def test_a_price_not_on_sale_needs_no_confirmation(staff_client, product_active, price_active):
    product = factories.ProductFactory(active=product_active)

    add_price(staff_client, product, unit_amount="32.00", active=price_active)

    assert Price.objects.get().unit_amount == 3200


@pytest.mark.parametrize(
    "change",
    [
        {"unit_amount": "18.00"},
        {"currency": "eur"},
        {"recurring_interval": "year"},
        {"recurring_interval_count": "3"},
    ],
    ids=["amount", "currency", "interval", "interval count"],
)
def test_changing_what_shoppers_pay_for_a_price_on_sale_waits_for_confirmation(staff_client, change):
    price = factories.PriceFactory(type=PriceType.RECURRING, recurring_interval="month", unit_amount=1500)

    refused = staff_client.post(change_url(price), price_form(price, **change), follow=True)

    assert "Shoppers will pay" in refused.text
    price.refresh_from_db()
    assert (price.unit_amount, price.currency, price.recurring_interval, price.recurring_interval_count) == (
        1500,
        "usd",
        "month",
        1,
    )

    staff_client.post(change_url(price), price_form(price, **change, **CONFIRM), follow=True)

    price.refresh_from_db()
    assert (price.unit_amount, price.currency, price.recurring_interval, price.recurring_interval_count) != (
        1500,
        "usd",
        "month",
        1,
    )


def test_putting_a_price_back_on_sale_waits_for_confirmation(staff_client):
    price = factories.PriceFactory(active=False, unit_amount=1500)

    staff_client.post(change_url(price), price_form(price, active="on"), follow=True)
    assert not Price.objects.get().active

    staff_client.post(change_url(price), price_form(price, active="on", **CONFIRM), follow=True)
    assert Price.objects.get().active


def test_a_nickname_change_on_a_price_on_sale_needs_no_confirmation(staff_client):
    price = factories.PriceFactory(unit_amount=1500)

    staff_client.post(change_url(price), price_form(price, nickname="Gift size"), follow=True)

    price.refresh_from_db()
    assert (price.nickname, price.unit_amount) == ("Gift size", 1500)


def test_the_price_page_shows_the_amount_as_typed_and_as_shoppers_read_it(staff_client):
    price = factories.PriceFactory(
        type=PriceType.RECURRING, recurring_interval="month", unit_amount=3200, currency="usd"
    )
    yen = factories.PriceFactory(unit_amount=500, currency="jpy")

    page = staff_client.get(change_url(price))
    listing = staff_client.get(changelist_url(Price))

    assert 'name="unit_amount" value="32.00"' in page.text
    assert "$32.00 / month" in page.text
    assert 'name="unit_amount" value="500"' in staff_client.get(change_url(yen)).text
    assert "$32.00 / month" in listing.text
    assert "¥500" in listing.text


def test_a_new_product_with_a_price_typed_in_dollars_waits_for_confirmation_then_sells_at_that_price(
    staff_client,
):
    price = {"type": "ONE_TIME", "unit_amount": "32.00", "currency": "usd", "confirm_live": None}

    refused = staff_client.post(
        reverse("admin:catalog_product_add"), product_form("Kettle", prices=[price]), follow=True
    )

    assert "Shoppers will pay $32.00 as soon as this is saved" in refused.text
    assert not Product.objects.exists()

    staff_client.post(
        reverse("admin:catalog_product_add"),
        product_form("Kettle", prices=[{**price, **CONFIRM}]),
        follow=True,
    )

    assert Product.objects.get().prices.get().unit_amount == 3200


def test_a_price_added_to_a_product_off_sale_needs_no_confirmation(staff_client):
    price = {"type": "ONE_TIME", "unit_amount": "32.00", "currency": "usd", "confirm_live": None}

    staff_client.post(
        reverse("admin:catalog_product_add"),
        product_form("Kettle", prices=[price], active=False),
        follow=True,
    )

    assert Product.objects.get().prices.get().unit_amount == 3200

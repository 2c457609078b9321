"""Money as shoppers and staff read it: format_money, the |money template filter, typed amounts."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template

from shop.money import format_money, minor_unit_exponent, minor_units_from_text, to_major_units


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1999, "usd", "$19.99"),
        (5, "usd", "$0.05"),
        (0, "usd", "$0.00"),
        (500, "eur", "€5.00"),
        (1999, "EUR", "€19.99"),  # codes are case-insensitive
        (1050, "gbp", "£10.50"),
        (500, "jpy", "¥500"),  # zero-decimal: 500 yen, not 5.00
        (1234567, "jpy", "¥1,234,567"),
        (1000, "krw", "₩1,000"),  # zero-decimal, with the won's sign
        (1999, "sek", "SEK19.99"),  # no sign in English: the code before the amount
        (1999, "xyz", "XYZ19.99"),  # unknown code: two decimals, code shown
        (12345, "kwd", "KWD12.345"),  # three decimals: 12.345 dinars, not 123.45
        (12345, "bhd", "BHD12.345"),
        (150000, "isk", "ISK1,500"),  # Stripe's ISK amounts keep two decimals; krónur are whole
        (-1999, "usd", "-$19.99"),
        (-500, "jpy", "-¥500"),
        (-1999, "sek", "-SEK19.99"),
        (123456789, "usd", "$1,234,567.89"),
        (10**15 + 1, "usd", "$10,000,000,000,000.01"),  # exact: no float rounding
        (2500, "chf", "CHF25.00"),
        (2500, "cad", "CA$25.00"),
        (2500, None, "$25.00"),
        (None, "usd", ""),
    ],
)
def test_format_money(amount, currency, expected):
    assert format_money(amount, currency) == expected


@pytest.mark.parametrize(
    ("locale", "amount", "currency", "expected"),
    [
        ("de_DE", 123456, "eur", "1.234,56\xa0€"),
        ("fr_FR", 123456, "eur", "1\u202f234,56\xa0€"),
        ("en_GB", 1999, "usd", "US$19.99"),
        ("ja_JP", 500, "jpy", "￥500"),
    ],
)
def test_money_follows_the_shop_locale(settings, locale, amount, currency, expected):
    settings.SHOP_LOCALE = locale

    assert format_money(amount, currency) == expected


def test_major_units_are_exact_decimals():
    assert to_major_units(1999, "usd") == Decimal("19.99")
    assert to_major_units(1999, "jpy") == Decimal(1999)
    assert to_major_units(1999, "kwd") == Decimal("1.999")
    # Written with the currency's decimals, as a form field shows it and takes it back.
    assert str(to_major_units(150000, "isk")) == "1500"
    assert str(to_major_units(1900, "usd")) == "19.00"
    assert to_major_units(10**17 + 1, "usd") == Decimal("1000000000000000.01")


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("usd", 2), ("JPY", 0), ("krw", 0), ("kwd", 3), ("tnd", 3), ("huf", 2), ("isk", 2)],
)
def test_minor_unit_exponent_per_currency(currency, exponent):
    assert minor_unit_exponent(currency) == exponent


@pytest.mark.parametrize(
    ("typed", "currency", "minor_units"),
    [
        ("12.34", "usd", 1234),
        ("500", "jpy", 500),
        ("1.234", "kwd", 1234),
        ("7", "kwd", 7000),
        ("1500", "isk", 150000),
    ],
)
def test_typed_major_units_use_the_currency_precision(typed, currency, minor_units):
    assert minor_units_from_text(typed, currency) == minor_units


@pytest.mark.parametrize(("typed", "currency"), [("1.2345", "kwd"), ("5.5", "jpy"), ("1500.50", "isk")])
def test_more_decimals_than_the_currency_has_are_refused(typed, currency):
    with pytest.raises(ValidationError) as refused:
        minor_units_from_text(typed, currency)

    assert refused.value.code == "too_many_decimals"


@pytest.mark.parametrize(
    ("locale", "typed", "currency", "minor_units"),
    [
        ("en_US", "1,299.00", "usd", 129900),
        ("en_US", "1,299", "usd", 129900),
        ("en_US", "12,345,678", "jpy", 12345678),
        ("en_US", " 1,000.5 ", "usd", 100050),
        ("de_CH", "1'299.50", "chf", 129950),
        # Where the locale groups with a point, the point is only ever the decimal point.
        ("de_DE", "1299.50", "usd", 129950),
    ],
)
def test_typed_amounts_may_group_thousands_as_the_shop_locale_writes_them(
    settings, locale, typed, currency, minor_units
):
    settings.SHOP_LOCALE = locale

    assert minor_units_from_text(typed, currency) == minor_units


@pytest.mark.parametrize(
    ("locale", "typed"),
    [
        ("en_US", "12abc"),
        ("en_US", "12.00abc"),
        ("en_US", "12.00 USD"),
        ("en_US", "$12.00"),
        ("en_US", "12.00\n5"),
        ("en_US", "12,34"),
        ("en_US", "1,29.00"),
        ("en_US", "1,2345"),
        ("en_US", ",299"),
        ("en_US", "1,,299"),
        ("en_US", "1.299,00"),
        ("en_US", "1 299"),
        # Where the locale groups with a point, only the decimal point is read: "1.299" stays 1.299.
        ("de_DE", "1.299,00"),
    ],
)
def test_typed_amounts_with_anything_else_are_refused_with_an_example(settings, locale, typed):
    settings.SHOP_LOCALE = locale

    with pytest.raises(ValidationError) as refused:
        minor_units_from_text(typed, "usd")

    assert refused.value.code == "invalid"
    assert "Enter an amount such as 12.50" in refused.value.messages[0]


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("en_US", "Enter an amount such as 12.50 or 1,299.00, without a currency sign."),
        # A locale that groups with a point groups nothing here, so no grouped example is offered.
        ("de_DE", "Enter an amount such as 12.50, without a currency sign."),
    ],
)
def test_the_refusal_offers_only_examples_the_shop_accepts(settings, locale, message):
    settings.SHOP_LOCALE = locale

    with pytest.raises(ValidationError) as refused:
        minor_units_from_text("12abc", "usd")

    assert refused.value.messages == [message]


def test_money_template_filter():
    template = Template("{% load money %}{{ amount|money:currency }}")

    assert template.render(Context({"amount": 123456, "currency": "eur"})) == "€1,234.56"
    assert template.render(Context({"amount": 500, "currency": "jpy"})) == "¥500"

"""Money as shoppers and staff read it: format_money and the |money template filter."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from shop.money import format_money, to_major_units


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
        (1000, "krw", "1,000 KRW"),  # zero-decimal, no symbol
        (1999, "sek", "19.99 SEK"),  # no symbol: the code after the amount
        (1999, "xyz", "19.99 XYZ"),  # unknown code: two decimals, code shown
        (-1999, "usd", "-$19.99"),
        (-500, "jpy", "-¥500"),
        (-1999, "sek", "-19.99 SEK"),
        (123456789, "usd", "$1,234,567.89"),
        (10**15 + 1, "usd", "$10,000,000,000,000.01"),  # exact: no float rounding
        (2500, "chf", "CHF 25.00"),
        (2500, None, "$25.00"),
        (None, "usd", ""),
    ],
)
def test_format_money(amount, currency, expected):
    assert format_money(amount, currency) == expected


def test_major_units_are_exact_decimals():
    assert to_major_units(1999, "usd") == Decimal("19.99")
    assert to_major_units(1999, "jpy") == Decimal(1999)
    assert to_major_units(10**17 + 1, "usd") == Decimal("1000000000000000.01")


def test_money_template_filter():
    template = Template("{% load money %}{{ amount|money:currency }}")

    assert template.render(Context({"amount": 123456, "currency": "eur"})) == "€1,234.56"
    assert template.render(Context({"amount": 500, "currency": "jpy"})) == "¥500"

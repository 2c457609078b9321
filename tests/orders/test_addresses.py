"""Addresses as a parcel label reads them: each country's order, its name in the shop's language."""

import pytest

from orders.addresses import address_lines

PORTLAND = {
    "line1": "1 Harbour Street",
    "line2": "Apt 2",
    "city": "Portland",
    "state": "OR",
    "postal_code": "97201",
    "country": "US",
}


def test_a_us_address_reads_city_state_and_zip_on_one_line_with_the_name_first():
    assert address_lines(PORTLAND, name="Ada Lovelace") == [
        "Ada Lovelace",
        "1 Harbour Street",
        "Apt 2",
        "PORTLAND, OR 97201",
        "United States",
    ]


@pytest.mark.parametrize(
    ("address", "lines"),
    [
        (
            {"line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"},
            ["Unter den Linden 1", "10117 BERLIN", "Germany"],
        ),
        (
            {"line1": "10 Downing Street", "city": "London", "postal_code": "SW1A 2AA", "country": "GB"},
            ["10 Downing Street", "LONDON", "SW1A 2AA", "United Kingdom"],
        ),
    ],
    ids=["postcode before the city", "postcode on its own line"],
)
def test_each_country_has_its_own_order(address, lines):
    assert address_lines(address) == lines


def test_an_empty_address_has_no_lines_and_a_missing_line_leaves_no_gap():
    assert address_lines({}) == []
    assert address_lines({**PORTLAND, "line2": ""})[:2] == ["1 Harbour Street", "PORTLAND, OR 97201"]


def test_a_country_the_formats_do_not_know_still_shows_every_part():
    lines = address_lines(
        {"line1": "1 Main Street", "city": "Nowhere", "postal_code": "123", "country": "XX"}
    )

    assert lines == ["1 Main Street", "123 Nowhere", "XX"]

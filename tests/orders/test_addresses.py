"""Addresses as a parcel label reads them: each country's order, its name in the shop's language,
the parts as the customer typed them."""

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
        "Portland, OR 97201",
        "United States",
    ]


@pytest.mark.parametrize(
    ("address", "lines"),
    [
        (
            {
                "line1": "100 Queen St W",
                "line2": "Suite 5",
                "city": "Toronto",
                "state": "ON",
                "postal_code": "M5H 2N2",
                "country": "CA",
            },
            ["100 Queen St W", "Suite 5", "Toronto ON M5H 2N2", "Canada"],
        ),
        (
            {"line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"},
            ["Unter den Linden 1", "10117 Berlin", "Germany"],
        ),
        (
            {"line1": "5 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"},
            ["5 rue de Rivoli", "75001 Paris", "France"],
        ),
        (
            {
                "line1": "10 Downing Street",
                "city": "London",
                "state": "",
                "postal_code": "SW1A 2AA",
                "country": "GB",
            },
            ["10 Downing Street", "London", "SW1A 2AA", "United Kingdom"],
        ),
        (
            {
                "line1": "Av. Paulista 1000",
                "city": "São Paulo",
                "state": "SP",
                "postal_code": "01310-100",
                "country": "BR",
            },
            ["Av. Paulista 1000", "São Paulo-SP", "01310-100", "Brazil"],
        ),
        (
            {
                "line1": "1-1 Chiyoda",
                "city": "Chiyoda-ku",
                "state": "Tokyo",
                "postal_code": "100-0001",
                "country": "JP",
            },
            ["1-1 Chiyoda", "Chiyoda-ku, Tokyo", "100-0001", "Japan"],
        ),
    ],
    ids=[
        "city, province and postcode on one line",
        "postcode before the city",
        "postcode before the city, in France too",
        "postcode on its own line",
        "city and state, then the postcode",
        "a town the format writes among the street lines",
    ],
)
def test_each_country_has_its_own_order(address, lines):
    assert address_lines(address) == lines


def test_an_empty_address_has_no_lines_and_a_missing_part_leaves_no_gap_or_stray_comma():
    assert address_lines({}) == []
    assert address_lines({**PORTLAND, "line2": ""})[:2] == ["1 Harbour Street", "Portland, OR 97201"]
    assert address_lines({**PORTLAND, "line2": "", "state": "", "postal_code": ""}) == [
        "1 Harbour Street",
        "Portland",
        "United States",
    ]


def test_a_country_the_formats_do_not_know_still_shows_every_part():
    lines = address_lines(
        {"line1": "1 Main Street", "city": "Nowhere", "postal_code": "123", "country": "XX"}
    )

    assert lines == ["1 Main Street", "123 Nowhere", "XX"]
    assert address_lines({"city": "Nowhere", "country": "XX"}) == ["Nowhere", "XX"]

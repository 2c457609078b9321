"""Addresses read as the post of their country writes them, with the country's name."""

import pytest

from orders.addresses import address_lines


@pytest.mark.parametrize(
    ("address", "lines"),
    [
        (
            {
                "line1": "1 Harbour Street",
                "line2": "",
                "city": "Portland",
                "state": "OR",
                "postal_code": "97201",
                "country": "US",
            },
            ["1 Harbour Street", "Portland, OR 97201", "United States"],
        ),
        (
            {
                "line1": "100 Queen St W",
                "line2": "Suite 5",
                "city": "Toronto",
                "state": "ON",
                "postal_code": "M5H 2N2",
                "country": "CA",
            },
            ["100 Queen St W", "Suite 5", "Toronto, ON M5H 2N2", "Canada"],
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
            {"line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"},
            ["Unter den Linden 1", "10117 Berlin", "Germany"],
        ),
        (
            {"line1": "5 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"},
            ["5 rue de Rivoli", "75001 Paris", "France"],
        ),
        (
            {
                "line1": "Av. Paulista 1000",
                "city": "São Paulo",
                "state": "SP",
                "postal_code": "01310-100",
                "country": "BR",
            },
            ["Av. Paulista 1000", "01310-100 São Paulo", "SP", "Brazil"],
        ),
        # A missing part leaves no stray comma; an unknown code is kept as it is.
        (
            {"line1": "1 Main St", "city": "Portland", "state": "", "postal_code": "", "country": "US"},
            ["1 Main St", "Portland", "United States"],
        ),
        ({"city": "Nowhere", "country": "XX"}, ["Nowhere", "XX"]),
        ({}, []),
    ],
)
def test_address_lines_follow_the_country(address, lines):
    assert address_lines(address) == lines

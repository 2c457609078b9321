"""The catalog page says when a search cannot run, and paints its first card without waiting."""

import re

import pytest
from django.urls import reverse

from tests.factories import PriceFactory

pytestmark = pytest.mark.django_db

HOME = reverse("catalog:product_list")


def test_a_search_longer_than_100_characters_says_so_instead_of_listing_everything(client):
    PriceFactory(product__name="Enamel Mug")
    PriceFactory(product__name="Walnut Desk")

    page = client.get(HOME, {"q": "mugs" * 30}).text

    assert "Searches are at most 100 characters long (this one has 120)" in page
    assert "Your search is too long" in page
    assert 'aria-describedby="id_q_error"' in page
    assert "Enamel Mug" not in page
    assert "Walnut Desk" not in page


def test_a_search_of_100_characters_runs(client):
    PriceFactory(product__name="Enamel Mug")

    page = client.get(HOME, {"q": "m" * 100}).text

    assert "too long" not in page
    assert "No products match your search" in page


def test_only_the_first_card_of_the_first_page_is_loaded_at_once(client):
    for index in range(3):
        PriceFactory(product__name=f"Mug {index}")

    images = re.findall(r'<img class="product-card-image"[^>]*>', client.get(HOME).text)

    assert len(images) == 3
    assert "loading=" not in images[0]
    assert all('loading="lazy"' in image for image in images[1:])

"""Product pictures on the shop's pages: thumbnails from the default storage, in order, with alt text."""

import importlib
import re

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from PIL import Image

from catalog.models import Product, ProductImage
from tests.factories import PriceFactory, ProductFactory, ProductImageFactory

HOME = reverse("catalog:product_list")


def stored_picture(url):
    """Return the storage name behind a MEDIA_URL address, checking the file is there."""
    name = url.removeprefix("/media/")
    assert name != url, url
    assert default_storage.exists(name), name
    return name


def picture_size(name):
    with default_storage.open(name) as stored, Image.open(stored) as picture:
        return picture.size


@pytest.mark.django_db
def test_product_page_shows_thumbnails_of_its_pictures_in_order_with_their_alt_text(client):
    product = PriceFactory(product__name="Mug").product
    side = ProductImageFactory(product=product, alt_text="The mug from the side", position=2)
    top = ProductImageFactory(product=product, alt_text="The mug from above", position=1)

    html = client.get(product.get_absolute_url()).content.decode()

    main_src = re.search(r'<img class="gallery-main" src="([^"]+)" alt="The mug from above"', html)[1]
    assert main_src != top.image.url
    assert max(picture_size(stored_picture(main_src))) == 800
    small_src = re.search(
        r'<label class="gallery-thumb" for="[^"]+"><img src="([^"]+)" alt="The mug from the side"', html
    )[1]
    # The small picture switches the main one (a radio label): it never opens the bare file.
    assert f'href="{side.image.url}"' not in html
    assert small_src not in (side.image.url, main_src)
    assert max(picture_size(stored_picture(small_src))) == 160
    assert html.index('alt="The mug from above"') < html.index('alt="The mug from the side"')


@pytest.mark.django_db
def test_catalog_card_and_cart_line_show_a_thumbnail_of_the_main_picture(client):
    price = PriceFactory(product__name="Mug")
    second = ProductImageFactory(product=price.product, position=1)
    main = ProductImageFactory(product=price.product, position=0, image__width=600, image__height=900)

    card = re.search(r'class="product-card-image" src="([^"]+)"', client.get(HOME).content.decode())[1]
    client.post(reverse("cart:add"), {"product_id": price.product.pk, "price_id": price.pk, "quantity": 1})
    line = re.search(r'class="cart-line-image" src="([^"]+)"', client.get(reverse("cart:detail")).text)[1]

    assert card not in (main.image.url, second.image.url)
    assert max(picture_size(stored_picture(card))) == 400
    assert max(picture_size(stored_picture(line))) == 192
    # Of the main picture (portrait), not of the second one (landscape).
    assert picture_size(stored_picture(card)) == (267, 400)


@pytest.mark.django_db
def test_a_product_without_pictures_shows_the_placeholder(client):
    product = PriceFactory(product__name="Mug").product

    assert 'src="/static/catalog/placeholder.svg"' in client.get(HOME).text
    assert 'src="/static/catalog/placeholder.svg"' in client.get(product.get_absolute_url()).text


@pytest.mark.django_db
def test_deleting_a_picture_deletes_its_file_and_the_card_shows_the_next(client):
    product = PriceFactory(product__name="Mug").product
    main = ProductImageFactory(product=product, position=0)
    second = ProductImageFactory(product=product, position=1)
    client.get(HOME)
    name = main.image.name

    main.delete()

    product.refresh_from_db()
    assert product.card_image == second.image.name
    assert not default_storage.exists(name)


@pytest.mark.django_db
def test_stripe_image_urls_are_absolute_https_in_order_and_at_most_eight(settings):
    settings.SHOP_BASE_URL = "https://shop.example.com"
    product = ProductFactory()
    images = [ProductImageFactory(product=product, position=position) for position in range(9, -1, -1)]

    urls = product.stripe_image_urls()

    assert urls == [f"https://shop.example.com/media/{image.image.name}" for image in images[::-1][:8]]


@pytest.mark.django_db
def test_stripe_image_urls_keep_a_storage_that_serves_absolute_urls_and_drop_plain_http(settings):
    image = ProductImageFactory()
    settings.SHOP_BASE_URL = "http://127.0.0.1:8000"
    assert image.product.stripe_image_urls() == []

    settings.MEDIA_URL = "https://cdn.example.com/media/"
    assert image.product.stripe_image_urls() == [f"https://cdn.example.com/media/{image.image.name}"]


# --- The data migration from the JSON list of paths ----------------------------------------------


@pytest.mark.django_db
def test_the_migration_uploads_image_paths_and_keeps_what_it_cannot_upload_for_staff():
    migration = importlib.import_module("catalog.migrations.0006_move_image_paths_to_uploads")
    state = MigrationLoader(connection).project_state(("catalog", "0006_move_image_paths_to_uploads"))
    OldProduct = state.apps.get_model("catalog", "Product")
    mug = OldProduct.objects.create(
        name="Mug",
        slug="mug",
        image_paths=[
            "catalog/demo/enamel-mug.svg",
            "https://cdn.example.com/mug.jpg",
            "catalog/demo/enamel-mug-top.svg",
        ],
        metadata={"demo": True, "image_alts": ["White enamel mug"]},
    )
    placeholder = OldProduct.objects.create(
        name="Calendar", slug="calendar", image_paths=["catalog/demo/placeholder.svg"], metadata={}
    )

    migration.move_image_paths_to_uploads(state.apps, None)

    images = list(ProductImage.objects.filter(product_id=mug.pk))
    assert [image.alt_text for image in images] == ["White enamel mug", "Mug, picture 3 of 3"]
    assert [image.position for image in images] == [0, 2]
    for image in images:
        assert picture_size(image.image.name) == (800, 800)
    product = Product.objects.get(pk=mug.pk)
    assert product.card_image == images[0].image.name
    assert product.metadata == {
        "demo": True,
        "images_to_upload": [{"image": "https://cdn.example.com/mug.jpg", "alt_text": "Mug, picture 2 of 3"}],
    }
    assert not ProductImage.objects.filter(product_id=placeholder.pk).exists()
    assert Product.objects.get(pk=placeholder.pk).card_image == ""

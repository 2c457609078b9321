"""Pictures of one variant: shown first when it is chosen, left out when another one is."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from catalog.models import Price, Product, ProductImage, Variant
from tests.factories import PriceFactory, ProductFactory, ProductImageFactory

pytestmark = pytest.mark.django_db


def tee(name="Tee") -> Product:
    """A T-shirt in M, Navy and Black, $25 each."""
    product = ProductFactory(
        name=name,
        option_axes=[{"name": "Size", "values": ["M"]}, {"name": "Colour", "values": ["Navy", "Black"]}],
    )
    for position, colour in enumerate(["Navy", "Black"]):
        variant = Variant.objects.create(
            product=product,
            option_values={"Size": "M", "Colour": colour},
            position=position,
            track_stock=False,
        )
        Price.objects.create(product=product, variant=variant, unit_amount=2500, currency="usd")
    return product


def variant_of(product, colour) -> Variant:
    return next(variant for variant in product.variants.all() if variant.option_values["Colour"] == colour)


def pictures(html) -> list[str]:
    """The alt texts of the page's gallery, the main picture first."""
    return re.findall(r'<img class="gallery-main" src="[^"]+" alt="([^"]+)"', html)


def colour_of(url) -> tuple:
    name = url.removeprefix("/media/")
    with default_storage.open(name) as stored, Image.open(stored) as picture:
        return picture.convert("RGB").getpixel((picture.width // 2, picture.height // 2))


def test_the_chosen_variants_picture_comes_first_and_the_other_variants_is_left_out(client):
    product = tee()
    ProductImageFactory(product=product, variant=variant_of(product, "Navy"), alt_text="Navy tee", position=0)
    ProductImageFactory(
        product=product, variant=variant_of(product, "Black"), alt_text="Black tee", position=1
    )
    ProductImageFactory(product=product, alt_text="The label", position=2)
    neighbour = PriceFactory(product__name="Mug").product
    ProductImageFactory(product=neighbour, alt_text="A mug", position=0)

    black = client.get(product.get_absolute_url(), {"Size": "M", "Colour": "Black"}).text
    navy = client.get(product.get_absolute_url(), {"Size": "M", "Colour": "Navy"}).text

    assert pictures(black) == ["Black tee", "The label"]
    assert pictures(navy) == ["Navy tee", "The label"]
    assert pictures(client.get(neighbour.get_absolute_url()).text) == ["A mug"]
    # The colour links lead to the other colour's page and so to its picture, without JavaScript.
    link = re.search(r'<a class="option-value" href="\?([^"]+)">Black</a>', navy)[1]
    assert pictures(client.get(product.get_absolute_url() + "?" + link.replace("&amp;", "&")).text)[0] == (
        "Black tee"
    )


def test_a_cart_line_shows_its_variants_picture_else_the_products_card_image(client):
    product = tee()
    ProductImageFactory(product=product, alt_text="Navy tee", position=0, image__color="navy")
    black = variant_of(product, "Black")
    ProductImageFactory(
        product=product, variant=black, alt_text="Black tee", position=1, image__color="black"
    )
    mug = PriceFactory(product__name="Mug")
    ProductImageFactory(product=mug.product, alt_text="A mug", position=0, image__color="white")
    for price in (Price.objects.get(variant=black), mug):
        client.post(
            reverse("cart:add"), {"product_id": price.product_id, "price_id": price.pk, "quantity": 1}
        )

    lines = re.findall(r'class="cart-line-image" src="([^"]+)"', client.get(reverse("cart:detail")).text)

    assert [colour_of(url) for url in lines] == [(0, 0, 0), (255, 255, 255)]


def test_a_picture_of_another_products_variant_is_refused():
    product = tee()
    other = tee("Polo")
    picture = ProductImageFactory.build(
        product=product, variant=variant_of(other, "Black"), alt_text="Black tee"
    )

    with pytest.raises(ValidationError) as refused:
        picture.full_clean()

    assert refused.value.message_dict["variant"] == ["Choose a variant of this picture's product, or none."]
    assert not ProductImage.objects.exists()


def test_the_product_card_shows_a_picture_of_the_whole_product_before_a_variants():
    product = tee()
    ProductImageFactory(
        product=product, variant=variant_of(product, "Black"), alt_text="Black tee", position=0
    )
    general = ProductImageFactory(product=product, alt_text="Navy tee", position=1)

    assert Product.objects.get(pk=product.pk).card_image == general.image.name


def test_stripe_gets_the_pictures_of_the_whole_product_before_the_variants(settings):
    settings.SHOP_BASE_URL = "https://shop.example.com"
    product = tee()
    black = ProductImageFactory(product=product, variant=variant_of(product, "Black"), position=0)
    general = ProductImageFactory(product=product, position=1)

    urls = product.stripe_image_urls()

    assert urls == [f"https://shop.example.com/media/{image.image.name}" for image in (general, black)]

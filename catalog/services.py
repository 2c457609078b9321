"""Writes to the catalog that span its models."""

from collections import defaultdict
from collections.abc import Iterable

from django.core.files import File

from catalog.models import Price, Product, ProductImage, price_summary_fields


def product_refresh_price_summary(*, product_ids: Iterable) -> None:
    """Recompute the price summary of these products from their prices, and store it.

    Runs after every write that may change a price's availability, amount, type or product
    (catalog.signals for saves and deletes, catalog.models.PriceQuerySet for update() and
    bulk_create()). Two database commands for one product.
    """
    product_ids = {pk for pk in product_ids if pk is not None}
    if not product_ids:
        return
    if len(product_ids) == 1:
        # `field: value`, not $in: the embedded engine narrows a scan with an index only for the former.
        prices = Price.objects.filter(product_id=next(iter(product_ids)))
    else:
        prices = Price.objects.filter(product_id__in=product_ids)
    prices_by_product = defaultdict(list)
    for price in prices.order_by():
        prices_by_product[price.product_id].append(price)
    for product_id in product_ids:
        # One update by _id per product, which every engine serves from its index; bulk_update()
        # would send one $in over all of them, evaluated linearly by the embedded engine.
        Product.objects.filter(pk=product_id).update(**price_summary_fields(prices_by_product[product_id]))


def product_image_create(*, product: Product, file: File, alt_text: str, position: int = 0) -> ProductImage:
    """Store `file` as a picture of the product, checked as an upload in admin is; return the row."""
    image = ProductImage(product=product, image=file, alt_text=alt_text, position=position)
    image.full_clean()
    image.save()
    return image


def product_refresh_card_image(*, product_id) -> None:
    """Store the product's first image as the one its card shows (catalog.signals runs this)."""
    first = (
        ProductImage.objects.filter(product_id=product_id)
        .order_by("position", "pk")
        .values_list("image", flat=True)
        .first()
    )
    Product.objects.filter(pk=product_id).update(card_image=first or "")

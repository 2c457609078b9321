"""Writes to the catalog that span its models."""

from collections import defaultdict
from collections.abc import Iterable

from django.utils import timezone

from catalog.models import SYNC_ERROR_KEY, Price, Product, price_summary_fields


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


def catalog_row_sync_error_record(*, row: Product | Price, message: str) -> None:
    """Mark the product or price as not in sync with Stripe, with why and when; nothing else changes."""
    metadata = type(row).objects.filter(pk=row.pk).values_list("metadata", flat=True).first() or {}
    metadata = {**metadata, SYNC_ERROR_KEY: {"message": message, "at": timezone.now().isoformat()}}
    type(row).objects.filter(pk=row.pk).update(metadata=metadata)
    row.metadata = metadata


def catalog_row_sync_error_clear(*, row: Product | Price) -> None:
    """Remove the product's or price's "not in sync with Stripe" mark, if it has one."""
    metadata = type(row).objects.filter(pk=row.pk).values_list("metadata", flat=True).first() or {}
    if SYNC_ERROR_KEY in metadata:
        metadata = {key: value for key, value in metadata.items() if key != SYNC_ERROR_KEY}
        type(row).objects.filter(pk=row.pk).update(metadata=metadata)
        row.metadata = metadata

"""Writes to catalog rows that span a model: pictures and their card image, the "not in sync" mark."""

from django.core.files import File
from django.utils import timezone

from catalog.models import (
    SYNC_ERROR_KEY,
    Coupon,
    Price,
    Product,
    ProductImage,
    PromotionCode,
    ShippingRate,
    Variant,
)

SyncedRow = Product | Price | Coupon | PromotionCode | ShippingRate


def catalog_row_sync_error_record(*, row: SyncedRow, message: str) -> None:
    """Mark the row as not in sync with Stripe, with why and when; nothing else changes."""
    metadata = type(row).objects.filter(pk=row.pk).values_list("metadata", flat=True).first() or {}
    metadata = {**metadata, SYNC_ERROR_KEY: {"message": message, "at": timezone.now().isoformat()}}
    type(row).objects.filter(pk=row.pk).update(metadata=metadata)
    row.metadata = metadata


def catalog_row_sync_error_clear(*, row: SyncedRow) -> None:
    """Remove the row's "not in sync with Stripe" mark, if it has one."""
    metadata = type(row).objects.filter(pk=row.pk).values_list("metadata", flat=True).first() or {}
    if SYNC_ERROR_KEY in metadata:
        metadata = {key: value for key, value in metadata.items() if key != SYNC_ERROR_KEY}
        type(row).objects.filter(pk=row.pk).update(metadata=metadata)
        row.metadata = metadata


def product_image_create(
    *, product: Product, file: File, alt_text: str, position: int = 0, variant: Variant | None = None
) -> ProductImage:
    """Store `file` as a picture of the product (of one of its variants, if given), checked as an
    upload in admin is; return the row."""
    image = ProductImage(product=product, variant=variant, image=file, alt_text=alt_text, position=position)
    image.full_clean()
    image.save()
    return image


def product_refresh_card_image(*, product_id) -> None:
    """Store the product's first picture of the whole product (else its first of a variant) as the
    one its card shows (catalog.signals runs this)."""
    images = list(
        ProductImage.objects.filter(product_id=product_id)
        .order_by("position", "pk")
        .values_list("image", "variant_id")
    )
    general = [name for name, variant_id in images if variant_id is None]
    first = next(iter(general or [name for name, _ in images]), "")
    Product.objects.filter(pk=product_id).update(card_image=first)

"""Writes to the catalog rows on behalf of the Stripe integration: the "not in sync" mark."""

from django.utils import timezone

from catalog.models import SYNC_ERROR_KEY, Coupon, Price, Product, PromotionCode

SyncedRow = Product | Price | Coupon | PromotionCode


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

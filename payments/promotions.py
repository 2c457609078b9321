"""Coupons and promotion codes pushed from the catalog admin to Stripe (through shop.payment_gateway),
and pulled back by `manage.py sync_stripe` (see PROMOTIONS_PULL_RULES).

Stripe never changes a coupon's terms, nor a promotion code's code, coupon, limit or expiry, after
creation: a push creates each one once (an idempotency key of the row and its terms, the id kept by a
conditional update) and afterwards sends only what Stripe lets change. A code is active in Stripe when
it and its coupon are active here, so switching a coupon off stops every one of its codes. A push that
fails leaves the row saved and marked "not in sync with Stripe", like a product's.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import stripe
from bson import ObjectId
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from catalog.exceptions import StripeSyncFailed
from catalog.models import Coupon, PromotionCode
from catalog.services import catalog_row_sync_error_clear, catalog_row_sync_error_record
from payments.catalog_sync import ARCHIVED, CREATED, SKIPPED, UNCHANGED, UPDATED, PullSummary, no_progress
from payments.stripe_client import (
    stripe_client,
    stripe_create_for_row,
    stripe_error_message,
    stripe_id_save,
)

logger = logging.getLogger(__name__)


def coupon_push_to_stripe(*, coupon: Coupon) -> str:
    """Create the coupon in Stripe once, then bring its codes' active flags in line; return its Stripe id.

    Raise StripeSyncFailed, with the row saved and marked, when Stripe refuses or is unreachable.
    """
    try:
        stripe_id = _coupon_ensure(coupon)
    except stripe.StripeError as error:
        raise _sync_failed(coupon, error) from error
    catalog_row_sync_error_clear(row=coupon)
    for promotion_code in coupon.promotion_codes.filter(stripe_promotion_code_id__isnull=False):
        promotion_code_push_to_stripe(promotion_code=promotion_code)
    return stripe_id


def promotion_code_push_to_stripe(*, promotion_code: PromotionCode) -> str:
    """Create the promotion code (and its coupon) in Stripe once, else update its active flag; return its id.

    Raise StripeSyncFailed, with the row saved and marked, when Stripe refuses or is unreachable.
    """
    coupon_id = promotion_code.coupon.stripe_coupon_id or coupon_push_to_stripe(coupon=promotion_code.coupon)
    try:
        stripe_id = _promotion_code_ensure(promotion_code, coupon_id)
    except stripe.StripeError as error:
        raise _sync_failed(promotion_code, error) from error
    catalog_row_sync_error_clear(row=promotion_code)
    return stripe_id


def _coupon_ensure(coupon: Coupon) -> str:
    if coupon.stripe_coupon_id:
        return coupon.stripe_coupon_id
    params = {"name": coupon.name, "duration": coupon.duration, "metadata": {"coupon_id": str(coupon.pk)}}
    if coupon.percent_off:
        params["percent_off"] = coupon.percent_off
    else:
        params.update(amount_off=coupon.amount_off, currency=coupon.currency)
    if coupon.duration_in_months:
        params["duration_in_months"] = coupon.duration_in_months
    return stripe_create_for_row(
        stripe_client().v1.coupons, row=coupon, field="stripe_coupon_id", kind="coupon", params=params
    )


def _promotion_code_ensure(promotion_code: PromotionCode, coupon_id: str) -> str:
    active = promotion_code.is_redeemable
    client = stripe_client()
    if promotion_code.stripe_promotion_code_id:
        client.v1.promotion_codes.update(promotion_code.stripe_promotion_code_id, {"active": active})
        return promotion_code.stripe_promotion_code_id
    params = {
        "code": promotion_code.code,
        "promotion": {"type": "coupon", "coupon": coupon_id},
        "active": active,
        "metadata": {"promotion_code_id": str(promotion_code.pk)},
    }
    if promotion_code.max_redemptions:
        params["max_redemptions"] = promotion_code.max_redemptions
    if promotion_code.expires_at:
        params["expires_at"] = int(promotion_code.expires_at.timestamp())
    return stripe_create_for_row(
        client.v1.promotion_codes,
        row=promotion_code,
        field="stripe_promotion_code_id",
        kind="promotion-code",
        params=params,
    )


def _sync_failed(row, error: stripe.StripeError) -> StripeSyncFailed:
    message = stripe_error_message(error)
    logger.warning("%s %s: push to Stripe failed: %s", type(row).__name__, row.pk, error)
    catalog_row_sync_error_record(row=row, message=message)
    return StripeSyncFailed(row, message)


# --- Pull ------------------------------------------------------------------------------------

PROMOTIONS_PULL_RULES = """\
Coupons and promotion codes made in Stripe's dashboard are imported once: a Stripe object is
matched by its Stripe id, else by the row id the shop put in its metadata, so the ones the shop
pushed are never duplicated. Coupons Stripe no longer accepts, and percentages that are not whole,
are skipped; a code whose coupon is not here, or whose code the shop already uses for another, is
skipped. Stripe never changes a coupon's or code's terms; for a code Stripe wins for active
(unless the shop switched its coupon off, which is what made it inactive in Stripe)."""


def promotions_pull_from_stripe(
    *, summary: PullSummary | None = None, dry_run: bool = False, progress: Callable | None = None
) -> PullSummary:
    """Bring Stripe's coupons and promotion codes into the catalog idempotently; return the summary.

    Counts go to `summary.coupons` and `summary.promotion_codes` (a new summary if none is given).
    """
    progress = progress or no_progress
    summary = summary or PullSummary(dry_run=dry_run)
    client = stripe_client()
    coupons = [
        coupon.to_dict()
        for coupon in progress(client.v1.coupons.list({"limit": 100}).auto_paging_iter(), desc="Coupons")
    ]
    codes = [
        code.to_dict()
        for code in progress(
            client.v1.promotion_codes.list({"limit": 100}).auto_paging_iter(), desc="Promotion codes"
        )
    ]
    for stripe_coupon in coupons:
        summary.coupons[_pull_coupon(stripe_coupon, dry_run=dry_run, notes=summary.notes)] += 1
    for stripe_code in codes:
        summary.promotion_codes[_pull_promotion_code(stripe_code, dry_run=dry_run, notes=summary.notes)] += 1
    return summary


def _pull_coupon(stripe_coupon: dict, *, dry_run: bool, notes: list) -> str:
    stripe_id = stripe_coupon["id"]
    coupon = _matching(Coupon, "stripe_coupon_id", stripe_id, stripe_coupon, "coupon_id")
    if coupon is not None:
        return _link(coupon, "stripe_coupon_id", stripe_id, dry_run=dry_run)
    if not stripe_coupon["valid"]:
        notes.append(f"coupon {stripe_id} skipped: Stripe no longer accepts it")
        return SKIPPED
    percent_off = stripe_coupon.get("percent_off")
    if percent_off is not None and percent_off != int(percent_off):
        notes.append(f"coupon {stripe_id} skipped: {percent_off}% off is not a whole percentage")
        return SKIPPED
    coupon = Coupon(
        name=(stripe_coupon.get("name") or stripe_id)[:40],
        percent_off=int(percent_off) if percent_off is not None else None,
        amount_off=stripe_coupon.get("amount_off"),
        currency=stripe_coupon.get("currency") or "",
        duration=stripe_coupon["duration"],
        duration_in_months=stripe_coupon.get("duration_in_months"),
        stripe_coupon_id=stripe_id,
    )
    try:
        coupon.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        notes.append(f"coupon {stripe_id} skipped: {'; '.join(error.messages)}")
        return SKIPPED
    return CREATED if dry_run else _create(Coupon, "stripe_coupon_id", coupon)


def _pull_promotion_code(stripe_code: dict, *, dry_run: bool, notes: list) -> str:
    stripe_id = stripe_code["id"]
    promotion_code = _matching(
        PromotionCode, "stripe_promotion_code_id", stripe_id, stripe_code, "promotion_code_id"
    )
    if promotion_code is not None:
        outcome = _link(promotion_code, "stripe_promotion_code_id", stripe_id, dry_run=dry_run)
        if promotion_code.coupon.active and promotion_code.active != stripe_code["active"]:
            if not dry_run:
                PromotionCode.objects.filter(pk=promotion_code.pk).update(
                    active=stripe_code["active"], updated_at=timezone.now()
                )
            return UPDATED if stripe_code["active"] else ARCHIVED
        return outcome
    coupon_id = (stripe_code.get("promotion") or {}).get("coupon")
    coupon = Coupon.objects.filter(stripe_coupon_id=coupon_id).first() if coupon_id else None
    if coupon is None and not dry_run:
        notes.append(f"promotion code {stripe_id} skipped: its coupon {coupon_id} is not in the catalog")
        return SKIPPED
    if PromotionCode.objects.filter(code=stripe_code["code"]).exists():
        notes.append(f"promotion code {stripe_id} skipped: the shop has another code {stripe_code['code']}")
        return SKIPPED
    if dry_run:
        return CREATED
    expires_at = stripe_code.get("expires_at")
    promotion_code = PromotionCode(
        code=stripe_code["code"],
        coupon=coupon,
        active=stripe_code["active"],
        max_redemptions=stripe_code.get("max_redemptions"),
        expires_at=datetime.fromtimestamp(expires_at, tz=UTC) if expires_at else None,
        stripe_promotion_code_id=stripe_id,
    )
    return _create(PromotionCode, "stripe_promotion_code_id", promotion_code)


def _matching(model, field_name: str, stripe_id: str, stripe_object: dict, metadata_key: str):
    """Return our row of this Stripe object: by its Stripe id, else by the row id in its metadata."""
    row = model.objects.filter(**{field_name: stripe_id}).first()
    if row is not None:
        return row
    pk = (stripe_object.get("metadata") or {}).get(metadata_key)
    # Metadata typed in Stripe's dashboard may be anything.
    if pk and ObjectId.is_valid(pk):
        return model.objects.filter(pk=ObjectId(pk)).first()
    return None


def _link(row, field_name: str, stripe_id: str, *, dry_run: bool) -> str:
    """A row matched by its metadata gets the Stripe id its push did not get to save."""
    if getattr(row, field_name):
        return UNCHANGED
    if not dry_run:
        stripe_id_save(type(row), row.pk, field_name, stripe_id)
    return UPDATED


def _create(model, field_name: str, row) -> str:
    try:
        row.save(force_insert=True)
    except IntegrityError:
        # Created meanwhile by a concurrent pull: the unique Stripe id keeps one row.
        if model.objects.filter(**{field_name: getattr(row, field_name)}).exists():
            return UNCHANGED
        raise
    return CREATED

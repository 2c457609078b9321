"""Coupons and promotion codes pushed from the catalog admin to Stripe (through shop.payment_gateway).

Stripe never changes a coupon's terms, nor a promotion code's code, coupon, limit or expiry, after
creation: a push creates each one once (an idempotency key of the row and its terms, the id kept by a
conditional update) and afterwards sends only what Stripe lets change. A code is active in Stripe when
it and its coupon are active here, so switching a coupon off stops every one of its codes. A push that
fails leaves the row saved and marked "not in sync with Stripe", like a product's.
"""

import logging

import stripe

from catalog.exceptions import StripeSyncFailed
from catalog.models import Coupon, PromotionCode
from catalog.services import catalog_row_sync_error_clear, catalog_row_sync_error_record
from payments.stripe_client import (
    creation_idempotency_key,
    stripe_client,
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
    created = stripe_client().v1.coupons.create(
        params, {"idempotency_key": creation_idempotency_key("coupon", coupon.pk, params)}
    )
    coupon.stripe_coupon_id = stripe_id_save(Coupon, coupon.pk, "stripe_coupon_id", created.id)
    return coupon.stripe_coupon_id


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
    created = client.v1.promotion_codes.create(
        params, {"idempotency_key": creation_idempotency_key("promotion-code", promotion_code.pk, params)}
    )
    promotion_code.stripe_promotion_code_id = stripe_id_save(
        PromotionCode, promotion_code.pk, "stripe_promotion_code_id", created.id
    )
    return promotion_code.stripe_promotion_code_id


def _sync_failed(row, error: stripe.StripeError) -> StripeSyncFailed:
    message = stripe_error_message(error)
    logger.warning("%s %s: push to Stripe failed: %s", type(row).__name__, row.pk, error)
    catalog_row_sync_error_record(row=row, message=message)
    return StripeSyncFailed(row, message)

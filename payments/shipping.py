"""Shipping rates pushed from the catalog admin to Stripe (through shop.payment_gateway), and offered
at checkout.

Stripe never changes a shipping rate's amount, currency, name or delivery estimate: a push creates
the Stripe rate once (an idempotency key of the row and its terms, the id kept by a conditional
update), and when staff change any of those a new Stripe rate replaces it and the old one is
archived (active=false), as for prices; orders keep the name and amount they were charged. Being
active is the only thing a push updates in place. A push that fails leaves the row saved and
marked "not in sync with Stripe", and checkout leaves such a rate out until a push succeeds.
"""

import logging

import stripe

from cart.selectors import OneTimeShipping, RecurringShipping
from catalog.exceptions import StripeSyncFailed
from catalog.models import ShippingRate
from catalog.selectors import row_awaits_push
from catalog.services import catalog_row_sync_error_clear, catalog_row_sync_error_record
from payments.stripe_client import (
    creation_idempotency_key,
    stripe_client,
    stripe_create_for_row,
    stripe_error_message,
)
from subscriptions.services import SHIPPING_METADATA_KEY

logger = logging.getLogger(__name__)

# Stripe offers at most this many shipping options on one Checkout Session.
STRIPE_MAX_SHIPPING_OPTIONS = 5


def shipping_rate_push_to_stripe(*, shipping_rate: ShippingRate) -> str:
    """Create, archive or replace the shipping rate in Stripe; return its (possibly new) Stripe id.

    Raise StripeSyncFailed, with the row saved and marked, when Stripe refuses or is unreachable.
    """
    try:
        stripe_id = _push(shipping_rate)
    except stripe.StripeError as error:
        message = stripe_error_message(error)
        logger.warning("ShippingRate %s: push to Stripe failed: %s", shipping_rate.pk, error)
        catalog_row_sync_error_record(row=shipping_rate, message=message)
        raise StripeSyncFailed(shipping_rate, message) from error
    catalog_row_sync_error_clear(row=shipping_rate)
    return stripe_id


def checkout_shipping_rate_ids(*, currency: str) -> list[str]:
    """Return the Stripe ids of the rates a checkout in `currency` offers, cheapest first (at most 5).

    Rates not in Stripe yet are created there now; a rate whose last push failed is left out, since
    Stripe may still hold its old amount.
    """
    rates = ShippingRate.objects.filter(active=True, currency=currency.lower()).order_by(
        "amount", "display_name"
    )
    offered = [rate for rate in rates if not row_awaits_push(rate)][:STRIPE_MAX_SHIPPING_OPTIONS]
    return [rate.stripe_shipping_rate_id or _create(stripe_client(), rate) for rate in offered]


def shipping_line_item(*, shipping: RecurringShipping | OneTimeShipping) -> dict:
    """The checkout line that bills shipping in a subscription checkout, which takes no shipping
    options: every period with the subscription when it recurs (renewal invoices then carry it),
    else once, on the first invoice. The shop's subscription pages know it by its product's metadata."""
    rate = shipping.rate
    price_data = {
        "currency": rate.currency,
        "unit_amount": rate.amount,
        "product_data": {
            "name": f"Shipping: {rate.display_name}",
            "metadata": {SHIPPING_METADATA_KEY: str(rate.pk)},
        },
    }
    if isinstance(shipping, RecurringShipping):
        price_data["recurring"] = {"interval": shipping.interval, "interval_count": shipping.interval_count}
    return {"price_data": price_data, "quantity": 1}


def shipping_checkout_key(*, shipping: RecurringShipping | OneTimeShipping | None) -> list[str]:
    """What of a subscription checkout's shipping line makes the checkout a new one (a changed rate)."""
    if shipping is None:
        return []
    kind = "recurring" if isinstance(shipping, RecurringShipping) else "one-time"
    return [f"{kind}-shipping={shipping.rate.pk}:{shipping.rate.amount}:{shipping.rate.display_name}"]


def shipping_rate_terms(shipping_rate: ShippingRate) -> tuple:
    """What Stripe fixes at creation, from our row: name, amount, currency, delivery days."""
    return (
        shipping_rate.display_name,
        shipping_rate.amount,
        shipping_rate.currency,
        shipping_rate.delivery_min_days,
        shipping_rate.delivery_max_days,
    )


def stripe_shipping_rate_terms(stripe_rate: dict) -> tuple:
    """The same terms, read from a Stripe shipping rate."""
    estimate = stripe_rate.get("delivery_estimate") or {}
    days = [(estimate.get(bound) or {}).get("value") for bound in ("minimum", "maximum")]
    fixed = stripe_rate["fixed_amount"]
    return (stripe_rate["display_name"], fixed["amount"], fixed["currency"], *days)


def _push(shipping_rate: ShippingRate) -> str:
    client = stripe_client()
    if not shipping_rate.stripe_shipping_rate_id:
        _create(client, shipping_rate)
        if not shipping_rate.active:
            _set_active(client, shipping_rate.stripe_shipping_rate_id, active=False)
        return shipping_rate.stripe_shipping_rate_id
    current = client.v1.shipping_rates.retrieve(shipping_rate.stripe_shipping_rate_id).to_dict()
    if shipping_rate.active and stripe_shipping_rate_terms(current) != shipping_rate_terms(shipping_rate):
        return _replace(client, shipping_rate, old_id=current["id"])
    if current["active"] != shipping_rate.active:
        _set_active(client, current["id"], active=shipping_rate.active)
    return shipping_rate.stripe_shipping_rate_id


def _params(shipping_rate: ShippingRate, **metadata) -> dict:
    params = {
        "display_name": shipping_rate.display_name,
        "type": "fixed_amount",
        "fixed_amount": {"amount": shipping_rate.amount, "currency": shipping_rate.currency},
        "metadata": {"shipping_rate_id": str(shipping_rate.pk), **metadata},
    }
    estimate = {
        bound: {"unit": "business_day", "value": days}
        for bound, days in (
            ("minimum", shipping_rate.delivery_min_days),
            ("maximum", shipping_rate.delivery_max_days),
        )
        if days
    }
    if estimate:
        params["delivery_estimate"] = estimate
    return params


def _create(client, shipping_rate: ShippingRate) -> str:
    params = _params(shipping_rate)
    return stripe_create_for_row(
        client.v1.shipping_rates,
        row=shipping_rate,
        field="stripe_shipping_rate_id",
        kind="shipping-rate",
        params=params,
    )


def _replace(client, shipping_rate: ShippingRate, *, old_id: str) -> str:
    """Create the Stripe rate of the row's new terms, point the row at it, archive the old one.

    Each step is safe to repeat: the creation's key names the rate it replaces, and the row moves
    only from the old id.
    """
    params = _params(shipping_rate, replaces=old_id)
    created = client.v1.shipping_rates.create(
        params,
        {
            "idempotency_key": creation_idempotency_key(
                f"shipping-rate-replacing-{old_id}", shipping_rate.pk, params
            )
        },
    )
    ShippingRate.objects.filter(pk=shipping_rate.pk, stripe_shipping_rate_id=old_id).update(
        stripe_shipping_rate_id=created.id
    )
    shipping_rate.stripe_shipping_rate_id = (
        ShippingRate.objects.filter(pk=shipping_rate.pk)
        .values_list("stripe_shipping_rate_id", flat=True)
        .get()
    )
    _set_active(client, old_id, active=False)
    logger.info(
        "shipping rate %s: Stripe rate %s replaces %s (archived)", shipping_rate.pk, created.id, old_id
    )
    return shipping_rate.stripe_shipping_rate_id


def _set_active(client, stripe_id: str, *, active: bool) -> None:
    client.v1.shipping_rates.update(stripe_id, {"active": active})

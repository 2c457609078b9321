"""The one place that builds a Stripe API client (real Stripe, or the simulator in development), and
the two habits every create request shares: its idempotency key, and keeping the one id Stripe returned.
"""

import hashlib
import json

import stripe
from django.conf import settings
from django.db.models import Q


def stripe_client() -> stripe.StripeClient:
    """Return a StripeClient configured from settings (key, pinned API version, timeout, retries, base)."""
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        stripe_version=settings.STRIPE_API_VERSION,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def stripe_livemode() -> bool:
    """Return whether the secret key is a live one: its events say `livemode: true`."""
    return settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))


def stripe_error_message(error: stripe.StripeError) -> str:
    """Return what to tell staff of a failed Stripe request: Stripe's message, or that it was unreachable."""
    if isinstance(error, stripe.APIConnectionError):
        # Stripe may have done it all the same; its webhook would then tell the shop.
        return "Stripe could not be reached (network error)."
    return error.user_message or str(error)


def params_digest(params: dict) -> str:
    """Return a short digest of a request's parameters, to make them part of its idempotency key.

    Stripe refuses a key reused with other parameters, and answers a reused one from its record.
    """
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]


def creation_idempotency_key(kind: str, pk, params: dict) -> str:
    """Return the idempotency key that creates the Stripe object of our row `pk` at most once."""
    return f"shop-{kind}-{pk}-{params_digest(params)}"


def stripe_id_save(model, pk, field: str, stripe_id: str) -> str:
    """Save `stripe_id` unless a concurrent request saved one first; return the id that is kept."""
    unset = Q(**{f"{field}__isnull": True}) | Q(**{field: ""})
    if model.objects.filter(unset, pk=pk).update(**{field: stripe_id}):
        return stripe_id
    return model.objects.filter(pk=pk).values_list(field, flat=True).get()


def stripe_create_for_row(resource, *, row, field: str, kind: str, params: dict) -> str:
    """Create the Stripe object of `row` with `resource` (a v1 service such as `client.v1.coupons`),
    at most once however often this runs, and keep its id in `row.<field>`; return the id kept,
    which a concurrent creator may have saved first."""
    created = resource.create(params, {"idempotency_key": creation_idempotency_key(kind, row.pk, params)})
    setattr(row, field, stripe_id_save(type(row), row.pk, field, created.id))
    return getattr(row, field)

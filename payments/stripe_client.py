"""The one place that builds a Stripe API client: real Stripe, or the simulator in development."""

import stripe
from django.conf import settings


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

"""Stripe's customer portal as the shop opens it: under a portal configuration the shop owns, made
once through the API, the customer updates their card, sees their invoices and cancels at the end
of the period, but cannot change plan or quantity. The shop makes those itself, priced by Stripe's
invoice preview and measured against what the period was paid at, which the account's default
portal (a plan switch prorated by Stripe) would bypass.
"""

import logging

import stripe
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from payments.stripe_client import params_digest, stripe_client, stripe_error_message, stripe_livemode
from subscriptions.exceptions import SubscriptionChangeFailed

logger = logging.getLogger(__name__)

# The metadata key that marks the shop's configuration; its value is the digest of the settings
# it was made with, so changed settings make a new one rather than reuse an outdated one.
CONFIGURATION_MARKER = "shop_portal_configuration"
# A day: a configuration deactivated in the dashboard meanwhile is caught when a session names it.
_CACHE_SECONDS = 24 * 60 * 60


def billing_portal_session_url(*, customer: str, return_url: str) -> str:
    """Open a customer portal session at Stripe under the shop's configuration; return its address."""
    try:
        try:
            session = _session_create(customer, return_url, billing_portal_configuration_id())
        except stripe.InvalidRequestError as error:
            if error.param != "configuration":
                raise
            # Deactivated or deleted at Stripe since it was cached: find or make it again, once.
            logger.warning("portal configuration refused, looking again: %s", error)
            cache.delete(_cache_key(_configuration_params()))
            session = _session_create(customer, return_url, billing_portal_configuration_id())
    except stripe.StripeError as error:
        logger.warning("customer %s: portal session refused: %s", customer, error)
        raise SubscriptionChangeFailed(stripe_error_message(error)) from error
    return session.url


def billing_portal_configuration_id() -> str:
    """Return the id of the shop's portal configuration: cached, else the active one marked as
    made with today's settings, else a new one."""
    params = _configuration_params()
    key = _cache_key(params)
    if configuration_id := cache.get(key):
        return configuration_id
    digest = params_digest(params)
    configurations = stripe_client().v1.billing_portal.configurations
    listed = configurations.list({"active": True, "is_default": False, "limit": 100}).auto_paging_iter()
    marked = (c.id for c in listed if c.metadata and c.metadata.to_dict().get(CONFIGURATION_MARKER) == digest)
    configuration_id = next(marked, None)
    if configuration_id is None:
        # No idempotency key of ours: it would answer a deactivated configuration again. Two first
        # visits at once may make two alike, which is harmless; later visits use the one listed first.
        created = configurations.create({**params, "metadata": {CONFIGURATION_MARKER: digest}})
        configuration_id = created.id
        logger.info("portal configuration %s created", configuration_id)
    cache.set(key, configuration_id, timeout=_CACHE_SECONDS)
    return configuration_id


def _session_create(customer: str, return_url: str, configuration_id: str):
    return stripe_client().v1.billing_portal.sessions.create(
        params={"customer": customer, "return_url": return_url, "configuration": configuration_id}
    )


def _configuration_params() -> dict:
    """What the shop's portal offers: the card, the invoices and a cancellation at the period end
    (which the shop's records follow through the subscription's webhooks); no plan or quantity
    change, no pause (the shop has its own, and skip), and no change of the customer's details,
    which the shop keeps itself."""
    return {
        "business_profile": {"headline": "Plan and quantity changes are made in the shop."},
        "default_return_url": settings.SHOP_BASE_URL + reverse("subscriptions:list"),
        "features": {
            "customer_update": {"enabled": False},
            "invoice_history": {"enabled": True},
            "payment_method_update": {"enabled": True},
            "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
            "subscription_pause": {"enabled": False},
            "subscription_update": {"enabled": False},
        },
    }


def _cache_key(params: dict) -> str:
    # Test and live mode (and the simulator) each hold their own configuration.
    mode = "live" if stripe_livemode() else "test"
    where = params_digest({"api": settings.STRIPE_API_BASE, "mode": mode})
    return f"payments:billing-portal-configuration:{where}:{params_digest(params)}"

"""Links to one subscription for its customer: signed and expiring for a guest, the account page
for a member."""

from datetime import timedelta

from django.conf import settings

from shop.signed_links import SignedLink
from subscriptions.models import Subscription

# Long enough for Stripe's retries of a failed payment (a week) and a reminder read late.
SUBSCRIPTION_LINK_MAX_AGE = timedelta(days=14)
_LINK = SignedLink(
    salt="subscriptions.links.subscription", url_name="subscriptions:link", max_age=SUBSCRIPTION_LINK_MAX_AGE
)


def subscription_link_path(*, subscription: Subscription) -> str:
    """Return the path of the subscription's page for its customer: a member's account, or a signed link."""
    if subscription.user_id:
        return subscription.get_absolute_url()
    return _LINK.path(subscription.stripe_subscription_id)


def subscription_link_url(*, subscription: Subscription) -> str:
    """Return subscription_link_path() as a full address on SHOP_BASE_URL, for email."""
    return settings.SHOP_BASE_URL + subscription_link_path(subscription=subscription)


def subscription_id_from_link(*, token: str) -> str:
    """Return the Stripe subscription id a link signed; raise signing.SignatureExpired or BadSignature."""
    return _LINK.value(token)

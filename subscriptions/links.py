"""Links to one subscription for its customer: signed and expiring for a guest, the account page
for a member."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from subscriptions.models import Subscription

_SALT = "subscriptions.links.subscription"
# Long enough for Stripe's retries of a failed payment (a week) and a reminder read late.
SUBSCRIPTION_LINK_MAX_AGE = timedelta(days=14)


def subscription_link_path(*, subscription: Subscription) -> str:
    """Return the path of the subscription's page for its customer: a member's account, or a signed link."""
    if subscription.user_id:
        return subscription.get_absolute_url()
    token = signing.TimestampSigner(salt=_SALT).sign(subscription.stripe_subscription_id)
    return reverse("subscriptions:link", kwargs={"token": token})


def subscription_link_url(*, subscription: Subscription) -> str:
    """Return subscription_link_path() as a full address on SHOP_BASE_URL, for email."""
    return settings.SHOP_BASE_URL + subscription_link_path(subscription=subscription)


def subscription_id_from_link(*, token: str) -> str:
    """Return the Stripe subscription id a link signed; raise signing.SignatureExpired or BadSignature."""
    return signing.TimestampSigner(salt=_SALT).unsign(token, max_age=SUBSCRIPTION_LINK_MAX_AGE)

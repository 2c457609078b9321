"""Links to one subscription for its customer: signed and expiring for a guest, the account page
for a member."""

from datetime import timedelta

from django.conf import settings
from django.urls import reverse

from shop.signed_links import SignedLink
from subscriptions.models import Subscription

# Long enough for Stripe's retries of a failed payment (a week) and a reminder read late.
SUBSCRIPTION_LINK_MAX_AGE = timedelta(days=14)
_LINK = SignedLink(
    salt="subscriptions.links.subscription", url_name="subscriptions:link", max_age=SUBSCRIPTION_LINK_MAX_AGE
)


def subscription_link_path(*, subscription: Subscription) -> str:
    """Return the path of the subscription's page for its customer: a member's account, or a signed link."""
    return _path(subscription.stripe_subscription_id, member=subscription.user_id is not None)


def order_subscription_link_path(*, order) -> str:
    """Return the path of the page of the subscription `order` started or renews ("" for none),
    also before the shop has the subscription's record (a checkout's receipt goes out first)."""
    subscription = order.subscription
    if subscription is not None:
        return subscription_link_path(subscription=subscription)
    if not order.stripe_subscription_id:
        return ""
    return _path(order.stripe_subscription_id, member=order.user_id is not None)


def _path(stripe_subscription_id: str, *, member: bool) -> str:
    if member:
        return reverse("subscriptions:detail", kwargs={"subscription_id": stripe_subscription_id})
    return _LINK.path(stripe_subscription_id)


def subscription_link_url(*, subscription: Subscription) -> str:
    """Return subscription_link_path() as a full address on SHOP_BASE_URL, for email."""
    return settings.SHOP_BASE_URL + subscription_link_path(subscription=subscription)


def subscription_id_from_link(*, token: str) -> str:
    """Return the Stripe subscription id a link signed; raise signing.SignatureExpired or BadSignature."""
    return _LINK.value(token)

"""Reads of subscriptions: the customer's pages and the staff dashboard."""

from orders.models import Order
from subscriptions.models import Subscription, SubscriptionStatus


def subscription_list_for_user(*, user):
    """Return `user`'s own subscriptions, newest first."""
    return Subscription.objects.filter(user=user).order_by("-created_at")


def subscription_get_for_user(*, user, stripe_subscription_id: str) -> Subscription:
    """Return `user`'s subscription with this Stripe id; raise Subscription.DoesNotExist otherwise."""
    return subscription_list_for_user(user=user).get(stripe_subscription_id=stripe_subscription_id)


def subscription_get_by_stripe_id(*, stripe_subscription_id: str) -> Subscription:
    return Subscription.objects.get(stripe_subscription_id=stripe_subscription_id)


def subscription_payments(*, subscription: Subscription):
    """Return the paid orders of the subscription (its checkout and its renewals), newest first."""
    return (
        Order.objects.filter(
            stripe_subscription_id=subscription.stripe_subscription_id,
            payment_status__in=Order.PAID_LIKE_STATUSES,
        )
        .order_by("-created_at")
        .prefetch_related("items")
    )


def subscription_count_past_due() -> int:
    return Subscription.objects.filter(status=SubscriptionStatus.PAST_DUE).count()

"""Reads of subscriptions: the customer's pages and the staff dashboard."""

from catalog.models import Price, PriceType
from orders.models import Order
from subscriptions.models import PlanFamily, Subscription, SubscriptionStatus


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


def subscription_plan_options(*, subscription: Subscription, item: dict) -> list[Price]:
    """Return the prices one item of the subscription can move to, cheapest first: the active
    recurring prices, in its currency and billed as often, of its product and of every product a
    plan family groups with it (its own price included)."""
    current = Price.objects.filter(stripe_price_id=item.get("stripe_price_id")).first()
    if current is None:
        return []
    memberships = PlanFamily.products.through.objects
    families = memberships.filter(product_id=current.product_id).values_list("planfamily_id", flat=True)
    product_ids = {current.product_id}
    product_ids.update(
        memberships.filter(planfamily_id__in=list(families)).values_list("product_id", flat=True)
    )
    return list(
        Price.objects.filter(
            product_id__in=product_ids,
            type=PriceType.RECURRING,
            active=True,
            deleted_at__isnull=True,
            currency=current.currency,
            recurring_interval=current.recurring_interval,
            recurring_interval_count=current.recurring_interval_count,
        )
        .select_related("product")
        .order_by("unit_amount")
    )

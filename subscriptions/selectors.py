"""Reads of subscriptions: the customer's pages and the staff dashboard."""

from dataclasses import dataclass

from catalog.models import Price, PriceType
from orders.models import Order
from subscriptions.models import PlanFamily, Subscription, SubscriptionEmail, SubscriptionStatus


def subscription_list_for_user(*, user):
    """Return `user`'s own subscriptions, newest first."""
    return Subscription.objects.filter(user=user).order_by("-created_at")


def subscription_get_for_user(*, user, stripe_subscription_id: str) -> Subscription:
    """Return `user`'s subscription with this Stripe id; raise Subscription.DoesNotExist otherwise."""
    return subscription_list_for_user(user=user).get(stripe_subscription_id=stripe_subscription_id)


def subscription_get_by_stripe_id(*, stripe_subscription_id: str) -> Subscription:
    return Subscription.objects.get(stripe_subscription_id=stripe_subscription_id)


@dataclass(frozen=True)
class SubscriptionPayment:
    """One payment of the subscription: its order, what of it the subscription was, and how much."""

    order: Order
    description: str
    amount: int


def subscription_payments(*, subscription: Subscription) -> list[SubscriptionPayment]:
    """Return what the subscription paid, newest first: its renewals and plan changes whole, and of
    its checkout's order only the subscription's lines (nothing while a trial ran)."""
    orders = (
        Order.objects.filter(
            stripe_subscription_id=subscription.stripe_subscription_id,
            payment_status__in=Order.PAID_LIKE_STATUSES,
        )
        .order_by("-created_at")
        .prefetch_related("items")
    )
    payments = []
    for order in orders:
        items = list(order.items.all())
        if order.is_renewal:
            amount = order.amount_total
        else:
            items = [item for item in items if item.price_type == PriceType.RECURRING]
            trial = any(item.trial_period_days for item in items)
            amount = 0 if trial else sum(item.amount_total for item in items)
        description = ", ".join(f"{item.quantity} × {item.product_name}" for item in items)
        payments.append(SubscriptionPayment(order=order, description=description, amount=amount))
    return payments


def subscription_count_past_due() -> int:
    return Subscription.objects.filter(status=SubscriptionStatus.PAST_DUE).count()


def subscription_plan_options(*, subscription: Subscription, item: dict) -> list[Price]:
    """Return the prices one item of the subscription can move to, cheapest first: the active
    recurring prices, in its currency, of its product and of every product a plan family groups
    with it (its own price included). Billed as often as now, unless the item is all the
    subscription bills: one subscription bills one interval."""
    return subscription_plan_choices(subscription=subscription, item=item)[0]


def subscription_plan_choices(*, subscription: Subscription, item: dict) -> tuple[list[Price], list[str]]:
    """Return (subscription_plan_options, the billing intervals such as "year" of the item's plans
    it leaves out because the subscription bills other items too), so a page can say why."""
    current, prices = _plan_prices(item)
    if current is None:
        return [], []
    prices = list(prices.select_related("product").order_by("unit_amount"))
    if len(subscription.items) == 1:
        return prices, []
    # The label names interval and count together: "month", "3 months", "year".
    billed_as_now = current.interval_label
    same = [price for price in prices if price.interval_label == billed_as_now]
    held_back = sorted({price.interval_label for price in prices} - {billed_as_now})
    return same, held_back


def _plan_prices(item: dict):
    """Return (the item's current price, a queryset of the prices of its plan) or (None, None)."""
    current = Price.objects.filter(stripe_price_id=item.get("stripe_price_id")).first()
    if current is None:
        return None, None
    memberships = PlanFamily.products.through.objects
    families = memberships.filter(product_id=current.product_id).values_list("planfamily_id", flat=True)
    product_ids = {current.product_id}
    product_ids.update(
        memberships.filter(planfamily_id__in=list(families)).values_list("product_id", flat=True)
    )
    prices = Price.objects.filter(
        product_id__in=product_ids,
        type=PriceType.RECURRING,
        active=True,
        deleted_at__isnull=True,
        currency=current.currency,
    )
    return current, prices


def subscription_email_was_sent(*, subscription: Subscription, kind: str, reference: str) -> bool:
    """Whether the `kind` email about `reference` went out for this subscription before."""
    return SubscriptionEmail.objects.filter(
        subscription=subscription, kind=kind, reference=reference
    ).exists()

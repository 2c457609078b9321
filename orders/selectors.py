"""Reads of orders: the shopper's pages, what is left to refund, and the staff dashboard's figures."""

import datetime

from django.db.models import Case, F, IntegerField, Sum, Value, When
from django.utils import timezone

from orders.models import DISPUTE_KEY, STAFF_ATTENTION_KEY, Order, OrderItem, Refund

REVENUE_WINDOWS_DAYS = (7, 30)


def order_list_for_user(*, user):
    """Return `user`'s own orders, newest first, with their items (a fixed number of queries)."""
    return (
        Order.objects.filter(user=user)
        .order_by("-created_at")
        .select_related("renewal_of")
        .prefetch_related("items")
    )


def order_get_for_user(*, user, number):
    """Return `user`'s order with this number and its items and their products (for the links to
    their downloads); raise Order.DoesNotExist otherwise."""
    return order_list_for_user(user=user).prefetch_related("items__product").get(number=number)


def order_refundable_amount(*, order: Order) -> int:
    """Return what may still be refunded, in minor units.

    Stripe's refunded total (`refunded_amount`) and our refund rows overlap: a row is counted in the
    total once its webhook arrives, and a refund just requested is not in it yet. The larger of the
    two is what is already given back or on its way.
    """
    recorded = (
        order.refunds.filter(status__in=Refund.COMMITTED_STATUSES).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return max(order.amount_total - max(order.refunded_amount, recorded), 0)


def local_day_bounds(now):
    """Return the start and end of the current time zone's calendar day that contains `now`."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    end = timezone.make_aware(
        datetime.datetime.combine(start.date() + datetime.timedelta(days=1), datetime.time())
    )
    return start, end


def order_count_created_today(*, now) -> int:
    """Count the orders created today, not the checkouts that ended unpaid."""
    start, end = local_day_bounds(now)
    return Order.objects.not_cancelled().filter(created_at__gte=start, created_at__lt=end).count()


def order_revenue_by_currency(*, now, windows=REVENUE_WINDOWS_DAYS) -> list[dict]:
    """Return [{"currency": "eur", "amounts": {7: 500, 30: 1500}}, ...]: paid minus refunded minus
    what the cardholders' banks took back in disputes, in minor units.

    One aggregation serves every window: each sum keeps only the orders paid inside its window.
    The few disputed orders are then taken off one by one (their withdrawn amount sits in the
    dispute Stripe reported, orders.services.order_record_dispute).
    """
    net = F("amount_total") - F("refunded_amount")
    sums = {
        f"last_{days}": Sum(
            Case(
                When(paid_at__gte=now - datetime.timedelta(days=days), then=net),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        for days in windows
    }
    rows = (
        Order.objects.paid_since(now - datetime.timedelta(days=max(windows)))
        .values("currency")
        .annotate(**sums)
        .order_by("currency")
    )
    revenue = {row["currency"]: {days: row[f"last_{days}"] or 0 for days in windows} for row in rows}
    disputed = Order.objects.paid_since(now - datetime.timedelta(days=max(windows))).filter(
        **{f"metadata__{DISPUTE_KEY}__withdrawn__gt": 0}
    )
    for order in disputed.only("currency", "paid_at", "metadata"):
        for days in windows:
            if order.paid_at >= now - datetime.timedelta(days=days):
                revenue[order.currency][days] -= order.dispute["withdrawn"]
    return [{"currency": currency, "amounts": amounts} for currency, amounts in revenue.items()]


def order_count_awaiting_fulfilment() -> int:
    """Count the paid orders not shipped yet, packed or not."""
    return Order.objects.awaiting_fulfilment().count()


def order_get_by_number(*, number):
    """Return the order with this number and its items and their products (for the links to their
    downloads); raise Order.DoesNotExist otherwise."""
    return Order.objects.prefetch_related("items__product").get(number=number)


def order_item_get_for_download(*, number: str, item_id) -> OrderItem:
    """Return the line `item_id` of the paid order `number`, with its order and product, if its
    product has a file to download; raise OrderItem.DoesNotExist otherwise."""
    order = Order.objects.filter(number=number, payment_status__in=Order.REFUNDABLE_STATUSES).first()
    item = (
        OrderItem.objects.select_related("product").filter(pk=item_id, order=order).first()
        if order is not None
        else None
    )
    if item is None or item.product is None or not item.product.download:
        raise OrderItem.DoesNotExist
    item.order = order
    return item


def order_count_open_disputes() -> int:
    """Return how many orders have a dispute the bank has not decided yet."""
    return Order.objects.with_open_dispute().count()


def order_count_needing_attention() -> int:
    """Return how many orders carry notes for staff to look into."""
    return Order.objects.needing_attention().count()


def order_staff_notes(order: Order) -> list[str]:
    """Return the notes put on the order for staff to look into (orders.services.order_flag_for_staff)."""
    return list((order.metadata or {}).get(STAFF_ATTENTION_KEY) or [])

"""Reads behind the admin dashboard: today's orders, revenue, the fulfilment backlog, failed webhooks."""

import datetime

from django.db.models import Case, F, IntegerField, Sum, Value, When
from django.utils import timezone

from orders.models import FulfillmentStatus, Order, PaymentStatus

# Orders whose money was taken; what was refunded since is subtracted from revenue.
REVENUE_PAYMENT_STATUSES = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
# Paid orders that still have goods to send.
FULFILMENT_PAYMENT_STATUSES = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)
REVENUE_WINDOWS_DAYS = (7, 30)


def local_day_bounds(now):
    """Return the start and end of the current time zone's calendar day that contains `now`."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    end = timezone.make_aware(
        datetime.datetime.combine(start.date() + datetime.timedelta(days=1), datetime.time())
    )
    return start, end


def orders_created_today(*, now):
    start, end = local_day_bounds(now)
    return Order.objects.filter(created_at__gte=start, created_at__lt=end).count()


def paid_within(orders, *, days, now):
    """Filter orders paid in the last `days` days (refunded since included)."""
    return orders.filter(
        payment_status__in=REVENUE_PAYMENT_STATUSES, paid_at__gte=now - datetime.timedelta(days=days)
    )


def revenue_by_currency(*, now, windows=REVENUE_WINDOWS_DAYS):
    """Return [{"currency": "eur", "amounts": {7: 500, 30: 1500}}, ...]: paid minus refunded, in minor units.

    One aggregation serves every window: each sum keeps only the orders paid inside its window.
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
        paid_within(Order.objects.all(), days=max(windows), now=now)
        .values("currency")
        .annotate(**sums)
        .order_by("currency")
    )
    return [
        {"currency": row["currency"], "amounts": {days: row[f"last_{days}"] or 0 for days in windows}}
        for row in rows
    ]


def awaiting_fulfilment(orders):
    """Filter paid orders not shipped yet, packed (FULFILLED) or not."""
    return orders.filter(
        payment_status__in=FULFILMENT_PAYMENT_STATUSES,
        fulfillment_status__in=(FulfillmentStatus.UNFULFILLED, FulfillmentStatus.FULFILLED),
    )

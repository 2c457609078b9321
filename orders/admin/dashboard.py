"""The orders' panel on the admin index: orders today, revenue by currency, the fulfilment backlog,
open disputes, orders carrying notes for staff."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from orders.models import OrderStatus
from orders.selectors import (
    REVENUE_WINDOWS_DAYS,
    order_count_awaiting_fulfilment,
    order_count_created_today,
    order_count_needing_attention,
    order_count_open_disputes,
    order_revenue_by_currency,
)
from shop.admin import url_with_query
from shop.money import format_money


@admin.site.add_dashboard_panel
def orders_dashboard_panel(user) -> dict:
    """Return the orders' figures, each linked to the order list filtered as it counts."""
    if not user.has_perm("orders.view_order"):
        return {}
    now = timezone.now()
    today = timezone.localdate(now)
    orders_url = reverse("admin:orders_order_changelist")
    not_cancelled = ",".join(status for status in OrderStatus if status != OrderStatus.CANCELLED)
    return {
        "orders_today": {
            "count": order_count_created_today(now=now),
            "url": url_with_query(
                orders_url,
                created_at__year=today.year,
                created_at__month=today.month,
                created_at__day=today.day,
                status__in=not_cancelled,
            ),
        },
        "revenue_windows": REVENUE_WINDOWS_DAYS,
        "revenue": [
            {
                "currency": row["currency"],
                "cells": [
                    {
                        "amount": format_money(row["amounts"][days], row["currency"]),
                        "url": url_with_query(orders_url, paid_within=days, currency=row["currency"]),
                    }
                    for days in REVENUE_WINDOWS_DAYS
                ],
            }
            for row in order_revenue_by_currency(now=now)
        ],
        "unfulfilled": {
            "count": order_count_awaiting_fulfilment(),
            "url": url_with_query(orders_url, awaiting_fulfilment="yes"),
        },
        "open_disputes": {
            "count": order_count_open_disputes(),
            "url": url_with_query(orders_url, dispute="open"),
        },
        "needing_attention": {
            "count": order_count_needing_attention(),
            "url": url_with_query(orders_url, attention="yes"),
        },
    }

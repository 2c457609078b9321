"""The shop's admin site, its dashboard, and display helpers shared by the apps' admin modules."""

import json
from urllib.parse import urlencode

from allauth.decorators import rate_limit
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html

from accounts.forms import AdminLoginForm
from orders.models import Order
from payments.models import WebhookEvent
from shop import dashboard
from shop.money import format_money


class ShopAdminSite(admin.AdminSite):
    site_title = "Shop admin"
    index_title = "Run the shop"
    login_form = AdminLoginForm

    @property
    def site_header(self):
        return f"{settings.SITE_NAME} admin"

    @method_decorator(rate_limit(action="login"))
    def login(self, request, extra_context=None):
        """Sign in as on the shop's page: the same per-address and per-client limits apply."""
        return super().login(request, extra_context)

    def index(self, request, extra_context=None):
        """Show the dashboard above the list of models."""
        extra_context = {**(extra_context or {}), "dashboard": dashboard_context(request.user)}
        return super().index(request, extra_context)


def dashboard_context(user):
    """Return the dashboard figures this user may view, each with a link to its filtered list."""
    now = timezone.now()
    context = {}
    if user.has_perm("orders.view_order"):
        orders_url = reverse("admin:orders_order_changelist")
        today = timezone.localdate(now)
        context["orders_today"] = {
            "count": dashboard.orders_created_today(now=now),
            "url": _with_query(
                orders_url,
                created_at__year=today.year,
                created_at__month=today.month,
                created_at__day=today.day,
            ),
        }
        context["revenue_windows"] = dashboard.REVENUE_WINDOWS_DAYS
        context["revenue"] = [
            {
                "currency": row["currency"],
                "cells": [
                    {
                        "amount": format_money(row["amounts"][days], row["currency"]),
                        "url": _with_query(orders_url, paid_within=days, currency=row["currency"]),
                    }
                    for days in dashboard.REVENUE_WINDOWS_DAYS
                ],
            }
            for row in dashboard.revenue_by_currency(now=now)
        ]
        context["unfulfilled"] = {
            "count": dashboard.awaiting_fulfilment(Order.objects.all()).count(),
            "url": _with_query(orders_url, awaiting_fulfilment="yes"),
        }
    if user.has_perm("payments.view_webhookevent"):
        context["failed_webhook_events"] = {
            "count": WebhookEvent.objects.failed().count(),
            "url": _with_query(reverse("admin:payments_webhookevent_changelist"), failed="yes"),
        }
    return context


def _with_query(url, **params):
    return f"{url}?{urlencode(params)}"


def money_display(amount_field, description, *, currency_field="currency"):
    """Return a read-only admin column that shows a minor-unit amount as money ("$19.99")."""

    @admin.display(description=description, ordering=amount_field)
    def column(model_admin, obj):
        return format_money(getattr(obj, amount_field), getattr(obj, currency_field))

    return column


def pretty_json(value):
    """Render a JSON value read-only, indented, keys sorted."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return format_html('<pre class="shop-json">{}</pre>', text)

"""The shop's admin site, its dashboard, and display helpers shared by the apps' admin modules."""

import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from orders.models import Order
from payments.models import WebhookEvent
from shop import dashboard
from shop.money import format_money


class SelectionCheckedMixin:
    """Refuse an action whose selection holds a value that is not an id, before anything runs.

    Django filters `pk__in` with the raw values, and the ObjectId primary key raises on a malformed
    one, which would be a server error instead of a refusal.
    """

    def response_action(self, request, queryset, action_location=ActionLocation.CHANGE_LIST):
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                self.opts.pk.to_python(value)
            except ValidationError:
                self.message_user(
                    request,
                    f"Nothing was changed: “{Truncator(value).chars(40)}” in the selection is not the "
                    f"id of any {self.opts.verbose_name}. Reload the page and select again.",
                    messages.ERROR,
                )
                return None
        return super().response_action(request, queryset, action_location)


class ShopAdminSite(admin.AdminSite):
    site_title = "Shop admin"
    index_title = "Run the shop"

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every model admin, the libraries' included, gets the check (as Django itself subclasses
        # the admin class when given options).
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SelectionCheckedMixin):
            admin_class = type(
                admin_class.__name__,
                (SelectionCheckedMixin, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)

    @property
    def site_header(self):
        return f"{settings.SITE_NAME} admin"

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

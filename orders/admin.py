"""Order admin: orders are read from Stripe's figures; statuses move only through Order.set_status()."""

import secrets

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join

from orders.exceptions import (
    FulfilmentNotAllowed,
    InvalidStatusTransition,
    RefundAlreadyRequested,
    RefundAmountInvalid,
    RefundFailed,
    RefundNotAllowed,
)
from orders.forms import BulkShipmentForm, RefundForm
from orders.fulfilment import (
    order_mark_delivered,
    order_mark_fulfilled,
    order_mark_returned,
    order_mark_shipped,
    shipping_refusal,
)
from orders.models import Order, OrderItem, OrderStatusChange, Refund
from orders.refunds import order_refund_request, refundable_amount
from shop import dashboard
from shop.admin import money_display, pretty_json
from shop.money import format_money, to_major_units

# Staff actions run from the order list (on the selected orders) and from an order's own page.
BOTH_PAGES = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


class PaidWithinFilter(admin.SimpleListFilter):
    title = "paid in the last"
    parameter_name = "paid_within"

    def lookups(self, request, model_admin):
        return [("1", "24 hours"), ("7", "7 days"), ("30", "30 days")]

    def queryset(self, request, queryset):
        if self.value() in {"1", "7", "30"}:
            return dashboard.paid_within(queryset, days=int(self.value()), now=timezone.now())
        return queryset


class AwaitingFulfilmentFilter(admin.SimpleListFilter):
    title = "awaiting fulfilment"
    parameter_name = "awaiting_fulfilment"

    def lookups(self, request, model_admin):
        return [("yes", "Paid, not fulfilled")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return dashboard.awaiting_fulfilment(queryset)
        return queryset


class ReadOnlyInline(admin.TabularInline):
    """Order history: shown on the order page, changed only by the shop's services."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = [
        "product_name",
        "product",
        "price_type",
        "billing",
        "unit_price",
        "quantity",
        "line_total",
        "stripe_price_id",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")

    unit_price = money_display("unit_amount", "unit price")
    line_total = money_display("amount_total", "line total")

    @admin.display(description="billing")
    def billing(self, item):
        return _billing_label(item)


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["created_at", "refunded", "status", "reason", "stripe_refund_id", "requested_by", "last_error"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requested_by")

    refunded = money_display("amount", "amount")


class OrderStatusChangeInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = ["created_at", "field", "old_status", "new_status", "note"]
    readonly_fields = fields
    verbose_name_plural = "status history"


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "customer_email",
        "status",
        "payment_status",
        "fulfillment_status",
        "total",
        "refunded",
        "created_at",
    ]
    list_filter = [
        "status",
        "payment_status",
        "fulfillment_status",
        AwaitingFulfilmentFilter,
        PaidWithinFilter,
        "currency",
    ]
    date_hierarchy = "created_at"
    search_fields = [
        "number",
        "customer_email",
        "customer_name",
        "=stripe_checkout_session_id",
        "=stripe_payment_intent_id",
        "=stripe_customer_id",
        "=stripe_subscription_id",
    ]
    fieldsets = [
        (None, {"fields": ["number", "user", "customer_email", "customer_name", "created_at", "updated_at"]}),
        (
            "Status",
            {
                "fields": [
                    "status",
                    "payment_status",
                    "fulfillment_status",
                    "paid_at",
                    "shipped_at",
                    "carrier",
                    "tracking_number",
                ]
            },
        ),
        (
            "Amounts",
            {
                "fields": [
                    "subtotal",
                    "discount",
                    "tax",
                    "shipping",
                    "total",
                    "refunded",
                    "refundable",
                    "refund_reason",
                ]
            },
        ),
        (
            "Stripe",
            {
                "fields": [
                    "stripe_checkout_session_id",
                    "stripe_payment_intent_id",
                    "stripe_customer_id",
                    "stripe_subscription_id",
                    "stripe_dashboard",
                ]
            },
        ),
        ("Addresses", {"fields": ["billing_address_display", "shipping_name", "shipping_address"]}),
        ("Metadata", {"fields": ["metadata"]}),
    ]
    readonly_fields = [
        "number",
        "user",
        "customer_email",
        "created_at",
        "updated_at",
        "status",
        "payment_status",
        "fulfillment_status",
        "paid_at",
        "shipped_at",
        "carrier",
        "tracking_number",
        "subtotal",
        "discount",
        "tax",
        "shipping",
        "total",
        "refunded",
        "refundable",
        "refund_reason",
        "stripe_checkout_session_id",
        "stripe_payment_intent_id",
        "stripe_customer_id",
        "stripe_subscription_id",
        "stripe_dashboard",
        "billing_address_display",
    ]
    inlines = [OrderItemInline, RefundInline, OrderStatusChangeInline]
    actions = ["refund", "mark_fulfilled", "mark_shipped", "mark_delivered", "mark_returned"]

    subtotal = money_display("amount_subtotal", "subtotal")
    discount = money_display("amount_discount", "discount")
    tax = money_display("amount_tax", "tax")
    shipping = money_display("amount_shipping", "shipping")
    total = money_display("amount_total", "total")
    refunded = money_display("refunded_amount", "refunded")

    def has_add_permission(self, request):
        # Orders come from checkout only.
        return False

    def has_delete_permission(self, request, obj=None):
        # Orders are financial records: cancel or refund them instead.
        return False

    def has_refund_permission(self, request, obj=None):
        return request.user.has_perm("orders.refund_order")

    def has_fulfil_permission(self, request, obj=None):
        return request.user.has_perm("orders.fulfil_order")

    def get_urls(self):
        refund = path(
            "<path:object_id>/refund/",
            self.admin_site.admin_view(self.refund_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_refund",
        )
        return [refund, *super().get_urls()]

    # --- Refunds ---------------------------------------------------------------------------

    @admin.action(permissions=["refund"], description="Refund…", location=BOTH_PAGES)
    def refund(self, request, queryset):
        orders = list(queryset[:2])
        if len(orders) != 1:
            self.message_user(request, "Refund one order at a time: select a single order.", messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:orders_order_refund", args=[orders[0].pk]))

    def refund_view(self, request, object_id):
        """Ask how much to refund and why, like the delete confirmation page, then ask Stripe."""
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_refund_permission(request, order):
            raise PermissionDenied
        change_url = reverse("admin:orders_order_change", args=[order.pk])
        refundable = refundable_amount(order=order)
        form_options = {"currency": order.currency, "refundable": refundable}
        if request.method == "POST":
            form = RefundForm(request.POST, **form_options)
            if form.is_valid():
                try:
                    refund = order_refund_request(
                        order=order,
                        amount=form.cleaned_data["amount"],
                        reason=form.cleaned_data["reason"],
                        stripe_reason=form.cleaned_data["stripe_reason"],
                        request_token=form.cleaned_data["request_token"],
                        requested_by=request.user,
                    )
                except (RefundNotAllowed, RefundAmountInvalid) as error:
                    form.add_error(None, str(error))
                except RefundAlreadyRequested as error:
                    self.message_user(request, f"Order {order.number}: {error}", messages.WARNING)
                    return HttpResponseRedirect(change_url)
                except RefundFailed as error:
                    self.message_user(
                        request, f"{error} The failed attempt is in the refund history.", messages.ERROR
                    )
                    return HttpResponseRedirect(change_url)
                else:
                    amount = format_money(refund.amount, refund.currency)
                    self.message_user(
                        request,
                        f"Stripe accepted the refund of {amount} for order {order.number}. The order's "
                        "refunded amount and payment status change when Stripe confirms it.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(change_url)
        else:
            form = RefundForm(
                initial={
                    "amount": to_major_units(refundable, order.currency),
                    "request_token": secrets.token_urlsafe(24),
                },
                **form_options,
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund order {order.number}",
            "subtitle": None,
            "opts": self.opts,
            "order": order,
            "form": form,
            "can_refund": order.is_paid and bool(order.stripe_payment_intent_id) and refundable > 0,
            "refundable": format_money(refundable, order.currency),
            "total": format_money(order.amount_total, order.currency),
            "refunded": format_money(order.refunded_amount, order.currency),
            "refunds": [
                (refund, format_money(refund.amount, refund.currency))
                for refund in order.refunds.select_related("requested_by")
            ],
        }
        return TemplateResponse(request, "admin/orders/order/refund.html", context)

    # --- Fulfilment ------------------------------------------------------------------------

    @admin.action(
        permissions=["fulfil"],
        description="Mark as fulfilled",
        description_plural="Mark selected orders as fulfilled",
        location=BOTH_PAGES,
    )
    def mark_fulfilled(self, request, queryset):
        self._move_each(request, queryset, "fulfilled", order_mark_fulfilled)

    @admin.action(
        permissions=["fulfil"],
        description="Mark as shipped…",
        description_plural="Mark selected orders as shipped…",
        location=BOTH_PAGES,
    )
    def mark_shipped(self, request, queryset):
        """Ask for one carrier and a tracking number per order, then ship the orders that can ship."""
        orders = list(queryset)
        refusals = {order.pk: refusal for order in orders if (refusal := shipping_refusal(order))}
        shippable = [order for order in orders if order.pk not in refusals]
        if not shippable:
            for refusal in refusals.values():
                self.message_user(request, refusal, messages.ERROR)
            return None
        applying = "apply" in request.POST
        form = BulkShipmentForm(request.POST if applying else None, orders=shippable)
        if applying and form.is_valid():
            for refusal in refusals.values():
                self.message_user(request, refusal, messages.ERROR)
            carrier = form.cleaned_data["carrier"]
            details = {
                order.pk: {"carrier": carrier, "tracking_number": tracking}
                for order, tracking in form.shipments()
            }
            self._move_each(request, shippable, "shipped", order_mark_shipped, details=details)
            if request.POST.get("from_order_page"):
                return HttpResponseRedirect(reverse("admin:orders_order_change", args=[shippable[0].pk]))
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Ship orders" if len(shippable) > 1 else f"Ship order {shippable[0].number}",
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "refused": [(order, refusals[order.pk]) for order in orders if order.pk in refusals],
            "from_order_page": request.POST.get("from_order_page")
            or any(name.startswith(ActionLocation.CHANGE_FORM.value) for name in request.POST),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/orders/order/ship.html", context)

    @admin.action(
        permissions=["fulfil"],
        description="Mark as delivered",
        description_plural="Mark selected orders as delivered",
        location=BOTH_PAGES,
    )
    def mark_delivered(self, request, queryset):
        self._move_each(request, queryset, "delivered", order_mark_delivered)

    @admin.action(
        permissions=["fulfil"],
        description="Mark as returned",
        description_plural="Mark selected orders as returned",
        location=BOTH_PAGES,
    )
    def mark_returned(self, request, queryset):
        self._move_each(request, queryset, "returned", order_mark_returned)

    def _move_each(self, request, orders, label, move, *, details=None):
        """Apply `move` to each order (with its `details` by pk); refuse illegal moves with a message each."""
        moved, repeated = [], []
        for order in orders:
            extra = (details or {}).get(order.pk, {})
            try:
                changed = move(order=order, note=f"Marked {label} by {request.user.email}", **extra)
            except (InvalidStatusTransition, FulfilmentNotAllowed) as error:
                self.message_user(request, str(error), messages.ERROR)
                continue
            (moved if changed else repeated).append(order.number)
        if moved:
            self.message_user(request, f"Marked {label}: {', '.join(moved)}.", messages.SUCCESS)
        if repeated:
            self.message_user(request, f"Already {label}, unchanged: {', '.join(repeated)}.", messages.INFO)

    @admin.display(description="still refundable")
    def refundable(self, order):
        # Refunds requested and not confirmed by Stripe yet count too.
        return format_money(refundable_amount(order=order), order.currency)

    @admin.display(description="billing address")
    def billing_address_display(self, order):
        return pretty_json(order.billing_address)

    @admin.display(description="in the Stripe dashboard")
    def stripe_dashboard(self, order):
        if settings.STRIPE_USE_SIMULATOR:
            return "— (Stripe simulator)"
        links = [
            (label, stripe_dashboard_url(f"{kind}/{stripe_id}"))
            for label, kind, stripe_id in [
                ("payment", "payments", order.stripe_payment_intent_id),
                ("customer", "customers", order.stripe_customer_id),
                ("subscription", "subscriptions", order.stripe_subscription_id),
            ]
            if stripe_id
        ]
        if not links:
            return "—"
        return format_html_join(
            " · ",
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            ((url, label) for label, url in links),
        )


def stripe_dashboard_url(path):
    """Return the Stripe dashboard page for `path`, in test or live mode following the secret key."""
    live = settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))
    return f"https://dashboard.stripe.com/{'' if live else 'test/'}{path}"


def _billing_label(item):
    if not item.recurring_interval:
        return "one-time"
    if item.recurring_interval_count == 1:
        return f"every {item.recurring_interval}"
    return f"every {item.recurring_interval_count} {item.recurring_interval}s"


class HistoryAdmin(admin.ModelAdmin):
    """Rows the shop's services write; staff read them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrderItem)
class OrderItemAdmin(HistoryAdmin):
    list_display = [
        "product_name",
        "order",
        "quantity",
        "unit_price",
        "line_total",
        "price_type",
        "created_at",
    ]
    list_select_related = ["order"]
    list_filter = ["price_type", "currency"]
    search_fields = ["product_name", "order__number", "order__customer_email", "=stripe_price_id"]
    fields = [
        "order",
        "product_name",
        "product",
        "price",
        "price_type",
        "billing",
        "trial_period_days",
        "unit_price",
        "quantity",
        "line_total",
        "stripe_price_id",
        "created_at",
    ]
    readonly_fields = fields

    unit_price = money_display("unit_amount", "unit price")
    line_total = money_display("amount_total", "line total")

    @admin.display(description="billing")
    def billing(self, item):
        return _billing_label(item)


@admin.register(OrderStatusChange)
class OrderStatusChangeAdmin(HistoryAdmin):
    list_display = ["order", "field", "old_status", "new_status", "note", "created_at"]
    list_select_related = ["order"]
    list_filter = ["field", "new_status"]
    search_fields = ["order__number", "note"]
    date_hierarchy = "created_at"


@admin.register(Refund)
class RefundAdmin(HistoryAdmin):
    list_display = ["order", "refunded", "status", "reason", "stripe_refund_id", "requested_by", "created_at"]
    list_select_related = ["order", "requested_by"]
    list_filter = ["status", "currency"]
    search_fields = ["order__number", "order__customer_email", "=stripe_refund_id"]
    date_hierarchy = "created_at"
    fields = [
        "order",
        "refunded",
        "status",
        "reason",
        "stripe_refund_id",
        "idempotency_key",
        "requested_by",
        "last_error",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    refunded = money_display("amount", "amount")

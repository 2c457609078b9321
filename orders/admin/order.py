"""The order list and page: filters, read-only history inlines, amounts and Stripe links."""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from inventory.selectors import order_units_to_put_back
from orders.admin.display import (
    RefundReasonDisplayMixin,
    StatusChangeDisplayMixin,
    address_html,
    refund_reason_label,
)
from orders.admin.refunds import OrderRefundViews
from orders.admin.returns import OrderReturnViews
from orders.admin.shipping import OrderShippingActions
from orders.fulfilment import shipping_refusal
from orders.models import Order, OrderItem, OrderStatusChange, Refund
from orders.selectors import order_refundable_amount, order_staff_notes
from orders.services import order_staff_notes_clear
from shop.admin import date_time_display, money_display
from shop.money import format_money


class PaidWithinFilter(admin.SimpleListFilter):
    title = "paid in the last"
    parameter_name = "paid_within"

    def lookups(self, request, model_admin):
        return [("1", "24 hours"), ("7", "7 days"), ("30", "30 days")]

    def queryset(self, request, queryset):
        if self.value() in {"1", "7", "30"}:
            return queryset.paid_since(timezone.now() - datetime.timedelta(days=int(self.value())))
        return queryset


class AwaitingFulfilmentFilter(admin.SimpleListFilter):
    title = "awaiting fulfilment"
    parameter_name = "awaiting_fulfilment"

    def lookups(self, request, model_admin):
        return [("yes", "Paid, not shipped yet")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.awaiting_fulfilment()
        return queryset


class DisputeFilter(admin.SimpleListFilter):
    title = "dispute"
    parameter_name = "dispute"

    def lookups(self, request, model_admin):
        return [("open", "Open (awaiting the bank)"), ("lost", "Lost"), ("won", "Won")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.with_open_dispute()
        if self.value() in {"lost", "won"}:
            return queryset.with_dispute(self.value())
        return queryset


class AttentionFilter(admin.SimpleListFilter):
    title = "needs your attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", "Notes for staff to look into")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.needing_attention()
        return queryset


class OrderAdminForm(forms.ModelForm):
    """What staff change on an order: which of its notes for staff they have looked into."""

    handled_notes = forms.MultipleChoiceField(
        label="Notes for staff",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Order
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handled_notes"].choices = [(note, note) for note in order_staff_notes(self.instance)]
        order = self.instance
        # Stripe fills the name in from the payer's details, which some ways to pay leave out: the
        # parcel's name is then the best staff have. Shown as the field's value, kept once they save.
        self.suggests_customer_name = (
            "customer_name" in self.fields and not order.customer_name and bool(order.shipping_name)
        )
        if self.suggests_customer_name:
            self.initial["customer_name"] = order.shipping_name
            name_field = self.fields["customer_name"]
            name_field.help_text = "From the shipping address: Stripe gave no name for the payer."


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
        "item",
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
        # The order too: a line's billing reads whether its order is a plan change.
        return super().get_queryset(request).select_related("product", "order")

    unit_price = money_display("unit_amount", "unit price")
    line_total = money_display("amount_total", "line total")

    @admin.display(description="billing")
    def billing(self, item):
        return item.billing_label or "one-time"

    @admin.display(description="item")
    def item(self, item):
        # The product and the variant bought, as the shopper's order page names them.
        return item.name


class RefundInline(RefundReasonDisplayMixin, ReadOnlyInline):
    model = Refund
    fields = [
        "created_at",
        "refunded",
        "status",
        "reason_label",
        "stripe_refund_id",
        "requested_by",
        "last_error",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requested_by")

    refunded = money_display("amount", "amount")


class OrderStatusChangeInline(StatusChangeDisplayMixin, ReadOnlyInline):
    model = OrderStatusChange
    fields = ["created_at", "field_label", "move", "note"]
    readonly_fields = fields
    verbose_name_plural = "status history"


@admin.register(Order)
class OrderAdmin(OrderRefundViews, OrderReturnViews, OrderShippingActions, admin.ModelAdmin):
    # Five short columns fit a 1280 px window beside the sidebars: the customer shows under the
    # number and refunds under the total (templates/admin/orders/order/change_list.html styles
    # them); the order's own status follows from payment and fulfilment, and is a filter.
    list_display = [
        "order_number",
        "payment",
        "fulfilment",
        "total_and_refunded",
        "created",
    ]
    # The site's order page is its customer's alone (orders:detail): staff read the order here.
    view_on_site = False
    list_filter = [
        "status",
        "payment_status",
        "fulfillment_status",
        AwaitingFulfilmentFilter,
        PaidWithinFilter,
        DisputeFilter,
        AttentionFilter,
        "currency",
    ]
    date_hierarchy = "created_at"
    search_fields = [
        "number",
        "customer_email",
        "customer_name",
        "=stripe_checkout_session_id",
        "=stripe_payment_intent_id",
        "=stripe_invoice_id",
        "=stripe_customer_id",
        "=stripe_subscription_id",
    ]
    # The money first, beside the buttons that move it (templates/admin/orders/order/change_form.html);
    # Stripe's ids folded away. Notes for staff show only when there are some (get_fieldsets).
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "renewal_of_display",
                    "user",
                    "customer_email",
                    "customer_name",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
        (
            "Amounts",
            {
                "fields": [
                    "subtotal",
                    "credits_display",
                    "discount",
                    "tax",
                    "shipping",
                    "shipping_rate_name",
                    "total",
                    "payment_schedule_display",
                    "refunded",
                    "refundable",
                    "refund_reason_display",
                ]
            },
        ),
        (
            "Status",
            {
                "fields": [
                    "status",
                    "payment_status",
                    "fulfilment",
                    "paid_at",
                    "shipped_at",
                    "carrier",
                    "tracking_number",
                    "dispute_display",
                ]
            },
        ),
        ("Addresses", {"fields": ["shipping_address_display", "billing_address_display"]}),
        (
            "Stripe",
            {
                "classes": ["collapse"],
                "fields": [
                    "stripe_checkout_session_id",
                    "stripe_payment_intent_id",
                    "stripe_invoice_id",
                    "stripe_customer_id",
                    "stripe_subscription_id",
                    "stripe_dashboard",
                ],
            },
        ),
    ]
    readonly_fields = [
        "number",
        "renewal_of_display",
        "user",
        "customer_email",
        "created_at",
        "updated_at",
        "status",
        "payment_status",
        "fulfilment",
        "paid_at",
        "shipped_at",
        "carrier",
        "tracking_number",
        "subtotal",
        "credits_display",
        "discount",
        "tax",
        "shipping",
        "shipping_rate_name",
        "total",
        "payment_schedule_display",
        "refunded",
        "refundable",
        "refund_reason_display",
        "stripe_checkout_session_id",
        "stripe_payment_intent_id",
        "stripe_invoice_id",
        "stripe_customer_id",
        "stripe_subscription_id",
        "stripe_dashboard",
        "shipping_address_display",
        "billing_address_display",
        "dispute_display",
    ]
    form = OrderAdminForm
    inlines = [OrderItemInline, RefundInline, OrderStatusChangeInline]
    actions = ["refund", "mark_fulfilled", "mark_shipped", "mark_delivered", "mark_returned"]

    subtotal = money_display("amount_subtotal", "subtotal")
    tax = money_display("amount_tax", "tax")
    shipping = money_display("amount_shipping", "shipping")
    total = money_display("amount_total", "total")
    refunded = money_display("refunded_amount", "refunded")
    created = date_time_display("created_at", "created")

    @admin.display(description="discount")
    def discount(self, order):
        amount = format_money(order.amount_discount, order.currency)
        return f"{amount} (code {order.discount_code})" if order.discount_code else amount

    @admin.display(description="credit for unused time")
    def credits_display(self, order):
        credits = [f"{c['description']}: {format_money(c['amount'], order.currency)}" for c in order.credits]
        return "; ".join(credits) or "—"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and order_staff_notes(obj):
            attention = {
                "fields": ["handled_notes"],
                "description": "Tick each note you have looked into, then save: it is taken off the order.",
            }
            return [("Needs your attention", attention), *fieldsets]
        return fieldsets

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, unquote(object_id))
        extra_context = {**(extra_context or {}), "order_actions": self._order_actions(request, order)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _order_actions(self, request, order) -> list[tuple[str, str]]:
        """Return (label, url) of the steps staff can take on the order now: refund, ship, put back."""
        if order is None:
            return []
        actions = []
        can_refund = (
            order.is_paid and order.stripe_payment_intent_id and order_refundable_amount(order=order) > 0
        )
        if self.has_refund_permission(request, order) and can_refund:
            actions.append(("Refund…", reverse("admin:orders_order_refund", args=[order.pk])))
        if self.has_fulfil_permission(request, order) and shipping_refusal(order) is None:
            actions.append(("Ship…", reverse("admin:orders_order_ship", args=[order.pk])))
        if self.has_fulfil_permission(request, order) and order_units_to_put_back(order_number=order.number):
            actions.append(("Put back in stock…", reverse("admin:orders_order_restock", args=[order.pk])))
        return actions

    def save_model(self, request, obj, form, change):
        # Only what staff may change is written: the order's figures and statuses come from Stripe
        # and the services, which may have moved them since the page was read.
        if "customer_name" in form.changed_data or form.suggests_customer_name:
            obj.save(update_fields=["customer_name", "updated_at"])
        handled = form.cleaned_data.get("handled_notes") or []
        if handled:
            order_staff_notes_clear(order=obj, notes=handled)

    def has_add_permission(self, request):
        # Orders come from checkout only.
        return False

    def has_delete_permission(self, request, obj=None):
        # Orders are financial records: cancel or refund them instead.
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("renewal_of")

    @admin.display(description="order", ordering="number")
    def order_number(self, order):
        renewal = f"{_renewal_kind(order)} of {order.renewal_of.number}" if order.is_renewal else ""
        return format_html(
            '<span class="shop-order-number">{}</span><span class="shop-customer">{}</span>{}',
            order.number,
            order.customer_email,
            format_html('<span class="shop-customer">{}</span>', renewal) if renewal else "",
        )

    @admin.display(description="subscription")
    def renewal_of_display(self, order):
        parts = []
        if order.is_renewal:
            first = order.renewal_of
            url = reverse("admin:orders_order_change", args=[first.pk])
            parts.append(format_html('{} of <a href="{}">{}</a>', _renewal_kind(order), url, first.number))
        if subscription := order.subscription:
            url = reverse("admin:subscriptions_subscription_change", args=[subscription.pk])
            parts.append(
                format_html(
                    '<a href="{}">{}</a> ({})',
                    url,
                    subscription.stripe_subscription_id,
                    subscription.get_status_display(),
                )
            )
        return format_html_join("; ", "{}", ((part,) for part in parts)) if parts else "—"

    @admin.display(description="payment", ordering="payment_status")
    def payment(self, order):
        return order.get_payment_status_display()

    @admin.display(description="fulfilment", ordering="fulfillment_status")
    def fulfilment(self, order):
        return order.get_fulfilment_display()

    @admin.display(description="total", ordering="amount_total")
    def total_and_refunded(self, order):
        total = format_money(order.amount_total, order.currency)
        if not order.refunded_amount:
            return total
        refunded = format_money(order.refunded_amount, order.currency)
        return format_html('{}<span class="shop-refunded">{} refunded</span>', total, refunded)

    @admin.display(description="shipping address")
    def shipping_address_display(self, order):
        return address_html(order.shipping_address, name=order.shipping_name)

    @admin.display(description="billing address")
    def billing_address_display(self, order):
        return address_html(order.billing_address, name=order.customer_name)

    @admin.display(description="payment schedule")
    def payment_schedule_display(self, order):
        return order.payment_schedule().summary() or "one payment, nothing recurs"

    @admin.display(description="refund reason")
    def refund_reason_display(self, order):
        return refund_reason_label(order.refund_reason) or "—"

    @admin.display(description="dispute")
    def dispute_display(self, order):
        dispute = order.dispute
        if not dispute:
            return "—"
        status = dispute["status"]
        amount = format_money(dispute["amount"], dispute["currency"])
        reason = dispute["reason"] or "unknown"
        text = f"{status.replace('_', ' ').capitalize()}: {amount} disputed as {reason}"
        if status in Order.OPEN_DISPUTE_STATUSES and dispute["due_by"]:
            due_by = datetime.datetime.fromisoformat(dispute["due_by"])
            text += f"; evidence due by {date_format(timezone.localtime(due_by), 'DATETIME_FORMAT')}"
        elif status == "lost":
            text += "; the cardholder's bank kept the money"
        elif status == "won":
            text += "; the money came back"
        return f"{text} ({dispute['id']})."

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


def _renewal_kind(order) -> str:
    return "Plan change" if order.is_plan_change else "Renewal"

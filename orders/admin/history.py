"""Rows the shop's services write, for staff to read: order items, status changes, refunds."""

from django.contrib import admin

from orders.admin.display import STATUS_FIELDS, RefundReasonDisplayMixin, StatusChangeDisplayMixin
from orders.models import OrderItem, OrderStatusChange, Refund
from shop.admin import ReadOnlyAdmin, money_display


@admin.register(OrderItem)
class OrderItemAdmin(ReadOnlyAdmin):
    list_display = [
        "item",
        "order",
        "quantity",
        "unit_price",
        "line_total",
        "price_type",
        "created_at",
    ]
    list_select_related = ["order"]
    list_filter = ["price_type", "currency"]
    search_fields = [
        "product_name",
        "variant_name",
        "order__number",
        "order__customer_email",
        "=stripe_price_id",
    ]
    fields = [
        "order",
        "product_name",
        "variant_name",
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
        return item.billing_label or "one-time"

    @admin.display(description="item", ordering="product_name")
    def item(self, item):
        return item.name


class StatusFieldFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "field"

    def lookups(self, request, model_admin):
        return [(field, label) for field, (label, _) in STATUS_FIELDS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(field=self.value()) if self.value() else queryset


@admin.register(OrderStatusChange)
class OrderStatusChangeAdmin(StatusChangeDisplayMixin, ReadOnlyAdmin):
    list_display = ["order", "field_label", "move", "note", "created_at"]
    list_select_related = ["order"]
    list_filter = [StatusFieldFilter]
    fields = ["order", "field_label", "move", "note", "created_at"]
    readonly_fields = fields
    search_fields = ["order__number", "note"]
    date_hierarchy = "created_at"


@admin.register(Refund)
class RefundAdmin(RefundReasonDisplayMixin, ReadOnlyAdmin):
    list_display = [
        "order",
        "refunded",
        "status",
        "reason_label",
        "stripe_refund_id",
        "requested_by",
        "created_at",
    ]
    list_select_related = ["order", "requested_by"]
    list_filter = ["status", "currency"]
    search_fields = ["order__number", "order__customer_email", "=stripe_refund_id"]
    date_hierarchy = "created_at"
    fields = [
        "order",
        "refunded",
        "status",
        "reason_label",
        "stripe_refund_id",
        "idempotency_key",
        "requested_by",
        "last_error",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    refunded = money_display("amount", "amount")

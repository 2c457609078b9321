"""Stock in admin: each variant's counters and history, adjustments with a reason, the low-stock
filter, a CSV export, and the dashboard's low-stock figure."""

import csv

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product, Variant
from inventory.exceptions import NotEnoughStock
from inventory.models import BackInStockRequest, StockAdjustment, StockHold
from inventory.selectors import variant_count_low_stock, variants_low_stock
from inventory.services import stock_adjust
from shop.admin import ReadOnlyAdmin, url_with_query

STOCK_CSV_COLUMNS = [
    "sku",
    "product",
    "options",
    "tracked",
    "on_hand",
    "held",
    "available",
    "sold",
    "received",
]


class StockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("low", f"Low ({settings.STOCK_LOW_THRESHOLD} or fewer available)"), ("out", "Sold out")]

    def queryset(self, request, queryset):
        if self.value() == "low":
            return variants_low_stock(queryset)
        if self.value() == "out":
            return queryset.filter(track_stock=True, available__lte=0)
        return queryset


class VariantAdminForm(forms.ModelForm):
    adjust_by = forms.IntegerField(
        label="Change on hand by",
        required=False,
        help_text="Units received (positive) or taken away (negative): a delivery, a count, damage.",
    )
    adjust_reason = forms.CharField(
        label="Reason", max_length=255, required=False, help_text="Kept in the stock history."
    )

    class Meta:
        model = Variant
        fields = ["product", "option_values", "sku", "position", "track_stock", "sell_when_out"]

    def clean(self):
        cleaned = super().clean()
        quantity, reason = cleaned.get("adjust_by"), (cleaned.get("adjust_reason") or "").strip()
        if quantity and not reason:
            self.add_error("adjust_reason", "Say why the stock changes: it is kept in the history.")
        if quantity and quantity < 0 and self.instance.pk and self.instance.available < -quantity:
            available, held = max(self.instance.available, 0), self.instance.held
            self.add_error(
                "adjust_by",
                f"Only {available} can be taken away: {held} more are held for checkouts in progress."
                if held
                else f"Only {available} are in stock to take away.",
            )
        return cleaned


class StockAdjustmentInline(admin.TabularInline):
    model = StockAdjustment
    extra = 0
    fields = ["created_at", "quantity", "on_hand_after", "reason", "user", "order"]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    form = VariantAdminForm
    list_display = ["sku", "product", "label", "track_stock", "on_hand", "held", "available", "sold"]
    list_select_related = ["product"]
    list_filter = [StockFilter, "track_stock", "sell_when_out"]
    search_fields = ["sku", "product__name"]
    autocomplete_fields = ["product"]
    readonly_fields = ["on_hand", "held", "available", "sold", "received"]
    fieldsets = [
        (None, {"fields": ["product", "option_values", "sku", "position", "track_stock", "sell_when_out"]}),
        ("Stock", {"fields": ["on_hand", "held", "available", "sold", "received"]}),
        ("Adjust the stock", {"fields": ["adjust_by", "adjust_reason"]}),
    ]
    inlines = [StockAdjustmentInline]
    actions = ["export_stock_csv"]

    @admin.display(description="options")
    def label(self, obj):
        return obj.label or "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        quantity = form.cleaned_data.get("adjust_by")
        if quantity:
            try:
                stock_adjust(
                    variant=obj,
                    quantity=quantity,
                    reason=form.cleaned_data["adjust_reason"],
                    user=request.user,
                )
            except NotEnoughStock as error:
                self.message_user(request, f"Stock not changed: {error}", messages.ERROR)

    @admin.action(permissions=["view"], description="Export stock of selected variants as CSV")
    def export_stock_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="stock-{stamp}.csv"'
        writer = csv.writer(response)
        writer.writerow(STOCK_CSV_COLUMNS)
        variants = list(queryset.order_by("sku"))
        # Two reads, not a join per row.
        products = Product.objects.in_bulk({variant.product_id for variant in variants})
        for variant in variants:
            writer.writerow(
                [
                    variant.sku,
                    products[variant.product_id].name,
                    variant.label,
                    "yes" if variant.track_stock else "no",
                    variant.on_hand,
                    variant.held,
                    variant.available,
                    variant.sold,
                    variant.received,
                ]
            )
        return response


@admin.register(StockAdjustment)
class StockAdjustmentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "variant", "quantity", "on_hand_after", "reason", "user", "order"]
    list_select_related = ["variant__product", "user", "order"]
    search_fields = ["variant__sku", "reason"]


@admin.register(StockHold)
class StockHoldAdmin(ReadOnlyAdmin):
    list_display = ["order_number", "variant", "quantity", "state", "expires_at", "restocked", "updated_at"]
    list_select_related = ["variant__product"]
    list_filter = ["state"]
    search_fields = ["=order_number", "variant__sku"]


@admin.register(BackInStockRequest)
class BackInStockRequestAdmin(ReadOnlyAdmin):
    list_display = ["email", "variant", "created_at", "notified_at"]
    list_select_related = ["variant__product"]
    search_fields = ["email", "variant__sku"]


@admin.site.add_dashboard_panel
def stock_dashboard_panel(user) -> dict:
    """Return the number of tracked variants low on stock, linked to the variant list so filtered."""
    if not user.has_perm("catalog.view_variant"):
        return {}
    return {
        "low_stock": {
            "count": variant_count_low_stock(),
            "url": url_with_query(reverse("admin:catalog_variant_changelist"), stock="low"),
        }
    }

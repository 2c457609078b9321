"""Catalog admin: staff see every product and price, soft-deleted ones included, and can restore them."""

from django.contrib import admin, messages
from django.db.models import Prefetch

from catalog.models import Price, Product


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class SoftDeleteAdminMixin:
    """Soft-delete and restore actions; the changelist lists deleted rows (Model.objects includes them)."""

    @admin.action(permissions=["change"], description="Soft-delete selected %(verbose_name_plural)s")
    def soft_delete(self, request, queryset):
        count = queryset.soft_delete()
        self.message_user(
            request,
            f"Soft-deleted {count} {self._name(count)}: hidden from the shop, restorable here.",
            messages.SUCCESS,
        )

    @admin.action(permissions=["change"], description="Restore selected %(verbose_name_plural)s")
    def restore(self, request, queryset):
        count = queryset.restore()
        self.message_user(request, f"Restored {count} {self._name(count)}.", messages.SUCCESS)

    def _name(self, count):
        opts = self.model._meta
        return opts.verbose_name if count == 1 else opts.verbose_name_plural

    @admin.display(boolean=True, description="deleted", ordering="deleted_at")
    def is_deleted(self, obj):
        return obj.is_deleted


class PriceInline(admin.TabularInline):
    model = Price
    extra = 0
    show_change_link = True
    fields = [
        "nickname",
        "type",
        "unit_amount",
        "currency",
        "amount",
        "recurring_interval",
        "recurring_interval_count",
        "trial_period_days",
        "active",
        "stripe_price_id",
        "deleted_at",
    ]
    readonly_fields = ["amount", "stripe_price_id", "deleted_at"]

    @admin.display(description="amount")
    def amount(self, obj):
        return obj.label if obj.pk else ""


@admin.register(Product)
class ProductAdmin(SoftDeleteAdminMixin, admin.ModelAdmin):
    list_display = ["name", "price_labels", "active", "is_deleted", "stripe_product_id", "created_at"]
    list_filter = ["active", DeletedFilter]
    search_fields = ["name", "slug", "=stripe_product_id"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["stripe_product_id", "deleted_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "images", "active", "metadata"]}),
        ("Stripe and history", {"fields": ["stripe_product_id", "deleted_at", "created_at", "updated_at"]}),
    ]
    inlines = [PriceInline]
    actions = ["soft_delete", "restore"]

    def get_queryset(self, request):
        # One query for every price of the page, instead of one per product.
        prices = Prefetch("prices", queryset=Price.objects.order_by("unit_amount"))
        return super().get_queryset(request).prefetch_related(prices)

    @admin.display(description="prices")
    def price_labels(self, obj):
        return ", ".join(price.label for price in obj.prices.all() if not price.is_deleted) or "—"


@admin.register(Price)
class PriceAdmin(SoftDeleteAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "amount", "type", "active", "is_deleted", "stripe_price_id", "created_at"]
    list_select_related = ["product"]
    list_filter = ["type", "active", DeletedFilter, "currency", "recurring_interval"]
    search_fields = ["product__name", "nickname", "=stripe_price_id"]
    autocomplete_fields = ["product"]
    readonly_fields = ["amount", "stripe_price_id", "deleted_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["product", "nickname", "type", "unit_amount", "currency", "amount", "active"]}),
        ("Recurring", {"fields": ["recurring_interval", "recurring_interval_count", "trial_period_days"]}),
        ("Metadata", {"fields": ["metadata"]}),
        ("Stripe and history", {"fields": ["stripe_price_id", "deleted_at", "created_at", "updated_at"]}),
    ]
    actions = ["soft_delete", "restore"]

    @admin.display(description="amount", ordering="unit_amount")
    def amount(self, obj):
        return obj.label if obj.pk else ""

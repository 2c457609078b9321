"""Catalog admin: staff see every product and price, soft-deleted ones included, and can restore them.

Every save, soft-delete, restore and delete is pushed to Stripe (through shop.payment_gateway). When Stripe
refuses or cannot be reached, the row is saved all the same: the page says so, and the row shows
"not in sync with Stripe" (and the error, in its metadata) until a later save pushes it.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.html import format_html
from sorl.thumbnail import get_thumbnail

from catalog.exceptions import StripeSyncFailed
from catalog.forms import CouponAdminForm, PriceAdminForm, ShippingRateAdminForm
from catalog.models import (
    SYNC_ERROR_KEY,
    Collection,
    CollectionProduct,
    Coupon,
    Price,
    Product,
    ProductImage,
    PromotionCode,
    ShippingRate,
    Variant,
)
from shop.admin import SplitDateTimeWithoutWarningReference, date_time_display
from shop.money import format_money
from shop.payment_gateway import payment_gateway


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
    """Soft-delete and restore actions; the changelist lists deleted rows (Model.objects includes them).

    The rows Stripe has are archived or brought back there too; the others are created in Stripe at
    their next save (or checkout), since a deleted row has nothing to sell.
    """

    @admin.action(permissions=["change"], description="Soft-delete selected %(verbose_name_plural)s")
    def soft_delete(self, request, queryset):
        in_stripe = self._in_stripe(queryset.filter(deleted_at__isnull=True))
        count = queryset.soft_delete()
        self.message_user(
            request,
            f"Soft-deleted {count} {self._name(count)}: hidden from the shop, restorable here.",
            messages.SUCCESS,
        )
        for row in self.model.objects.filter(pk__in=in_stripe):
            self.push_to_stripe(request, row)

    @admin.action(permissions=["change"], description="Restore selected %(verbose_name_plural)s")
    def restore(self, request, queryset):
        in_stripe = self._in_stripe(queryset.filter(deleted_at__isnull=False))
        count = queryset.restore()
        self.message_user(request, f"Restored {count} {self._name(count)}.", messages.SUCCESS)
        for row in self.model.objects.filter(pk__in=in_stripe):
            self.push_to_stripe(request, row)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._archive_deleted(request, [obj])

    def delete_queryset(self, request, queryset):
        doomed = list(queryset.filter(**{f"{self.stripe_id_field}__isnull": False}))
        super().delete_queryset(request, queryset)
        self._archive_deleted(request, doomed)

    def _archive_deleted(self, request, rows):
        for row in rows:
            if getattr(row, self.stripe_id_field):
                # Gone from the database: pushed as deleted, which archives it in Stripe.
                row.deleted_at = row.deleted_at or timezone.now()
                self.push_to_stripe(request, row)

    def _in_stripe(self, queryset):
        return list(
            queryset.filter(**{f"{self.stripe_id_field}__isnull": False}).values_list("pk", flat=True)
        )

    @admin.display(boolean=True, description="in sync with Stripe")
    def in_sync_with_stripe(self, obj):
        if SYNC_ERROR_KEY in (obj.metadata or {}):
            return False
        return True if getattr(obj, self.stripe_id_field) else None

    @admin.display(description="Stripe sync")
    def stripe_sync_status(self, obj):
        error = (obj.metadata or {}).get(SYNC_ERROR_KEY)
        if error:
            return f"Not in sync: {error.get('message')} (at {error.get('at')}). Save again to retry."
        if getattr(obj, self.stripe_id_field):
            return "In sync"
        return "Not in Stripe yet"

    def _name(self, count):
        opts = self.model._meta
        return opts.verbose_name if count == 1 else opts.verbose_name_plural

    @admin.display(boolean=True, description="deleted", ordering="deleted_at")
    def is_deleted(self, obj):
        return obj.is_deleted


# Read-only facts of a row that exists: what the add form leaves out rather than show blank or "now".
HISTORY_FIELDS = frozenset(
    {
        "stripe_product_id",
        "stripe_price_id",
        "stripe_shipping_rate_id",
        "stripe_sync_status",
        "shoppers_see",
        "deleted_at",
        "created_at",
        "updated_at",
    }
)


class AddFormWithoutHistoryMixin:
    """Leave the Stripe ids, sync status and dates out of the add form, where nothing exists yet."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        kept = []
        for name, options in fieldsets:
            fields = [field for field in options["fields"] if field not in HISTORY_FIELDS]
            if fields:
                kept.append((name, {**options, "fields": fields}))
        return kept


class ProductImageInline(admin.TabularInline):
    """The product's pictures, uploaded to the default storage; the lowest position is the main one."""

    model = ProductImage
    extra = 1
    fields = ["preview", "image", "alt_text", "variant", "position"]
    readonly_fields = ["preview"]
    ordering = ["position", "pk"]

    def get_formset(self, request, obj=None, **kwargs):
        self._product = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "variant":
            # Variants are made and changed in their own table below, not from a picture's row.
            widget = field.widget
            widget.can_add_related = widget.can_change_related = widget.can_view_related = False
        return field

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "variant":
            # Only the product's combinations of options, by their options (narrow, no query each);
            # empty: a picture of the whole product.
            product = getattr(self, "_product", None)
            kwargs["queryset"] = (
                Variant.objects.filter(product=product).exclude(option_key="").order_by("position", "pk")
                if product
                else Variant.objects.none()
            )
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda variant: variant.label
            field.empty_label = "Whole product"
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="picture")
    def preview(self, obj):
        if not obj.pk or not obj.image:
            return ""
        thumbnail = get_thumbnail(obj.image, "80x80", crop="center")
        return format_html(
            '<img src="{}" alt="" width="{}" height="{}">', thumbnail.url, thumbnail.width, thumbnail.height
        )


class VariantInline(admin.TabularInline):
    """The items the product's prices sell, one per combination of options, with their stock; the
    stock is changed (with a reason) on each variant's own page."""

    model = Variant
    extra = 0
    show_change_link = True
    fields = [
        "option_values",
        "sku",
        "position",
        "track_stock",
        "sell_when_out",
        "on_hand",
        "held",
        "available",
    ]
    readonly_fields = ["on_hand", "held", "available"]
    ordering = ["position", "pk"]
    # Option values are a line of JSON ({"Size": "M", "Colour": "Navy"}): one row keeps every column
    # of the stock table in a 1280 px window.
    formfield_overrides = {
        models.JSONField: {"widget": forms.Textarea(attrs={"rows": 1, "cols": 26})},
        models.CharField: {"widget": forms.TextInput(attrs={"size": 22})},
    }


class CollectionProductInline(admin.TabularInline):
    model = CollectionProduct
    extra = 0
    fields = ["collection", "position"]
    verbose_name = "collection"
    verbose_name_plural = "collections"


class PriceInline(admin.StackedInline):
    """The product's prices, one block each: every field and its error in view at 1280 px."""

    model = Price
    form = PriceAdminForm
    extra = 0
    show_change_link = True
    fields = [
        ("variant", "nickname", "type", "active"),
        ("unit_amount", "currency"),
        ("recurring_interval", "recurring_interval_count", "trial_period_days"),
        ("shoppers_see", "confirm_live"),
        ("stripe_price_id", "deleted_at"),
    ]
    readonly_fields = ["shoppers_see", "stripe_price_id", "deleted_at"]

    @admin.display(description="shoppers see")
    def shoppers_see(self, obj):
        return obj.label if obj.pk else ""

    def get_formset(self, request, obj=None, **kwargs):
        self._product = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "variant":
            # Only the items of this product; empty: its default item (a product with no options).
            product = getattr(self, "_product", None)
            kwargs["queryset"] = (
                Variant.objects.filter(product=product) if product else Variant.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Product)
class ProductAdmin(AddFormWithoutHistoryMixin, SoftDeleteAdminMixin, admin.ModelAdmin):
    # Columns that fit a 1280 px window beside the filters; the Stripe id is searchable.
    list_display = [
        "thumbnail",
        "name",
        "price_labels",
        "status",
        "requires_shipping",
        "in_sync_with_stripe",
        "created",
    ]
    list_display_links = ["name"]
    list_filter = ["active", "requires_shipping", DeletedFilter]
    search_fields = ["name", "slug", "=stripe_product_id"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["stripe_product_id", "stripe_sync_status", "deleted_at", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "description",
                    "active",
                    "requires_shipping",
                    "download",
                    "option_axes",
                ]
            },
        ),
        (
            "Stripe and history",
            {
                "classes": ["collapse"],
                "fields": [
                    "stripe_product_id",
                    "stripe_sync_status",
                    "deleted_at",
                    "created_at",
                    "updated_at",
                ],
            },
        ),
    ]
    inlines = [ProductImageInline, VariantInline, PriceInline, CollectionProductInline]
    actions = ["soft_delete", "restore"]
    stripe_id_field = "stripe_product_id"

    created = date_time_display("created_at", "created")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "download":
            # The admin groups a file input under a legend, which names the group, not the input.
            field.widget.attrs["aria-label"] = "File to download"
        return field

    def save_related(self, request, form, formsets, change):
        """Push the product (with its images, saved by now), then the prices added, changed or deleted
        on its page, to Stripe."""
        super().save_related(request, form, formsets, change)
        product = form.instance
        self.push_to_stripe(request, product)
        for formset in formsets:
            if formset.model is not Price:
                continue
            for price in [*formset.new_objects, *(price for price, _ in formset.changed_objects)]:
                _push_price(self, request, price)
            for price in formset.deleted_objects:
                if price.stripe_price_id:
                    # Gone from the database: pushed as deleted, which archives it in Stripe.
                    price.deleted_at = price.deleted_at or timezone.now()
                    _push_price(self, request, price)

    def push_to_stripe(self, request, product):
        _push_to_stripe(self, request, payment_gateway().product_push, product=product)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if request.method == "POST":
            _ask_again_for_pictures(self, request, context)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_queryset(self, request):
        # One query for every price of the page, instead of one per product.
        prices = Prefetch("prices", queryset=Price.objects.order_by("unit_amount"))
        return super().get_queryset(request).prefetch_related(prices)

    @admin.display(description="status", ordering="active")
    def status(self, obj):
        if obj.is_deleted:
            return "Deleted"
        return "Active" if obj.active else "Inactive"

    @admin.display(description="picture")
    def thumbnail(self, obj):
        if not obj.card_image:
            return ""
        small = get_thumbnail(obj.card_image, "48x48", crop="center")
        return format_html(
            '<img src="{}" alt="" width="{}" height="{}">', small.url, small.width, small.height
        )

    @admin.display(description="prices")
    def price_labels(self, obj):
        return ", ".join(price.label for price in obj.prices.all() if not price.is_deleted) or "—"


@admin.register(Price)
class PriceAdmin(AddFormWithoutHistoryMixin, SoftDeleteAdminMixin, admin.ModelAdmin):
    form = PriceAdminForm
    list_display = [
        "__str__",
        "shoppers_see",
        "type",
        "active",
        "is_deleted",
        "stripe_price_id",
        "in_sync_with_stripe",
        "created_at",
    ]
    list_select_related = ["product"]
    list_filter = ["type", "active", DeletedFilter, "currency", "recurring_interval"]
    search_fields = ["product__name", "nickname", "=stripe_price_id"]
    autocomplete_fields = ["product", "variant"]
    readonly_fields = [
        "shoppers_see",
        "stripe_price_id",
        "stripe_sync_status",
        "deleted_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["product", "variant", "nickname", "type", "unit_amount", "currency", "active"]}),
        ("Recurring", {"fields": ["recurring_interval", "recurring_interval_count", "trial_period_days"]}),
        ("On sale", {"fields": ["shoppers_see", "confirm_live"]}),
        (
            "Stripe and history",
            {"fields": ["stripe_price_id", "stripe_sync_status", "deleted_at", "created_at", "updated_at"]},
        ),
    ]
    actions = ["soft_delete", "restore"]
    stripe_id_field = "stripe_price_id"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.push_to_stripe(request, obj)

    def push_to_stripe(self, request, price):
        _push_price(self, request, price)

    @admin.display(description="shoppers see", ordering="unit_amount")
    def shoppers_see(self, obj):
        return obj.label if obj.pk else ""


def _ask_again_for_pictures(model_admin, request, context):
    """After a post that did not save, name each picture chosen: a browser cannot keep a chosen file."""
    chosen = []
    for inline in context.get("inline_admin_formsets", []):
        if inline.formset.model is not ProductImage:
            continue
        for form in inline.formset.forms:
            upload = request.FILES.get(form.add_prefix("image"))
            if upload is None or form.errors.get("image"):
                continue
            form.add_error(
                "image",
                ValidationError(
                    "Nothing was saved, so choose “%(name)s” again: a browser forgets a chosen file when "
                    "the page comes back.",
                    code="choose_again",
                    params={"name": upload.name},
                ),
            )
            chosen.append(upload.name)
    if chosen:
        model_admin.message_user(
            request,
            f"Nothing was saved: fix the errors below, then choose {_names(chosen)} again.",
            messages.WARNING,
        )


def _names(names: list[str]) -> str:
    quoted = [f"“{name}”" for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _push_price(model_admin, request, price):
    old_stripe_id = price.stripe_price_id
    new_stripe_id = _push_to_stripe(model_admin, request, payment_gateway().price_push, price=price)
    if old_stripe_id and new_stripe_id and new_stripe_id != old_stripe_id:
        model_admin.message_user(
            request,
            f"Stripe prices cannot change amount, currency or interval: {price} is now Stripe price "
            f"{new_stripe_id}, and {old_stripe_id} is archived. Past orders keep what they were charged.",
            messages.INFO,
        )


def _push_to_stripe(model_admin, request, push, **row):
    """Run `push`; on a Stripe error tell staff the row is saved but not in Stripe, and return None."""
    try:
        return push(**row)
    except StripeSyncFailed as error:
        model_admin.message_user(
            request,
            f"“{error.row}” is saved here, but Stripe did not take the change: {error} It is marked "
            "“not in sync with Stripe”; save it again to retry.",
            messages.ERROR,
        )
        return None


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "position", "active"]
    list_filter = ["active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["position", "name"]


class PromotionCodeInline(admin.TabularInline):
    model = PromotionCode
    formfield_overrides = {models.DateTimeField: {"widget": SplitDateTimeWithoutWarningReference}}
    extra = 1
    fields = ["code", "active", "max_redemptions", "expires_at", "stripe_promotion_code_id"]
    # A pushed code's terms are guarded by PromotionCode.clean: an inline cannot make one row read-only.
    readonly_fields = ["stripe_promotion_code_id"]


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    form = CouponAdminForm
    list_display = ["name", "terms", "duration", "active", "stripe_coupon_id", "in_sync_with_stripe"]
    list_filter = ["active", "duration"]
    search_fields = ["name", "=stripe_coupon_id", "promotion_codes__code"]
    readonly_fields = ["shoppers_see", "stripe_coupon_id", "created_at", "updated_at"]
    fields = [
        "name",
        "percent_off",
        "amount_off",
        "currency",
        "shoppers_see",
        "duration",
        "duration_in_months",
        "active",
        "stripe_coupon_id",
        "created_at",
        "updated_at",
    ]
    inlines = [PromotionCodeInline]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            # Nothing exists yet to have been created or changed.
            return [name for name in fields if name not in {"stripe_coupon_id", "created_at", "updated_at"}]
        if obj.stripe_coupon_id:
            # A pushed coupon's amount off reads in major units, as it was typed.
            return ["amount_off_display" if name == "amount_off" else name for name in fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        terms = ["name", "percent_off", "amount_off_display", "currency", "duration", "duration_in_months"]
        return _pushed_readonly(self, obj, terms, "stripe_coupon_id")

    @admin.display(description="shoppers see")
    def shoppers_see(self, obj):
        return obj.terms if obj.pk else ""

    @admin.display(description="amount off")
    def amount_off_display(self, obj):
        return format_money(obj.amount_off, obj.currency) if obj.amount_off is not None else "—"

    def save_related(self, request, form, formsets, change):
        # The codes are saved by now: one push creates the coupon and then each code.
        super().save_related(request, form, formsets, change)
        coupon = form.instance
        if _push_to_stripe(self, request, payment_gateway().coupon_push, coupon=coupon) is None:
            return
        for promotion_code in coupon.promotion_codes.filter(stripe_promotion_code_id__isnull=True):
            _push_to_stripe(
                self, request, payment_gateway().promotion_code_push, promotion_code=promotion_code
            )

    @admin.display(boolean=True, description="in sync with Stripe")
    def in_sync_with_stripe(self, obj):
        return bool(obj.stripe_coupon_id) and SYNC_ERROR_KEY not in (obj.metadata or {})


@admin.register(PromotionCode)
class PromotionCodeAdmin(admin.ModelAdmin):
    formfield_overrides = {models.DateTimeField: {"widget": SplitDateTimeWithoutWarningReference}}
    list_display = ["code", "coupon", "active", "max_redemptions", "expires_at", "stripe_promotion_code_id"]
    list_filter = ["active"]
    list_select_related = ["coupon"]
    search_fields = ["code", "=stripe_promotion_code_id"]
    autocomplete_fields = ["coupon"]
    fields = ["code", "coupon", "active", "max_redemptions", "expires_at", "stripe_promotion_code_id"]
    readonly_fields = ["stripe_promotion_code_id"]

    def get_readonly_fields(self, request, obj=None):
        terms = ["code", "coupon", "max_redemptions", "expires_at"]
        return _pushed_readonly(self, obj, terms, "stripe_promotion_code_id")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _push_to_stripe(self, request, payment_gateway().promotion_code_push, promotion_code=obj)


@admin.register(ShippingRate)
class ShippingRateAdmin(AddFormWithoutHistoryMixin, admin.ModelAdmin):
    """Shipping rates offered at checkout for physical goods, pushed to Stripe at every save."""

    form = ShippingRateAdminForm
    list_display = [
        "display_name",
        "shoppers_see",
        "delivery",
        "active",
        "stripe_shipping_rate_id",
        "in_sync_with_stripe",
    ]
    list_filter = ["active", "currency"]
    search_fields = ["display_name", "=stripe_shipping_rate_id"]
    readonly_fields = ["stripe_shipping_rate_id", "stripe_sync_status", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["display_name", "amount", "currency", "active"]}),
        ("Delivery estimate", {"fields": ["delivery_min_days", "delivery_max_days"]}),
        (
            "Stripe and history",
            {"fields": ["stripe_shipping_rate_id", "stripe_sync_status", "created_at", "updated_at"]},
        ),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        old_stripe_id = obj.stripe_shipping_rate_id
        new_stripe_id = _push_to_stripe(
            self, request, payment_gateway().shipping_rate_push, shipping_rate=obj
        )
        if old_stripe_id and new_stripe_id and new_stripe_id != old_stripe_id:
            self.message_user(
                request,
                f"Stripe shipping rates cannot change name, amount or delivery estimate: {obj} is now "
                f"Stripe rate {new_stripe_id}, and {old_stripe_id} is archived. Past orders keep what "
                "they were charged.",
                messages.INFO,
            )

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._archive_deleted(request, [obj])

    def delete_queryset(self, request, queryset):
        doomed = list(queryset.filter(stripe_shipping_rate_id__isnull=False))
        super().delete_queryset(request, queryset)
        self._archive_deleted(request, doomed)

    def _archive_deleted(self, request, rates):
        for rate in rates:
            if rate.stripe_shipping_rate_id:
                # Gone from the database: pushed as inactive, which archives it in Stripe.
                rate.active = False
                _push_to_stripe(self, request, payment_gateway().shipping_rate_push, shipping_rate=rate)

    @admin.display(description="shoppers see", ordering="amount")
    def shoppers_see(self, obj):
        return format_money(obj.amount, obj.currency) if obj.pk else ""

    @admin.display(description="delivery")
    def delivery(self, obj):
        days = [d for d in (obj.delivery_min_days, obj.delivery_max_days) if d]
        if not days:
            return "—"
        span = f"{days[0]}–{days[1]}" if len(days) == 2 and days[0] != days[1] else str(days[0])
        return f"{span} business days"

    @admin.display(boolean=True, description="in sync with Stripe")
    def in_sync_with_stripe(self, obj):
        if SYNC_ERROR_KEY in (obj.metadata or {}):
            return False
        return True if obj.stripe_shipping_rate_id else None

    @admin.display(description="Stripe sync")
    def stripe_sync_status(self, obj):
        error = (obj.metadata or {}).get(SYNC_ERROR_KEY)
        if error:
            return f"Not in sync: {error.get('message')} (at {error.get('at')}). Save again to retry."
        return "In sync" if obj.stripe_shipping_rate_id else "Not in Stripe yet"


def _pushed_readonly(model_admin, obj, terms: list[str], stripe_id_field: str) -> list[str]:
    """The Stripe id is never edited here, and once the row is in Stripe neither are its terms."""
    readonly = [*model_admin.readonly_fields]
    if obj is not None and getattr(obj, stripe_id_field, None):
        readonly += terms
    return readonly

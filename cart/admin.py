"""Cart admin: active, checked-out and expired carts, and an action to expire carts."""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format

from cart.models import Cart, CartItem, CartStatus
from cart.services import cart_expire
from shop.money import format_money


class ExpiredByTimeFilter(admin.SimpleListFilter):
    """Carts past `expires_at`: the TTL monitor has not removed them yet, the shop already ignores them."""

    title = "expired by time"
    parameter_name = "expired_by_time"

    def lookups(self, request, model_admin):
        return [("yes", "Past their expiry"), ("no", "Not past their expiry")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(expires_at__lte=now)
        if self.value() == "no":
            return queryset.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        return queryset


class OwnerFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [("guest", "Guest"), ("user", "Signed-in user")]

    def queryset(self, request, queryset):
        if self.value() in ("guest", "user"):
            return queryset.filter(user__isnull=self.value() == "guest")
        return queryset


def cart_expiry(cart) -> str:
    """Return "Expires 9 Mar 2026, 09:30", "Expired …" or "Never …": an expired cart shows no future date."""
    if cart.status == CartStatus.CHECKED_OUT:
        return "Checked out"
    if cart.status == CartStatus.EXPIRED:
        # Expired by staff, a merge or a newer cart, maybe before its time: its status changed then.
        return f"Expired {_when(min(filter(None, [cart.expires_at, cart.updated_at])))}"
    if cart.expires_at is None:
        return "Never (a signed-in shopper’s cart)"
    if cart.expires_at <= timezone.now():
        return f"Expired {_when(cart.expires_at)}"
    return f"Expires {_when(cart.expires_at)}"


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "j M Y, H:i")


def _line_total(item):
    return format_money(item.line_total, item.price.currency)


class SessionKeySearchMixin:
    """Find a guest's cart (or lines) by their whole session key, compared exactly.

    Staff never see keys (a key signs in as its guest), so no part of one, and no pattern, finds
    anything; other terms search the admin's search_fields.
    """

    session_key_field = "session_key"

    def get_search_results(self, request, queryset, search_term):
        key = search_term.strip()
        if key:
            by_key = queryset.filter(**{self.session_key_field: key})
            if by_key.exists():
                return by_key, False
        return super().get_search_results(request, queryset, search_term)


class CartItemInline(admin.TabularInline):
    """A shopper's lines, read-only: quantities and currencies are the cart service's rules."""

    model = CartItem
    extra = 0
    can_delete = False
    fields = ["product", "price_label", "quantity", "line_total"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "price")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="price")
    def price_label(self, item):
        return item.price.label

    @admin.display(description="line total")
    def line_total(self, item):
        return _line_total(item)


@admin.register(Cart)
class CartAdmin(SessionKeySearchMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "status",
        "item_count",
        "currency",
        "is_locked",
        "expiry",
        "last_activity_at",
        "created_at",
    ]
    list_select_related = ["user"]
    list_filter = ["status", ExpiredByTimeFilter, OwnerFilter]
    search_fields = ["user__email", "=checkout_session_id"]
    # The expiry shows as "expiry", in words; the key is never shown (a key signs in as its guest).
    exclude = ["session_key", "expires_at"]
    readonly_fields = [
        "user",
        "session_fingerprint",
        "status",
        "currency",
        "checkout_session_id",
        "expiry",
        "last_activity_at",
        "created_at",
        "updated_at",
    ]
    inlines = [CartItemInline]
    actions = ["expire"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description="guest session")
    def session_fingerprint(self, cart):
        return cart.session_fingerprint or "—"

    def has_add_permission(self, request):
        return False

    @admin.display(description="expiry", ordering="expires_at")
    def expiry(self, cart):
        return cart_expiry(cart)

    @admin.display(description="items", ordering="item_count")
    def item_count(self, cart):
        return cart.item_count

    @admin.display(boolean=True, description="in checkout")
    def is_locked(self, cart):
        return cart.is_locked

    @admin.action(permissions=["change"], description="Expire selected carts")
    def expire(self, request, queryset):
        """Mark active carts EXPIRED; their items stay until the TTL index removes them."""
        selected = list(queryset.values_list("pk", flat=True))
        expired = cart_expire(cart_ids=selected)
        self.message_user(request, f"Expired {expired} cart{'s' if expired != 1 else ''}.", messages.SUCCESS)
        if skipped := len(selected) - expired:
            self.message_user(
                request,
                f"Left {skipped} cart{'s' if skipped != 1 else ''} unchanged: not active, or in checkout.",
                messages.WARNING,
            )


@admin.register(CartItem)
class CartItemAdmin(SessionKeySearchMixin, admin.ModelAdmin):
    list_display = ["__str__", "cart", "product", "quantity", "line_total", "expiry", "created_at"]
    list_select_related = ["cart__user", "product", "price__product"]
    list_filter = ["cart__status"]
    search_fields = ["product__name", "cart__user__email"]
    session_key_field = "cart__session_key"
    readonly_fields = [
        "cart",
        "product",
        "price",
        "quantity",
        "line_total",
        "expiry",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="expiry", ordering="expires_at")
    def expiry(self, item):
        # A line lives and dies with its cart (cart/models.py).
        return cart_expiry(item.cart)

    @admin.display(description="line total")
    def line_total(self, item):
        return _line_total(item)

"""Reads for carts: the shopper's current cart, its lines and totals, in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass

from bson import ObjectId
from django.db.models import Sum
from django.utils import timezone

from cart.exceptions import PriceUnavailable, ProductUnavailable
from cart.models import Cart, CartItem
from catalog.billing import BillingLine, PaymentSchedule, checkout_trial_days, payment_schedule
from catalog.models import Price, Product, ShippingRate, Variant
from catalog.selectors import row_awaits_push, variant_pictures
from catalog.stock import StockLevel

# The session remembers the guest cart's id: no query for visitors who never added anything, and
# the guest cart can still be found at login, after Django has given the session a new key.
CART_SESSION_KEY = "cart_id"
_REQUEST_CACHE_ATTRIBUTE = "_shop_cart"
_NOT_LOOKED_UP = object()


@dataclass(frozen=True)
class RecurringShipping:
    """The shipping rate a subscription's checkout bills every period, as a line of its own:
    Stripe's shipping options are for one-time payments only."""

    rate: ShippingRate
    interval: str
    interval_count: int

    def billing_line(self, *, trial_period_days: int | None) -> BillingLine:
        return BillingLine(
            unit_amount=self.rate.amount,
            quantity=1,
            currency=self.rate.currency,
            recurring_interval=self.interval,
            recurring_interval_count=self.interval_count,
            trial_period_days=trial_period_days,
        )


@dataclass(frozen=True)
class OneTimeShipping:
    """The shipping of physical one-time goods bought beside a subscription that ships nothing:
    charged once, as a line of the first invoice (a subscription checkout takes no shipping options)."""

    rate: ShippingRate

    def billing_line(self) -> BillingLine:
        return BillingLine(unit_amount=self.rate.amount, quantity=1, currency=self.rate.currency)


@dataclass(frozen=True)
class CartTotals:
    subtotal: int
    item_count: int
    currency: str
    has_unavailable_lines: bool
    # What a checkout today would charge now and later (subscriptions, trials).
    schedule: PaymentSchedule
    # Products whose free trial a checkout of this cart would not give: a checkout has one trial,
    # only when every subscription in it offers one.
    trials_dropped: tuple[str, ...] = ()
    # Shipping of a subscription with physical goods: billed every period with it.
    recurring_shipping: RecurringShipping | None = None
    # Shipping of physical one-time goods beside a subscription of none: billed once.
    one_time_shipping: OneTimeShipping | None = None

    @property
    def mixes_billing_intervals(self) -> bool:
        """Whether the subscriptions are billed at different intervals: one checkout bills one."""
        return len(self.schedule.recurring) > 1


def cart_get_for_request(request) -> Cart | None:
    """Return the shopper's open cart, or None before their first add. Memoised on the request.

    A signed-in user's cart is looked up by user (it may have been filled on another device);
    a guest's by the cart id in the session and the session key. Expired (even before the TTL
    monitor removes them) and checked-out carts are never returned.
    """
    cached = getattr(request, _REQUEST_CACHE_ATTRIBUTE, _NOT_LOOKED_UP)
    if cached is not _NOT_LOOKED_UP:
        return cached
    cart = None
    if request.user.is_authenticated:
        cart = Cart.objects.open_first(user_id=request.user.pk)
    elif cart_id := request.session.get(CART_SESSION_KEY):
        cart = Cart.objects.open_first(
            _id=ObjectId(cart_id), user_id=None, session_key=request.session.session_key
        )
        if cart is None:
            # Expired or checked out: forget it so later pages need no query.
            del request.session[CART_SESSION_KEY]
    cart_remember_for_request(request, cart)
    return cart


def cart_remember_for_request(request, cart: Cart | None) -> None:
    """Record the request's current cart so later reads in the same request need no query."""
    setattr(request, _REQUEST_CACHE_ATTRIBUTE, cart)


def cart_forget_for_request(request) -> None:
    if hasattr(request, _REQUEST_CACHE_ATTRIBUTE):
        delattr(request, _REQUEST_CACHE_ATTRIBUTE)


def cart_looked_up_for_request(request) -> Cart | None:
    """Return the cart this request already read, without a query (None if it read none)."""
    cached = getattr(request, _REQUEST_CACHE_ATTRIBUTE, None)
    return cached if isinstance(cached, Cart) else None


def cart_guest_for_session(session) -> Cart | None:
    """Return the open guest cart recorded in the session, whatever the session's current key.

    Used at login: Django gives the session a new key before user_logged_in is sent.
    """
    cart_id = session.get(CART_SESSION_KEY)
    if not cart_id:
        return None
    return Cart.objects.open().filter(pk=cart_id, user__isnull=True).first()


def cart_lines(cart: Cart) -> list[CartItem]:
    """Return the cart's items, oldest first, with `price`, `product`, `variant` and `picture` loaded,
    in five queries.

    Each item gets `is_available`: False when its price or product has since been deactivated or
    deleted, or when the price's last change has not reached Stripe (`awaits_stripe`: Checkout
    would charge the old terms). Such a line is shown so the shopper understands, but is never
    totalled or charged. `stock` says how many the shopper may still have (catalog.stock).
    """
    # Finds by id rather than one query joining the three collections: the same work for
    # MongoDB, and the embedded engine runs a join as a scan of each collection per line.
    items = list(CartItem.objects.filter(cart=cart).order_by("created_at", "pk"))
    if not items:
        return []
    prices = Price.objects.in_bulk({item.price_id for item in items})
    products = Product.objects.in_bulk({item.product_id for item in items})
    variants = Variant.objects.in_bulk({price.variant_id for price in prices.values() if price.variant_id})
    pictures = variant_pictures(variants)
    # One item's units however they are billed: one-time and subscription come from one shelf.
    in_cart = defaultdict(int)
    for item in items:
        in_cart[prices[item.price_id].variant_id] += item.quantity
    for item in items:
        item.price = prices[item.price_id]
        item.product = products[item.product_id]
        item.variant = variants.get(item.price.variant_id)
        variant_picture = pictures.get(item.price.variant_id)
        # The storage name of the line's picture: its variant's own, else the product's card's.
        item.picture = variant_picture.image.name if variant_picture else item.product.card_image
        item.stock = StockLevel.of(item.variant)
        # Shown, not enforced: the checkout holds the stock, and refuses then if it is short.
        item.stock_short = not item.stock.allows(in_cart[item.price.variant_id])
        # The cart's other lines of the same item (its other prices): what the line's quantity may be.
        item.units_elsewhere = in_cart[item.price.variant_id] - item.quantity
        item.awaits_stripe = row_awaits_push(item.price)
        item.is_available = price_is_for_sale(item.price, item.product) and not item.awaits_stripe
    return items


def cart_item_stock(*, cart: Cart, price: Price) -> tuple[StockLevel, int]:
    """Return the stock of the item `price` sells and how many of it the cart holds: its lines of
    every price of that item (one-time and subscription come from one shelf). The cart is not read
    when the stock sets no limit."""
    variant = Variant.objects.filter(pk=price.variant_id).first() if price.variant_id else None
    stock = StockLevel.of(variant)
    if stock.most() is None:
        return stock, 0
    prices_of_item = list(Price.objects.filter(variant=variant).values_list("pk", flat=True))
    in_cart = sum(
        CartItem.objects.filter(cart=cart, price__in=prices_of_item).values_list("quantity", flat=True)
    )
    return stock, in_cart


def cart_line_stock(*, cart: Cart, item: CartItem) -> tuple[StockLevel, int]:
    """Return the stock of line `item`'s item and how many of it the cart's other lines hold."""
    price = Price.objects.filter(pk=item.price_id).first()
    if price is None:
        return StockLevel.of(None), 0
    stock, in_cart = cart_item_stock(cart=cart, price=price)
    return stock, max(in_cart - item.quantity, 0)


def cart_totals(cart: Cart | None, lines: list[CartItem]) -> CartTotals:
    """Return the subtotal (minor units), item count and payment schedule of the lines that can be bought."""
    available = [line for line in lines if line.is_available]
    billing_lines = [BillingLine.of_price(line.price, line.quantity) for line in available]
    shipping = cart_recurring_shipping(available)
    if shipping is not None:
        # Shipping shares the checkout's trial: the whole subscription is free until it ends.
        billing_lines.append(shipping.billing_line(trial_period_days=checkout_trial_days(billing_lines)))
    once = cart_one_time_shipping(available)
    if once is not None:
        billing_lines.append(once.billing_line())
    schedule = payment_schedule(billing_lines, start=timezone.localdate())
    return CartTotals(
        subtotal=sum(line.line_total for line in available),
        item_count=sum(line.quantity for line in available),
        currency=cart.currency if cart else "",
        has_unavailable_lines=len(available) != len(lines),
        schedule=schedule,
        trials_dropped=tuple(
            line.product.name
            for line in available
            if line.price.is_recurring and line.price.trial_period_days and not schedule.trial_days
        ),
        recurring_shipping=shipping,
        one_time_shipping=once,
    )


def cart_recurring_shipping(lines: list[CartItem]) -> RecurringShipping | None:
    """Return the shipping a subscription checkout of `lines` bills every period: the cheapest
    active rate in their currency when a subscribed product ships; else None."""
    recurring = [line for line in lines if line.price.is_recurring]
    if not any(line.product.requires_shipping for line in recurring):
        return None
    rate = _cheapest_shipping_rate(recurring[0].price.currency)
    if rate is None:
        return None
    return RecurringShipping(
        rate=rate,
        interval=recurring[0].price.recurring_interval,
        interval_count=recurring[0].price.recurring_interval_count,
    )


def cart_one_time_shipping(lines: list[CartItem]) -> OneTimeShipping | None:
    """Return the shipping a subscription checkout of `lines` bills once: the cheapest active rate
    when only one-time goods ship (a subscription that ships bills it every period instead); else None."""
    recurring = [line for line in lines if line.price.is_recurring]
    if not recurring or any(line.product.requires_shipping for line in recurring):
        return None
    if not any(line.product.requires_shipping for line in lines):
        return None
    rate = _cheapest_shipping_rate(recurring[0].price.currency)
    return OneTimeShipping(rate=rate) if rate is not None else None


def _cheapest_shipping_rate(currency: str) -> ShippingRate | None:
    rates = ShippingRate.objects.filter(active=True, currency=currency).order_by("amount", "display_name")
    return next((rate for rate in rates if not row_awaits_push(rate)), None)


def cart_item_count_for_request(request) -> int:
    """Return how many items the shopper's cart holds (header badge): no query without a cart."""
    cart = cart_get_for_request(request)
    if cart is None:
        return 0
    return CartItem.objects.filter(cart=cart).aggregate(count=Sum("quantity"))["count"] or 0


def price_is_for_sale(price: Price, product: Product) -> bool:
    """Return True when a shopper may buy `price` as a price of `product` (both for sale)."""
    return price.is_for_sale and product.is_for_sale and price.product_id == product.pk


def price_get_for_sale(*, price_id, product_id) -> Price:
    """Return the price, with its product loaded, if a shopper may buy it now.

    Raise PriceUnavailable for a price that is inactive, deleted, missing or of another product,
    and ProductUnavailable for a product that is inactive or deleted.
    """
    # See docs/embedded-mongodb.md, "Query shapes and the embedded engine".
    price = Price.objects.filter(pk=price_id, product_id=product_id).first()
    if price is None or not price.is_for_sale:
        raise PriceUnavailable
    product = Product.objects.filter(pk=product_id).first()
    if product is None or not price_is_for_sale(price, product):
        raise ProductUnavailable
    price.product = product
    return price

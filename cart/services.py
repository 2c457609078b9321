"""Every write to carts and their lines: create on first add, add/update/remove lines, merge at
login, touch, expiry, and the checkout lifecycle (freeze, thaw, submit) that orders and payments call.

There is no row locking on MongoDB: races are settled by the unique indexes (one ACTIVE cart per
session and per user, one line per cart+product+price), by conditional updates whose filter
states what must still hold (the cart is open, not being checked out, in the currency), and by
transactions: every change writes the cart's document, so two changes of one cart conflict and
run_atomically runs the loser again on what the winner left.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F, Q, Value
from django.db.models.functions import Least
from django.utils import timezone

from cart.exceptions import (
    CartLineNotFound,
    CartLocked,
    CartUnavailable,
    CurrencyMismatch,
    InvalidQuantity,
    NotEnoughInStock,
    PriceUnavailable,
    QuantityLimitExceeded,
)
from cart.models import Cart, CartItem, CartStatus
from cart.selectors import (
    CART_SESSION_KEY,
    cart_get_for_request,
    cart_item_stock,
    cart_lines,
    cart_remember_for_request,
    price_is_for_sale,
)
from catalog.models import Price
from shop.transactions import run_atomically


@dataclass(frozen=True)
class CartMergeResult:
    cart: Cart | None
    merged_line_count: int
    capped: bool
    # Set when the guest cart was frozen for a checkout and so left to the guest, not merged.
    guest_checkout_session_id: str = ""


def cart_get_or_create_for_request(*, request) -> Cart:
    """Return the shopper's open cart, creating it (and saving a guest's session) if needed."""
    cart = cart_get_for_request(request)
    if cart is not None:
        return cart
    if request.user.is_authenticated:
        cart = _cart_create(user=request.user)
    else:
        if not request.session.session_key:
            request.session.create()
        cart = _cart_create(session_key=request.session.session_key)
        request.session[CART_SESSION_KEY] = str(cart.pk)
    cart_remember_for_request(request, cart)
    return cart


def cart_add_price(*, cart: Cart, price: Price, quantity: int) -> CartItem:
    """Add `quantity` of `price` to the cart, on the existing line for that price if there is one.

    `price` comes from cart.selectors.price_get_for_sale (its product loaded). Refuse with a
    CartError, changing nothing, when the cart is being checked out, has expired or holds another
    currency, or when the line would exceed CART_MAX_QUANTITY.
    """
    _check_quantity(quantity)
    if not price_is_for_sale(price, price.product):
        raise PriceUnavailable
    _check_stock(cart=cart, price=price, more=quantity)

    def add():
        expires_at = _cart_record_change(cart, currency=price.currency)
        item = _line_add(cart=cart, price=price, quantity=quantity, expires_at=expires_at)
        _cart_lines_written(cart)
        return item

    item = _atomic_retrying_duplicates(add)
    item.price, item.product = price, price.product
    return item


def cart_update_item(*, cart: Cart, item: CartItem, quantity: int) -> CartItem:
    """Set a line's quantity (1 to CART_MAX_QUANTITY)."""
    _check_line(cart, item)
    _check_quantity(quantity)
    if quantity > item.quantity:
        _check_stock(cart=cart, price=Price.objects.get(pk=item.price_id), more=quantity - item.quantity)

    def update():
        expires_at = _cart_record_change(cart)
        if not CartItem.objects.filter(pk=item.pk, cart=cart).update(
            quantity=quantity, expires_at=expires_at, updated_at=timezone.now()
        ):
            raise CartLineNotFound
        _cart_lines_written(cart)
        return expires_at

    item.quantity, item.expires_at = quantity, run_atomically(update)
    return item


def cart_remove_item(*, cart: Cart, item: CartItem) -> None:
    """Remove a line; an emptied cart accepts any currency again."""
    _check_line(cart, item)

    def remove():
        _cart_record_change(cart)
        if not CartItem.objects.filter(pk=item.pk, cart=cart).delete()[0]:
            raise CartLineNotFound
        if CartItem.objects.filter(cart=cart).exists():
            _cart_lines_written(cart)
        else:
            # This write moves the version on too.
            Cart.objects.filter(pk=cart.pk).update(currency="")
            cart.currency = ""

    run_atomically(remove)


def cart_merge_guest_into_user(*, guest_cart: Cart | None, user) -> CartMergeResult:
    """Move a guest cart's lines into the user's open cart, then delete the guest cart.

    Quantities of the same product and price add up, capped at CART_MAX_QUANTITY; lines that
    can no longer be bought are dropped. A guest cart frozen for a checkout is not merged: its
    payment completes as the guest's (the result names its session). Raise CartLocked (the user's
    cart is being checked out) or CurrencyMismatch (the carts hold different currencies) and
    change nothing.
    """
    user_cart = Cart.objects.open().filter(user=user).first()
    if guest_cart is None:
        return CartMergeResult(cart=user_cart, merged_line_count=0, capped=False)
    if guest_cart.is_locked:
        # Merged, its lines would stay in the user's cart once the guest's payment went through.
        return CartMergeResult(
            cart=user_cart,
            merged_line_count=0,
            capped=False,
            guest_checkout_session_id=guest_cart.checkout_session_id,
        )
    if not any(line.is_available for line in cart_lines(guest_cart)):
        _cart_delete(guest_cart)
        return CartMergeResult(cart=user_cart, merged_line_count=0, capped=False)
    if user_cart is None:
        user_cart = _cart_create(user=user)
    merged = _atomic_retrying_duplicates(lambda: _lines_merge(guest_cart=guest_cart, user_cart=user_cart))
    if merged is None:
        # Another request (a second login of the same session) merged it already, or a checkout
        # froze it meanwhile: that checkout's freeze then fails on the claimed cart, or keeps it.
        return CartMergeResult(cart=user_cart, merged_line_count=0, capped=False)
    merged_line_count, capped = merged
    return CartMergeResult(cart=user_cart, merged_line_count=merged_line_count, capped=capped)


def cart_touch(*, cart: Cart) -> bool:
    """Record activity on a page view: push a guest cart's expiry forward.

    Writes at most once per CART_TOUCH_INTERVAL_MINUTES, so browsing costs no writes; changes to
    the cart record activity themselves. Return whether anything was written.
    """
    now = timezone.now()
    threshold = now - timedelta(minutes=settings.CART_TOUCH_INTERVAL_MINUTES)
    if cart.last_activity_at > threshold:
        return False
    expires_at = _expiry_after(now) if cart.is_guest else None

    def touch():
        updated = (
            Cart.objects.open()
            .filter(pk=cart.pk, last_activity_at__lte=threshold)
            .update(last_activity_at=now, expires_at=expires_at, updated_at=now)
        )
        if updated and cart.is_guest:
            CartItem.objects.filter(cart=cart).update(expires_at=expires_at)
        return bool(updated)

    touched = run_atomically(touch)
    if touched:
        cart.last_activity_at, cart.expires_at = now, expires_at
    return touched


def cart_freeze(*, cart: Cart, checkout_session_id: str) -> bool:
    """Freeze an ACTIVE, unlocked cart on a Checkout Session, so that it cannot change while paid for.

    Return whether the cart is frozen by this session now: True too when it already was (a
    concurrent checkout of the same cart got the same session), False when another session froze
    it or it left ACTIVE unfrozen. `cart` is read again either way.
    """
    freezable = Cart.objects.active().unlocked().filter(pk=cart.pk)
    frozen = freezable.update(checkout_session_id=checkout_session_id)
    cart.refresh_from_db()
    return bool(frozen) or cart.checkout_session_id == checkout_session_id


def cart_thaw(*, cart_id, checkout_session_id: str | None) -> bool:
    """Unfreeze a cart whose Checkout Session is over without payment, so the shopper can use it again.

    Only a cart still frozen by that very session is touched. Its version (updated_at) moves, so
    the next checkout of the same items is a new Checkout Session, not a replay of this one.
    """
    if cart_id is None or not checkout_session_id:
        return False
    return bool(
        Cart.objects.frozen_by(checkout_session_id)
        .filter(pk=cart_id)
        .update(checkout_session_id=None, updated_at=timezone.now())
    )


def cart_submit(*, cart_id, checkout_session_id: str | None) -> bool:
    """Mark the cart CHECKED_OUT once its Checkout Session is paid; return whether it changed.

    Only a cart still frozen by that very session is touched, so a repeat changes nothing.
    """
    if cart_id is None or not checkout_session_id:
        return False
    return bool(
        Cart.objects.frozen_by(checkout_session_id)
        .filter(pk=cart_id)
        .update(status=CartStatus.CHECKED_OUT, updated_at=timezone.now())
    )


def cart_expire(*, cart_ids) -> int:
    """Mark these carts EXPIRED (their items stay until the TTL index removes them); return how many.

    Only ACTIVE carts change; a cart in checkout is left alone, as its payment may still complete.
    """
    return (
        Cart.objects.active()
        .unlocked()
        .filter(pk__in=cart_ids)
        .update(status=CartStatus.EXPIRED, updated_at=timezone.now())
    )


def _atomic_retrying_duplicates(write):
    """Run write() in a transaction, run again after a write conflict or once after a duplicate key.

    A duplicate key means a concurrent request created the same cart line first; the second
    run finds that line and adds to it.
    """
    try:
        return run_atomically(write)
    except IntegrityError:
        return run_atomically(write)


def _expiry_after(moment: datetime) -> datetime:
    return moment + timedelta(days=settings.CART_LIFETIME_DAYS)


def _cart_create(**owner) -> Cart:
    now = timezone.now()
    # A guest cart past its expiry that the TTL monitor has not removed yet still holds the one
    # ACTIVE slot of its session: retire it first.
    Cart.objects.active().filter(expires_at__lte=now, **owner).update(
        status=CartStatus.EXPIRED, updated_at=now
    )
    expires_at = None if owner.get("user") else _expiry_after(now)
    try:
        return Cart.objects.create(**owner, last_activity_at=now, expires_at=expires_at)
    except IntegrityError:
        # A concurrent first add created the cart a moment ago: use that one.
        return Cart.objects.open().get(**owner)


def _cart_record_change(cart: Cart, *, currency: str = "") -> datetime | None:
    """Mark the cart changed now, if it is open, not being checked out and (given) in `currency`.

    One conditional update, so a checkout that starts or an expiry that passes meanwhile is
    seen; raise the matching CartError otherwise. Keep every item's expires_at equal to the
    cart's: both carry TTL indexes and the monitor must delete them together.
    """
    now = timezone.now()
    expires_at = _expiry_after(now) if cart.is_guest else None
    changes = {"last_activity_at": now, "expires_at": expires_at, "updated_at": now}
    changeable = Cart.objects.open().unlocked().filter(pk=cart.pk)
    if currency:
        changeable = changeable.filter(Q(currency="") | Q(currency=currency))
        changes["currency"] = currency
    if not changeable.update(**changes):
        raise _cart_refusal(cart, currency)
    if cart.is_guest:
        CartItem.objects.filter(cart=cart).update(expires_at=expires_at)
    cart.last_activity_at, cart.expires_at = now, expires_at
    cart.currency = currency or cart.currency
    return expires_at


def _cart_lines_written(cart: Cart) -> None:
    """Move the cart's version on again once its lines are written (CartQuerySet.update does).

    _cart_record_change moved it before them. Without a transaction (a standalone MongoDB), a cart
    page rendered in between would be kept under that version with the lines as they were.
    """
    Cart.objects.filter(pk=cart.pk).update()


def _cart_refusal(cart: Cart, currency: str):
    current = Cart.objects.filter(pk=cart.pk).first()
    if current is None or current.status != CartStatus.ACTIVE or current.is_expired:
        return CartUnavailable()
    if current.is_locked:
        return CartLocked()
    return CurrencyMismatch(cart_currency=current.currency, price_currency=currency)


def _line_add(*, cart: Cart, price: Price, quantity: int, expires_at) -> CartItem:
    line = CartItem.objects.filter(cart=cart, product_id=price.product_id, price=price)
    if _line_increment(line, quantity=quantity, expires_at=expires_at):
        return line.get()
    existing = line.first()
    if existing is not None and existing.quantity + quantity > settings.CART_MAX_QUANTITY:
        raise QuantityLimitExceeded(in_cart=existing.quantity)
    # No line yet, or one that a concurrent add created after the increment: creating it then
    # fails on the unique index, and the caller's second run adds to that line.
    return CartItem.objects.create(
        cart=cart, product_id=price.product_id, price=price, quantity=quantity, expires_at=expires_at
    )


def _line_increment(line, *, quantity: int, expires_at) -> bool:
    """Add to an existing line unless that passes the maximum; return whether it did."""
    # $inc-style and conditional: concurrent adds sum up, and never past the maximum.
    return bool(
        line.filter(quantity__lte=settings.CART_MAX_QUANTITY - quantity).update(
            quantity=F("quantity") + quantity, expires_at=expires_at, updated_at=timezone.now()
        )
    )


def _lines_merge(*, guest_cart: Cart, user_cart: Cart) -> tuple[int, bool] | None:
    """Move the lines; return (lines merged, whether a quantity was capped), or None if the guest
    cart was gone."""
    now = timezone.now()
    maximum = settings.CART_MAX_QUANTITY
    # Claim the guest cart first, so that it is merged once even if two logins race, and never
    # once a checkout has frozen it meanwhile.
    claimable = Cart.objects.active().unlocked().filter(pk=guest_cart.pk)
    if not claimable.update(status=CartStatus.EXPIRED, updated_at=now):
        return None
    # Read once claimed: a line the guest added after an earlier read is merged, not deleted.
    guest_lines = [line for line in cart_lines(guest_cart) if line.is_available]
    _cart_record_change(user_cart, currency=guest_cart.currency)
    user_lines = {(line.product_id, line.price_id): line for line in CartItem.objects.filter(cart=user_cart)}
    capped = False
    new_lines = []
    for guest_line in guest_lines:
        user_line = user_lines.get((guest_line.product_id, guest_line.price_id))
        if user_line is None:
            capped |= guest_line.quantity > maximum
            new_lines.append(
                CartItem(
                    cart=user_cart,
                    product_id=guest_line.product_id,
                    price_id=guest_line.price_id,
                    quantity=min(guest_line.quantity, maximum),
                    expires_at=user_cart.expires_at,
                )
            )
        else:
            capped |= user_line.quantity + guest_line.quantity > maximum
            CartItem.objects.filter(pk=user_line.pk).update(
                quantity=Least(F("quantity") + guest_line.quantity, Value(maximum)), updated_at=now
            )
    CartItem.objects.bulk_create(new_lines)
    _cart_lines_written(user_cart)
    _cart_delete(guest_cart)
    return len(guest_lines), capped


def _cart_delete(cart: Cart) -> None:
    # Items first: should the second delete fail, an empty cart is left, never orphaned items.
    CartItem.objects.filter(cart=cart).delete()
    Cart.objects.filter(pk=cart.pk).delete()


def _check_quantity(quantity) -> None:
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not 1 <= quantity <= settings.CART_MAX_QUANTITY
    ):
        raise InvalidQuantity


def _check_stock(*, cart: Cart, price: Price, more: int) -> None:
    """Refuse `more` units of the item `price` sells when, with what the cart holds of that item
    already, they are more than the shelf has. Not a hold: the checkout holds the stock."""
    stock, in_cart = cart_item_stock(cart=cart, price=price)
    if not stock.allows(in_cart + more):
        raise NotEnoughInStock(available=stock.available, in_cart=in_cart)


def _check_line(cart: Cart, item: CartItem) -> None:
    if item.cart_id != cart.pk:
        raise CartLineNotFound

"""Checkout: from the shopper's cart to a Stripe Checkout Session and a PENDING order, and back.

The line items come from the database only (the checkout form carries nothing but its CSRF
token). A checkout is identified by a key derived from the cart, its version and its contents:
the order number and the Stripe idempotency key (with the session's expiry, which concurrent
checkouts share) come from it, so a double click or two concurrent checkouts of one cart send
Stripe the same request and get ONE session, and the unique indexes on the order leave ONE order.
The cart is then frozen with a conditional update.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import stripe
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from cart.models import Cart, CartStatus
from cart.selectors import cart_lines, cart_one_time_shipping, cart_recurring_shipping
from cart.services import cart_freeze, cart_thaw
from catalog.billing import BillingLine, checkout_trial_days
from catalog.models import item_display_name
from inventory.exceptions import NotEnoughStock
from inventory.services import StockLine, stock_hold_for_checkout, stock_release_for_order
from orders.addresses import SHIPPING_COUNTRIES
from orders.models import Order, OrderStatus
from orders.services import order_cancel, order_create_from_cart
from payments.catalog_sync import catalog_price_ensure_stripe, price_terms, stripe_price_terms
from payments.confirmation import checkout_session_apply
from payments.customers import customer_create_for_guest, customer_ensure_stripe
from payments.exceptions import (
    CartChangedDuringCheckout,
    CheckoutInProgress,
    EmptyCart,
    LineOutOfStock,
    LineUnavailable,
    MixedBillingIntervals,
    MixedCurrencies,
    PaymentProviderRefused,
    PaymentProviderUnavailable,
    PriceNotInStripe,
)
from payments.shipping import checkout_shipping_rate_ids, shipping_checkout_key, shipping_line_item
from payments.stripe_client import stripe_client

logger = logging.getLogger(__name__)
# Stripe refuses a Checkout Session that expires sooner than this.
STRIPE_MIN_SESSION_MINUTES = 30
# The most characters Stripe takes in a custom_text message of a Checkout Session.
CUSTOM_TEXT_MAX_LENGTH = 1200


@dataclass(frozen=True)
class CheckoutStarted:
    order: Order
    url: str  # Stripe's hosted payment page


def checkout_session_create(*, cart: Cart, user, success_url: str, cancel_url: str) -> CheckoutStarted:
    """Create (or find again) the Checkout Session and PENDING order of `cart`, and freeze the cart.

    `user` is the signed-in shopper or None for a guest. `success_url` should carry
    `{CHECKOUT_SESSION_ID}`. Raise a CheckoutError, leaving the cart as it was, when the cart
    cannot be checked out or Stripe cannot be reached.
    """
    try:
        return _checkout_session_create(cart=cart, user=user, success_url=success_url, cancel_url=cancel_url)
    except _ExpiryTooClose:
        # The try whose answer was lost never reached Stripe after all: start afresh, once.
        return _checkout_session_create(cart=cart, user=user, success_url=success_url, cancel_url=cancel_url)


class _ExpiryTooClose(Exception):
    """Stripe refused the expiry kept from a try whose answer was lost: it is now too close."""


def _checkout_session_create(*, cart: Cart, user, success_url: str, cancel_url: str) -> CheckoutStarted:
    try:
        if cart.checkout_session_id:
            resumed = _checkout_resume(cart=cart)
            if resumed is not None:
                return resumed
        lines = _checkout_lines(cart)
        for line in lines:
            _stripe_price_ensure(line)
        if user:
            customer_id = customer_ensure_stripe(user=user)
        elif any(line.price.is_recurring for line in lines):
            # A subscription needs a customer; ours, so that it is on the simulator's test clock.
            customer_id = customer_create_for_guest(cart=cart)
        else:
            customer_id = ""
        shipping_rate_ids = _shipping_rate_ids(lines)
        recurring_shipping = cart_recurring_shipping(lines)
        one_time_shipping = cart_one_time_shipping(lines)
        key = _checkout_key(
            cart,
            lines,
            customer_id,
            success_url,
            cancel_url,
            [
                *shipping_rate_ids,
                *shipping_checkout_key(shipping=recurring_shipping),
                *shipping_checkout_key(shipping=one_time_shipping),
            ],
        )
        number = "ORD-" + key[:12].upper()
        trial_days = checkout_trial_days(BillingLine.of_price(line.price, line.quantity) for line in lines)
        expires_at = _checkout_expires_at(key)
        try:
            _checkout_hold_stock(number=number, lines=lines, expires_at=expires_at)
        except LineOutOfStock:
            _checkout_expires_at_forget(key)
            raise
        try:
            session = _stripe_session_create(
                cart=cart,
                lines=lines,
                number=number,
                key=key,
                customer_id=customer_id,
                trial_days=trial_days,
                success_url=success_url,
                cancel_url=cancel_url,
                shipping_rate_ids=shipping_rate_ids,
                recurring_shipping=recurring_shipping,
                one_time_shipping=one_time_shipping,
                expires_at=expires_at,
            )
        except stripe.APIConnectionError:
            # Stripe may have made the session and only its answer was lost: the next try sends
            # the same request (same expiry, same key), which Stripe answers with that session.
            stock_release_for_order(order_number=number, note="Checkout Session not created")
            raise
        except stripe.InvalidRequestError:
            _checkout_expires_at_forget(key)
            stock_release_for_order(order_number=number, note="Checkout Session not created")
            if expires_at < timezone.now() + timedelta(minutes=STRIPE_MIN_SESSION_MINUTES):
                raise _ExpiryTooClose from None
            raise
        except BaseException:
            # Stripe answered with a failure (which it would replay for this key), or the process
            # failed: the next try takes its own expiry, and so its own key.
            _checkout_expires_at_forget(key)
            stock_release_for_order(order_number=number, note="Checkout Session not created")
            raise
    except (stripe.APIConnectionError, stripe.APIError) as error:
        # APIError is Stripe failing on its side (a 5xx): an outage, not a refusal of this cart.
        logger.warning("checkout of cart %s: Stripe unavailable: %s", cart.pk, error)
        raise PaymentProviderUnavailable from error
    except stripe.StripeError as error:
        logger.error("checkout of cart %s: Stripe refused: %s", cart.pk, error)
        raise PaymentProviderRefused from error
    order, _ = order_create_from_cart(
        cart=cart,
        lines=lines,
        number=number,
        user=user,
        checkout_session_id=session.id,
        stripe_customer_id=customer_id,
        recurring_shipping=recurring_shipping,
        one_time_shipping=one_time_shipping,
    )
    _checkout_freeze_cart(cart=cart, order=order, lines=lines)
    return CheckoutStarted(order=order, url=session.url)


def checkout_session_cancel(*, cart: Cart) -> Order | None:
    """End the cart's open checkout at the shopper's request: expire the session, cancel the order.

    If Stripe says the session is no longer open (paid in another tab, or already expired), apply
    that instead. Return the order, or None when the cart had no checkout.
    """
    session_id = cart.checkout_session_id
    if not session_id:
        return None
    order = Order.objects.filter(stripe_checkout_session_id=session_id).first()
    client = stripe_client()
    try:
        try:
            session = client.v1.checkout.sessions.expire(session_id, {"expand": ["payment_intent"]})
        except stripe.InvalidRequestError:
            session = client.v1.checkout.sessions.retrieve(session_id, {"expand": ["payment_intent"]})
    except stripe.StripeError as error:
        logger.warning("cancel of checkout session %s failed: %s", session_id, error)
        raise PaymentProviderUnavailable(
            "We could not reach our payment provider to cancel the payment. Please try again in a moment."
        ) from error
    if order is None:
        cart_thaw(cart_id=cart.pk, checkout_session_id=session_id)
        return None
    return checkout_session_apply(order=order, session=session.to_dict())


def _checkout_resume(*, cart: Cart) -> CheckoutStarted | None:
    """Return the cart's open checkout again (a second click); None if it ended and the cart is free."""
    session = stripe_client().v1.checkout.sessions.retrieve(
        cart.checkout_session_id, {"expand": ["payment_intent"]}
    )
    order = Order.objects.filter(stripe_checkout_session_id=session.id).first()
    if session.status == "open" and order is not None and order.status == OrderStatus.PENDING:
        return CheckoutStarted(order=order, url=session.url)
    if order is not None:
        # Its webhook may not have arrived yet: apply what Stripe says now.
        checkout_session_apply(order=order, session=session.to_dict())
    else:
        cart_thaw(cart_id=cart.pk, checkout_session_id=session.id)
    cart.refresh_from_db()
    if cart.status != CartStatus.ACTIVE or cart.checkout_session_id:
        raise CheckoutInProgress
    return None


def _checkout_expires_at(key: str) -> datetime:
    """Return when the Checkout Session, and the stock it holds, expire: CHECKOUT_HOLD_MINUTES from now.

    Stripe takes 30 minutes to 24 hours; a few seconds more than asked, so that a short hold is
    not refused for the time the request takes to reach Stripe. A concurrent twin of the checkout
    (a double click) must send Stripe the same request, so the first one's time is kept for it,
    until the checkout is refused (_checkout_expires_at_forget).
    """
    minutes = min(max(settings.CHECKOUT_HOLD_MINUTES, STRIPE_MIN_SESSION_MINUTES), 24 * 60 - 1)
    proposed = (timezone.now() + timedelta(minutes=minutes, seconds=30)).replace(microsecond=0)
    cache_key = _expires_at_cache_key(key)
    cache.add(cache_key, proposed.isoformat(), timeout=minutes * 60)
    return datetime.fromisoformat(cache.get(cache_key) or proposed.isoformat())


def _checkout_expires_at_forget(key: str) -> None:
    """Forget the time of a checkout that got no session (stock refused, Stripe refused or failed):
    the shopper's retry, maybe minutes later, takes its own, else Stripe would find it too close."""
    cache.delete(_expires_at_cache_key(key))


def _expires_at_cache_key(key: str) -> str:
    return f"shop-checkout-expires-{key}"


def _checkout_hold_stock(*, number: str, lines: list, expires_at: datetime) -> None:
    """Hold the cart's units for the checkout, all lines or none; raise LineOutOfStock if one is short."""
    try:
        stock_hold_for_checkout(
            order_number=number,
            lines=[
                StockLine(
                    variant_id=line.price.variant_id,
                    quantity=line.quantity,
                    name=item_display_name(line.product.name, line.variant.label if line.variant else ""),
                )
                for line in lines
            ],
            expires_at=expires_at,
        )
    except NotEnoughStock as error:
        raise LineOutOfStock(name=error.name, available=error.available) from error


def _checkout_lines(cart: Cart) -> list:
    """Return the cart's lines, every one for sale now; raise a CheckoutError naming what is wrong."""
    lines = cart_lines(cart)
    if not lines:
        raise EmptyCart
    for line in lines:
        if line.awaits_stripe:
            raise PriceNotInStripe(product_name=line.product.name)
        # cart_lines checks the price is active, not deleted, and belongs to the line's product.
        if not line.is_available or line.quantity < 1:
            raise LineUnavailable(product_name=line.product.name)
    if len({line.price.currency for line in lines}) > 1:
        raise MixedCurrencies
    intervals = {
        (line.price.recurring_interval, line.price.recurring_interval_count)
        for line in lines
        if line.price.is_recurring
    }
    if len(intervals) > 1:
        raise MixedBillingIntervals
    return lines


def _stripe_price_ensure(line) -> None:
    """Give the line's price a Stripe price of the row's terms; raise PriceNotInStripe if Stripe's differ."""
    price = line.price
    if not price.stripe_price_id:
        catalog_price_ensure_stripe(price=price)
        return
    # The shop's amount may have changed since Stripe last heard of it (an unpushed edit): Checkout
    # charges Stripe's, so the two must agree before anything is sent.
    stripe_price = stripe_client().v1.prices.retrieve(price.stripe_price_id).to_dict()
    if stripe_price_terms(stripe_price) != price_terms(price):
        logger.warning(
            "checkout refused: price %s has terms %s, its Stripe price %s has %s",
            price.pk,
            price_terms(price),
            price.stripe_price_id,
            stripe_price_terms(stripe_price),
        )
        raise PriceNotInStripe(product_name=line.product.name)


def _requires_shipping(lines: list) -> bool:
    return any(line.product.requires_shipping for line in lines)


def _shipping_rate_ids(lines: list) -> list[str]:
    """Return the Stripe shipping rates to offer: none for an all-digital cart or a subscription."""
    # Checkout's shipping options are a one-time charge of a payment; a subscription checkout's
    # shipping is a line of its own: recurring (cart_recurring_shipping) or once (cart_one_time_shipping).
    if not _requires_shipping(lines) or any(line.price.is_recurring for line in lines):
        return []
    return checkout_shipping_rate_ids(currency=lines[0].price.currency)


def _checkout_key(
    cart: Cart, lines: list, customer_id: str, success_url: str, cancel_url: str, shipping_rate_ids: list[str]
) -> str:
    # The cart's updated_at moves when a checkout ends unpaid, so a later checkout of the same
    # items is a new session rather than a replay of the finished one. The shipping rates and the
    # tax setting are part of the request: staff changing them makes a new session, not a refusal.
    parts = [str(cart.pk), cart.updated_at.isoformat(), customer_id, success_url, cancel_url]
    parts += [*shipping_rate_ids, f"tax={settings.STRIPE_AUTOMATIC_TAX}"]
    # The variants' options too: Stripe's page names them (_variants_text), and staff may rename them.
    parts += sorted(
        f"{line.price.pk}:{line.price.stripe_price_id}:{line.price.unit_amount}:{line.quantity}:"
        f"{line.variant.label if line.variant else ''}"
        for line in lines
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _stripe_session_create(
    *,
    cart,
    lines,
    number,
    key,
    customer_id,
    trial_days,
    success_url,
    cancel_url,
    shipping_rate_ids,
    expires_at,
    recurring_shipping=None,
    one_time_shipping=None,
) -> stripe.checkout.Session:
    recurring = any(line.price.is_recurring for line in lines)
    metadata = {"order_number": number, "cart_id": str(cart.pk)}
    params = {
        "mode": "subscription" if recurring else "payment",
        # The stock held for this checkout is held exactly as long as the session can be paid.
        "expires_at": int(expires_at.astimezone(UTC).timestamp()),
        "line_items": [{"price": line.price.stripe_price_id, "quantity": line.quantity} for line in lines],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": number,
        "metadata": metadata,
        # The codes staff create in the catalog admin; Stripe's page takes them and discounts the session.
        "allow_promotion_codes": True,
    }
    if variants_text := _variants_text(lines):
        params["custom_text"] = {"submit": {"message": variants_text}}
    ships = _requires_shipping(lines)
    if ships:
        # Digital goods only: Stripe's page asks for no address.
        params["shipping_address_collection"] = {"allowed_countries": SHIPPING_COUNTRIES}
    if shipping_rate_ids:
        params["shipping_options"] = [{"shipping_rate": rate_id} for rate_id in shipping_rate_ids]
    if customer_id:
        params["customer"] = customer_id
        # The address typed on Stripe's page is saved to the customer, and the page opens with the
        # saved one next time (Stripe Tax reads it too).
        params["customer_update"] = {"address": "auto", **({"shipping": "auto"} if ships else {})}
    if settings.STRIPE_AUTOMATIC_TAX:
        params["automatic_tax"] = {"enabled": True}
    if recurring_shipping is not None:
        params["line_items"].append(shipping_line_item(shipping=recurring_shipping))
    if one_time_shipping is not None:
        params["line_items"].append(shipping_line_item(shipping=one_time_shipping))
    if recurring:
        params["subscription_data"] = {"metadata": {"order_number": number}}
        if trial_days:
            params["subscription_data"]["trial_period_days"] = trial_days
    else:
        # Copied by Stripe onto the charge too: payment and refund events find the order by it.
        params["payment_intent_data"] = {"metadata": {"order_number": number}}
    # A retry after a failure Stripe answered sends another expiry, so another key: Stripe refuses
    # a key's reuse with other parameters (and replays a failure it saved).
    idempotency_key = f"shop-checkout-{key}-{params['expires_at']}"
    return stripe_client().v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key})


def _variants_text(lines: list) -> str:
    """Return "Your choice: " and the lines of a variant with options, each as the order names it,
    for Stripe's page to show under its pay button; "" when no line has options.

    Stripe's page names a line by its Stripe Product, which every variant of a product shares, and a
    line charging a catalog Price takes no description of its own: without this the shopper could
    not see which size or colour they are paying for."""
    chosen = [
        f"{line.quantity} × {item_display_name(line.product.name, line.variant.label)}"
        for line in lines
        if line.variant and line.variant.label
    ]
    if not chosen:
        return ""
    text = f"Your choice: {'; '.join(chosen)}."
    # Stripe refuses a longer message.
    return text if len(text) <= CUSTOM_TEXT_MAX_LENGTH else text[: CUSTOM_TEXT_MAX_LENGTH - 1] + "…"


def _checkout_freeze_cart(*, cart: Cart, order: Order, lines: list) -> None:
    """Freeze the cart on the session; undo the checkout if the cart changed or moved on meanwhile."""
    if not cart_freeze(cart=cart, checkout_session_id=order.stripe_checkout_session_id):
        _checkout_abandon(order=order, cart=cart, reason="cart no longer open for this checkout")
        raise CartChangedDuringCheckout
    # A change that slipped in before the freeze would go unpaid: compare what is in the cart now.
    if _line_signature(cart_lines(cart)) != _line_signature(lines):
        _checkout_abandon(order=order, cart=cart, reason="cart changed during checkout")
        raise CartChangedDuringCheckout


def _checkout_abandon(*, order: Order, cart: Cart, reason: str) -> None:
    logger.warning("checkout %s of cart %s abandoned: %s", order.number, cart.pk, reason)
    try:
        stripe_client().v1.checkout.sessions.expire(order.stripe_checkout_session_id)
    except stripe.StripeError as error:
        # The session then expires on its own; its webhook finds the order already cancelled.
        logger.warning("could not expire checkout session %s: %s", order.stripe_checkout_session_id, error)
    order_cancel(order=order, note=f"Checkout abandoned: {reason}")


def _line_signature(lines: list) -> list:
    return sorted((str(line.price_id), line.quantity) for line in lines)

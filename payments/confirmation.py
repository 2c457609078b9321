"""Payment confirmation keyed on the Checkout Session: one function, called by the webhook and the
success page, that turns what Stripe says about the session into the order's payment state.
(Shipping is the order's fulfilment: orders.fulfilment.)

It never trusts the caller about the payment: it asks Stripe for the session and applies what
Stripe says. Each outcome is a conditional status move, so it takes effect exactly once however
often, and however concurrently, the function runs.
"""

from enum import StrEnum

from catalog.models import PromotionCode
from orders.models import Order
from orders.services import (
    PaymentDetails,
    order_cancel,
    order_mark_paid,
    order_mark_payment_failed,
    order_record_checkout,
)
from payments.invoices import invoice_payment_intent_id
from payments.stripe_client import stripe_client

_ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")
# A bank debit that bounced leaves the session complete and unpaid, and its payment intent here.
_FAILED_INTENT_STATUSES = {"requires_payment_method", "canceled"}


class CheckoutOutcome(StrEnum):
    """What a Checkout Session says about its order's payment."""

    OPEN = "open"
    PAID = "paid"
    SETTLING = "settling"
    PAYMENT_FAILED = "payment_failed"
    EXPIRED = "expired"


def checkout_session_confirm(*, session_id: str) -> Order | None:
    """Retrieve the Checkout Session from Stripe and apply it to its order; return the order.

    Return None, asking Stripe nothing, when no order has this session.
    """
    order = Order.objects.filter(stripe_checkout_session_id=session_id).first()
    if order is None:
        return None
    return checkout_session_apply(order=order, session=checkout_session_retrieve(session_id=session_id))


def checkout_session_retrieve(*, session_id: str) -> dict:
    """Return the Checkout Session as Stripe has it now, `payment_intent` expanded."""
    session = stripe_client().v1.checkout.sessions.retrieve(session_id, {"expand": ["payment_intent"]})
    return session.to_dict()


def checkout_session_outcome(session: dict) -> CheckoutOutcome:
    """Return what a Checkout Session (with `payment_intent` expanded) means for its order."""
    if session["status"] == "expired":
        return CheckoutOutcome.EXPIRED
    if session["status"] != "complete":
        return CheckoutOutcome.OPEN
    if session["payment_status"] in ("paid", "no_payment_required"):
        return CheckoutOutcome.PAID
    if _intent_status(session) in _FAILED_INTENT_STATUSES:
        return CheckoutOutcome.PAYMENT_FAILED
    return CheckoutOutcome.SETTLING


def checkout_session_apply(*, order: Order, session: dict) -> Order:
    """Apply a Checkout Session as Stripe returned it (with `payment_intent` expanded) to its order."""
    outcome = checkout_session_outcome(session)
    if outcome == CheckoutOutcome.EXPIRED:
        order_cancel(order=order, note="Checkout Session expired")
    elif outcome != CheckoutOutcome.OPEN:
        # Before any transaction: this asks Stripe for the line items.
        details = payment_details_from_session(session)
        if outcome == CheckoutOutcome.PAID:
            order_mark_paid(order=order, details=details, note=f"Paid: Checkout Session {session['id']}")
        else:
            order_record_checkout(order=order, details=details)
            if outcome == CheckoutOutcome.PAYMENT_FAILED:
                order_mark_payment_failed(order=order, note="The asynchronous payment failed")
    return order


def payment_details_from_session(session: dict) -> PaymentDetails:
    """Return what Stripe says the shopper was charged, and who and where they are."""
    customer = session.get("customer_details") or {}
    # The API version the shop pins has shipping only under collected_information (2025-03-31 on).
    shipping = (session.get("collected_information") or {}).get("shipping_details") or {}
    totals = session.get("total_details") or {}
    intent = session.get("payment_intent")
    # In subscription mode the first invoice holds the payment (none under a trial).
    invoice = session.get("invoice")
    invoice_id = (invoice["id"] if isinstance(invoice, dict) else invoice) or None
    intent_id = (intent["id"] if isinstance(intent, dict) else intent) or None
    if invoice_id and not intent_id:
        intent_id = invoice_payment_intent_id(invoice_id=invoice_id)
    return PaymentDetails(
        currency=session["currency"],
        amount_subtotal=session.get("amount_subtotal") or 0,
        amount_discount=totals.get("amount_discount") or 0,
        amount_tax=totals.get("amount_tax") or 0,
        amount_shipping=totals.get("amount_shipping") or 0,
        amount_total=session.get("amount_total") or 0,
        shipping_rate_name=_shipping_rate_name(session),
        customer_email=customer.get("email") or session.get("customer_email") or "",
        customer_name=customer.get("name") or "",
        billing_address=_address(customer.get("address")),
        shipping_name=shipping.get("name") or "",
        shipping_address=_address(shipping.get("address")),
        stripe_payment_intent_id=intent_id,
        stripe_invoice_id=invoice_id,
        stripe_customer_id=session.get("customer") or "",
        stripe_subscription_id=session.get("subscription") or "",
        discount_code=_discount_code(session),
        line_amounts=_line_amounts(session["id"]),
    )


def _line_amounts(session_id: str) -> dict:
    line_items = stripe_client().v1.checkout.sessions.line_items.list(session_id, {"limit": 100})
    # Before discount and tax, which the order shows as its own rows: the lines add up to the subtotal.
    return {
        item.price.id: (item.price.unit_amount, item.amount_subtotal)
        for item in line_items.auto_paging_iter()
        if item.price
    }


def _shipping_rate_name(session: dict) -> str:
    """Return the display name of the shipping rate the shopper chose ("" when none was offered)."""
    rate = (session.get("shipping_cost") or {}).get("shipping_rate")
    if not rate:
        return ""
    if isinstance(rate, str):
        rate = stripe_client().v1.shipping_rates.retrieve(rate).to_dict()
    return rate.get("display_name") or ""


def _discount_code(session: dict) -> str:
    """Return the promotion code the shopper typed on Stripe's page ("" when none)."""
    for discount in session.get("discounts") or []:
        promotion_code = discount.get("promotion_code")
        if isinstance(promotion_code, dict):
            return promotion_code.get("code") or ""
        if promotion_code:
            known = PromotionCode.objects.filter(stripe_promotion_code_id=promotion_code).first()
            if known is not None:
                return known.code
            return stripe_client().v1.promotion_codes.retrieve(promotion_code).code or ""
    return ""


def _intent_status(session: dict) -> str | None:
    intent = session.get("payment_intent")
    return intent.get("status") if isinstance(intent, dict) else None


def _address(address: dict | None) -> dict:
    if not address or not any(address.get(name) for name in _ADDRESS_FIELDS):
        return {}
    return {name: address.get(name) or "" for name in _ADDRESS_FIELDS}

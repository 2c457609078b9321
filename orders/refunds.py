"""Refunds staff request in admin: the order's rules, which the payment gateway calls.

A refund is requested through shop.payment_gateway: the gateway records it here first
(refund_create_pending), then sends it to the provider once and reports back (refund_mark_sent or
refund_mark_failed). The Refund row is written before the provider is called, with an idempotency key
made of the order and the request token of the form that asked for it, so a double submit can never
refund twice. The final amounts and statuses come only from the provider's refund webhooks, which
match the row through the `refund_id` in the refund's metadata: a refund made here and one made in
the Stripe dashboard land the same way.
"""

import re

from django.db import IntegrityError
from django.utils import timezone

from orders.exceptions import RefundAlreadyRequested, RefundAmountInvalid, RefundNotAllowed
from orders.models import Order, Refund, RefundStatus
from orders.selectors import order_refundable_amount
from shop.money import format_money

# The reasons Stripe accepts on a refund; what staff write goes in the refund's own `reason`.
STRIPE_REFUND_REASONS = {
    "requested_by_customer": "Requested by the customer",
    "duplicate": "Duplicate payment",
    "fraudulent": "Fraudulent payment",
}
REQUEST_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def refund_idempotency_key(*, order: Order, request_token: str) -> str:
    return f"shop-refund-{order.pk}-{request_token}"


def refund_create_pending(
    *, order: Order, amount: int, reason: str, requested_by, request_token: str, stripe_reason: str
) -> Refund:
    """Record the request to refund `amount` (minor units) of the order; return the PENDING Refund.

    Raise RefundNotAllowed (not paid, nothing to refund), RefundAmountInvalid or
    RefundAlreadyRequested (this request token was used before); nothing is written then.
    """
    if not REQUEST_TOKEN_PATTERN.match(request_token):
        raise ValueError("request_token must be 16 to 64 URL-safe characters")
    if stripe_reason not in STRIPE_REFUND_REASONS:
        raise ValueError(f"unknown Stripe refund reason {stripe_reason!r}")
    key = refund_idempotency_key(order=order, request_token=request_token)
    if (existing := Refund.objects.filter(idempotency_key=key).first()) is not None:
        raise RefundAlreadyRequested(existing)
    order.refresh_from_db()
    if not order.is_paid:
        payment = order.get_payment_status_display().lower()
        raise RefundNotAllowed(f"Order {order.number} cannot be refunded: its payment is {payment}.")
    if not order.stripe_payment_intent_id:
        raise RefundNotAllowed(f"Order {order.number} has no Stripe payment to refund.")
    refundable = order_refundable_amount(order=order)
    if amount <= 0:
        raise RefundAmountInvalid("Enter an amount greater than zero.", refundable=refundable)
    if amount > refundable:
        left = format_money(refundable, order.currency)
        raise RefundAmountInvalid(
            f"At most {left} of order {order.number} can still be refunded.", refundable=refundable
        )
    refund = Refund(
        order=order,
        amount=amount,
        currency=order.currency,
        reason=reason[:255],
        status=RefundStatus.PENDING,
        requested_by=requested_by,
        idempotency_key=key,
    )
    try:
        # Unique idempotency key: of two identical submits racing, one row wins.
        refund.save(force_insert=True)
    except IntegrityError:
        raise RefundAlreadyRequested(Refund.objects.get(idempotency_key=key)) from None
    return refund


def refund_mark_sent(*, refund: Refund, stripe_refund_id: str) -> None:
    """Record the provider's id of the refund it accepted."""
    # The refund's webhook may have recorded the Stripe id first (matched by metadata): keep it.
    Refund.objects.filter(pk=refund.pk, stripe_refund_id__isnull=True).update(
        stripe_refund_id=stripe_refund_id, updated_at=timezone.now()
    )
    refund.refresh_from_db()


def refund_mark_failed(*, refund: Refund, message: str) -> None:
    """Record that the provider refused the refund or could not be reached, and why."""
    # A webhook may already have settled it (Stripe refunded, then the answer was lost): keep that.
    Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING, stripe_refund_id__isnull=True).update(
        status=RefundStatus.FAILED, last_error=message, updated_at=timezone.now()
    )
    refund.refresh_from_db()

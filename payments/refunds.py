"""The refund call: a refund staff request in admin, recorded by the order's rules, sent to Stripe once.

orders.refunds validates the request and writes the PENDING Refund before Stripe is called; the
request carries the refund's idempotency key, so Stripe refunds once however often it is sent.
"""

import logging

import stripe

from orders.exceptions import RefundFailed
from orders.models import Order, Refund
from orders.refunds import refund_create_pending, refund_mark_failed, refund_mark_sent
from payments.stripe_client import stripe_client, stripe_error_message
from shop.money import format_money

logger = logging.getLogger(__name__)

# Stripe's `failure_reason` of a refund, in words for staff.
REFUND_FAILURE_REASONS = {
    "lost_or_stolen_card": "the card was reported lost or stolen",
    "expired_or_canceled_card": "the card was expired or canceled",
    "charge_for_pending_refund_disputed": "the payment was disputed while the refund was pending",
    "insufficient_funds": "the Stripe balance could not cover it",
    "declined": "the card's bank declined it",
    "merchant_request": "it was canceled on request",
    "unknown": "Stripe gave no reason",
}


def order_refund_request(
    *,
    order: Order,
    amount: int,
    reason: str,
    requested_by,
    request_token: str,
    stripe_reason: str = "requested_by_customer",
) -> Refund:
    """Ask Stripe to refund `amount` (minor units) of the order's payment; return the PENDING Refund.

    Raise RefundNotAllowed (not paid, nothing to refund), RefundAmountInvalid, RefundAlreadyRequested
    (this request token was used before: nothing is sent again) or RefundFailed (Stripe refused or
    was unreachable: the Refund is FAILED with Stripe's message, nothing else changed).
    """
    refund = refund_create_pending(
        order=order,
        amount=amount,
        reason=reason,
        requested_by=requested_by,
        request_token=request_token,
        stripe_reason=stripe_reason,
    )
    params = {
        "payment_intent": order.stripe_payment_intent_id,
        "amount": refund.amount,
        "reason": stripe_reason,
        "metadata": {
            "refund_id": str(refund.pk),
            "order_number": order.number,
            "requested_by": getattr(requested_by, "email", "") or "",
        },
    }
    try:
        stripe_refund = stripe_client().v1.refunds.create(params, {"idempotency_key": refund.idempotency_key})
    except stripe.StripeError as error:
        message = stripe_error_message(error)
        logger.warning("order %s: refund %s failed: %s", order.number, refund.pk, error)
        refund_mark_failed(refund=refund, message=message)
        raise RefundFailed(refund, f"Stripe did not refund order {order.number}: {message}") from error
    refund_mark_sent(refund=refund, stripe_refund_id=stripe_refund.id)
    logger.info("order %s: refund %s sent to Stripe as %s", order.number, refund.pk, stripe_refund.id)
    return refund


def refund_failure_message(refund: dict) -> str:
    """Say, for staff, what became of a failed or canceled Stripe refund (a Refund object)."""
    amount = format_money(refund["amount"], refund["currency"])
    outcome = "was canceled" if refund.get("status") == "canceled" else "failed at Stripe"
    reason = refund.get("failure_reason") or ""
    why = f": {REFUND_FAILURE_REASONS.get(reason, reason)} ({reason})" if reason else ""
    return (
        f"The refund of {amount} {outcome}{why}. Nothing was refunded ({refund['id']}); the "
        "customer is still owed the money."
    )

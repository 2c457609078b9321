"""Stripe subscriptions: the calls that read and change them, and the webhook handlers that keep the
shop's records (subscriptions.models.Subscription) in step.

Every handler reads the subscription again from Stripe and applies that, never the event's copy:
deliveries come late, twice and out of order, and whichever arrives last then still writes Stripe's
current state.
"""

import logging
from datetime import UTC, datetime

import stripe

from payments.exceptions import EventIgnored
from payments.stripe_client import stripe_client, stripe_error_message
from payments.stripe_objects import event_object_from_stripe, stripe_object_retrieve
from subscriptions.emails import subscription_invoice_unpaid_send, subscription_trial_ending_send
from subscriptions.exceptions import SubscriptionChangeFailed
from subscriptions.models import Subscription, SubscriptionEmailKind
from subscriptions.services import subscription_apply_stripe

logger = logging.getLogger(__name__)

# The customer's email and the products' names, for the record.
_EXPAND = ["customer", "items.data.price.product"]


def subscription_sync(*, stripe_subscription_id: str) -> Subscription:
    """Read the subscription from Stripe and apply it to its record; return the record.

    Raise EventIgnored when Stripe has no such subscription.
    """
    current = stripe_object_retrieve(kind="subscription", object_id=stripe_subscription_id, expand=_EXPAND)
    return subscription_apply_stripe(data=current)


def subscription_cancel_at_stripe(*, subscription: Subscription, at_period_end: bool) -> Subscription:
    """Cancel at Stripe now, or at the period's end; apply Stripe's answer to the record."""
    subscriptions = stripe_client().v1.subscriptions
    try:
        if at_period_end:
            changed = subscriptions.update(
                subscription.stripe_subscription_id, params={"cancel_at_period_end": True, "expand": _EXPAND}
            )
        else:
            changed = subscriptions.cancel(subscription.stripe_subscription_id, params={"expand": _EXPAND})
    except stripe.StripeError as error:
        logger.warning("subscription %s: cancel refused: %s", subscription.stripe_subscription_id, error)
        raise SubscriptionChangeFailed(stripe_error_message(error)) from error
    return subscription_apply_stripe(data=changed.to_dict())


def subscription_resume_at_stripe(*, subscription: Subscription) -> Subscription:
    """Undo a cancellation at period end at Stripe; apply Stripe's answer to the record."""
    try:
        changed = stripe_client().v1.subscriptions.update(
            subscription.stripe_subscription_id, params={"cancel_at_period_end": False, "expand": _EXPAND}
        )
    except stripe.StripeError as error:
        logger.warning("subscription %s: resume refused: %s", subscription.stripe_subscription_id, error)
        raise SubscriptionChangeFailed(stripe_error_message(error)) from error
    return subscription_apply_stripe(data=changed.to_dict())


def billing_portal_session_url(*, customer: str, return_url: str) -> str:
    """Open a customer portal session at Stripe; return its address."""
    try:
        session = stripe_client().v1.billing_portal.sessions.create(
            params={"customer": customer, "return_url": return_url}
        )
    except stripe.StripeError as error:
        logger.warning("customer %s: portal session refused: %s", customer, error)
        raise SubscriptionChangeFailed(stripe_error_message(error)) from error
    return session.url


# --- Webhook handlers ----------------------------------------------------------------------


def customer_subscription_changed(event: dict) -> None:
    """created, updated, deleted, paused, resumed: apply the subscription as Stripe has it now."""
    subscription_apply_stripe(data=event_object_from_stripe(event, expand=_EXPAND))


def customer_subscription_trial_will_end(event: dict) -> None:
    """Apply the subscription, then remind the customer (once per trial) if the trial still ends."""
    subscription = subscription_apply_stripe(data=event_object_from_stripe(event, expand=_EXPAND))
    if subscription.status == "trialing":
        subscription_trial_ending_send(subscription=subscription)


def invoice_upcoming(event: dict) -> None:
    """Apply the upcoming invoice's subscription as Stripe has it now.

    An upcoming invoice has no id to read it by: the subscription it names is the object's id here,
    read from Stripe like any other (in an older API version's event it sits at the top level).
    """
    invoice = event["data"]["object"]
    subscription = invoice.get("subscription")
    if not isinstance(subscription, str):
        subscription = invoice_subscription_id(invoice)
    subscription_sync(stripe_subscription_id=subscription)


def invoice_payment_failed(event: dict) -> None:
    """Apply the subscription (past_due, as Stripe has it) and ask the customer, once per invoice,
    to update their card."""
    _invoice_unpaid_notify(event, kind=SubscriptionEmailKind.PAYMENT_FAILED)


def invoice_payment_action_required(event: dict) -> None:
    """Apply the subscription (past_due, as Stripe has it) and ask the customer, once per invoice,
    to confirm the payment their bank wants authenticated (Stripe does not retry it)."""
    _invoice_unpaid_notify(event, kind=SubscriptionEmailKind.PAYMENT_ACTION_REQUIRED)


def _invoice_unpaid_notify(event: dict, *, kind: str) -> None:
    """Apply the invoice's subscription and send the `kind` email, unless the invoice was paid or
    voided since or the subscription ended."""
    invoice = event_object_from_stripe(event)
    subscription = subscription_sync(stripe_subscription_id=invoice_subscription_id(invoice))
    if invoice.get("status") != "open" or not subscription.is_live:
        # Paid or voided since, or the subscription ended: a new card or a confirmation would change nothing.
        logger.info("invoice %s is %s: no %s email", invoice["id"], invoice.get("status"), kind)
        return
    next_attempt = invoice.get("next_payment_attempt")
    subscription_invoice_unpaid_send(
        subscription=subscription,
        kind=kind,
        invoice_id=invoice["id"],
        amount_due=invoice.get("amount_remaining", invoice.get("amount_due", 0)),
        currency=invoice["currency"],
        next_attempt_at=datetime.fromtimestamp(next_attempt, UTC) if isinstance(next_attempt, int) else None,
        hosted_invoice_url=invoice.get("hosted_invoice_url") or "",
    )


def invoice_subscription_id(invoice: dict) -> str:
    """Return the id of the subscription an invoice bills (API 2025-03-31 on: under `parent`)."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription = details.get("subscription")
    if isinstance(subscription, dict):
        subscription = subscription.get("id")
    if not subscription:
        raise EventIgnored(f"invoice {invoice.get('id') or '(upcoming)'} bills no subscription")
    return subscription

"""Stripe subscriptions: the calls that read and change them, and the webhook handlers that keep the
shop's records (subscriptions.models.Subscription) in step.

Every handler reads the subscription again from Stripe and applies that, never the event's copy:
deliveries come late, twice and out of order, and whichever arrives last then still writes Stripe's
current state.
"""

import logging
from dataclasses import replace
from datetime import UTC, datetime

import stripe
from django.utils import timezone

from payments.exceptions import EventIgnored
from payments.stripe_client import stripe_client, stripe_error_message
from payments.stripe_objects import event_object_from_stripe, stripe_object_retrieve
from subscriptions.emails import subscription_invoice_unpaid_send, subscription_trial_ending_send
from subscriptions.exceptions import SubscriptionChangeFailed, SubscriptionPaymentDeclined
from subscriptions.models import Subscription, SubscriptionEmailKind
from subscriptions.plan_changes import ChangePreview, PlanChange
from subscriptions.services import subscription_apply_stripe

logger = logging.getLogger(__name__)

# The customer's email and the products' names, for the record.
_EXPAND = ["customer", "items.data.price.product"]


def subscription_sync(*, stripe_subscription_id: str) -> Subscription:
    """Read the subscription from Stripe and apply it to its record; return the record.

    Raise EventIgnored when Stripe has no such subscription.
    """
    read_at = timezone.now()
    current = stripe_object_retrieve(kind="subscription", object_id=stripe_subscription_id, expand=_EXPAND)
    return subscription_apply_stripe(data=current, read_at=read_at)


def subscription_cancel_at_stripe(*, subscription: Subscription, at_period_end: bool) -> Subscription:
    """Cancel at Stripe now, or at the period's end; apply Stripe's answer to the record."""
    subscriptions = stripe_client().v1.subscriptions
    read_at = timezone.now()
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
    return subscription_apply_stripe(data=changed.to_dict(), read_at=read_at)


def subscription_resume_at_stripe(*, subscription: Subscription) -> Subscription:
    """Undo a cancellation at period end at Stripe; apply Stripe's answer to the record."""
    read_at = timezone.now()
    try:
        changed = stripe_client().v1.subscriptions.update(
            subscription.stripe_subscription_id, params={"cancel_at_period_end": False, "expand": _EXPAND}
        )
    except stripe.StripeError as error:
        logger.warning("subscription %s: resume refused: %s", subscription.stripe_subscription_id, error)
        raise SubscriptionChangeFailed(stripe_error_message(error)) from error
    return subscription_apply_stripe(data=changed.to_dict(), read_at=read_at)


def subscription_preview_change_at_stripe(*, subscription: Subscription, change: PlanChange) -> ChangePreview:
    """Ask Stripe's invoice preview what `change` costs: charged now (an upgrade, or any change
    when `change.charge_now`), and what each period is billed from the next one on (tax and
    discounts as Stripe will apply them)."""
    # Without prorations the preview is the next renewal's invoice at the new terms.
    next_period = _preview_at_stripe(subscription, {**_items_param(change), "proration_behavior": "none"})
    preview = ChangePreview(
        change=change,
        currency=next_period.currency,
        amount_next=next_period.amount_due,
        next_at=datetime.fromtimestamp(next_period.period_end, UTC),
    )
    if not change.charge_now:
        return preview
    details = {**_items_param(change), "proration_behavior": _proration_behavior(change)}
    if change.proration_date:
        details["proration_date"] = change.proration_date
    now = _preview_at_stripe(subscription, details)
    return replace(
        preview,
        amount_now=now.amount_due,
        credit_now=max(0, -now.total),
        proration_date=now.parent.subscription_details.subscription_proration_date,
    )


def _preview_at_stripe(subscription: Subscription, details: dict):
    try:
        return stripe_client().v1.invoices.create_preview(
            params={"subscription": subscription.stripe_subscription_id, "subscription_details": details}
        )
    except stripe.StripeError as error:
        logger.warning("subscription %s: preview refused: %s", subscription.stripe_subscription_id, error)
        raise SubscriptionChangeFailed(stripe_error_message(error)) from error


def subscription_change_at_stripe(*, subscription: Subscription, change: PlanChange) -> Subscription:
    """Change the item's price or quantity at Stripe, prorated and charged now (`charge_now`) or
    from the next period; apply Stripe's answer to the record.

    A change charged now is made only if its invoice is paid (Stripe's pending updates): raise
    SubscriptionPaymentDeclined when it was not, the subscription as it was.
    """
    params = {**_items_param(change), "proration_behavior": _proration_behavior(change), "expand": _EXPAND}
    if change.charge_now:
        # Stripe's default applies the change even when the charge is declined, leaving it unpaid.
        params["payment_behavior"] = "pending_if_incomplete"
        if change.proration_date:
            params["proration_date"] = change.proration_date
    read_at = timezone.now()
    changed = _stripe_update(subscription, params, "change")
    record = subscription_apply_stripe(data=changed, read_at=read_at)
    if changed.get("pending_update"):
        # Stripe voids its invoice and drops the change when it expires, unless the customer pays it.
        logger.info(
            "subscription %s: change declined, waits unapplied until %s",
            subscription.stripe_subscription_id,
            changed["pending_update"].get("expires_at"),
        )
        raise SubscriptionPaymentDeclined()
    return record


def subscription_pause_at_stripe(*, subscription: Subscription, resumes_at: datetime | None) -> Subscription:
    """Pause collection at Stripe: renewals until `resumes_at` (or until resumed) are voided, so
    nothing is charged or shipped; apply Stripe's answer to the record."""
    pause = {"behavior": "void"}
    if resumes_at is not None:
        pause["resumes_at"] = int(resumes_at.timestamp())
    return _update_at_stripe(subscription, {"pause_collection": pause, "expand": _EXPAND}, "pause")


def subscription_unpause_at_stripe(*, subscription: Subscription) -> Subscription:
    """Collect the renewals again from the next one; apply Stripe's answer to the record."""
    return _update_at_stripe(subscription, {"pause_collection": "", "expand": _EXPAND}, "unpause")


def _update_at_stripe(subscription: Subscription, params: dict, what: str) -> Subscription:
    read_at = timezone.now()
    return subscription_apply_stripe(data=_stripe_update(subscription, params, what), read_at=read_at)


def _stripe_update(subscription: Subscription, params: dict, what: str) -> dict:
    """Update the subscription at Stripe; answer Stripe's subscription."""
    try:
        changed = stripe_client().v1.subscriptions.update(subscription.stripe_subscription_id, params=params)
    except stripe.StripeError as error:
        logger.warning("subscription %s: %s refused: %s", subscription.stripe_subscription_id, what, error)
        raise SubscriptionChangeFailed(stripe_error_message(error)) from error
    return changed.to_dict()


def _items_param(change: PlanChange) -> dict:
    return {
        "items": [{"id": change.stripe_item_id, "price": change.stripe_price_id, "quantity": change.quantity}]
    }


def _proration_behavior(change: PlanChange) -> str:
    # Charged now: the unused time is credited and the rest of the period charged at once. Else
    # the period already paid stands and the next renewal bills the new price.
    return "always_invoice" if change.charge_now else "none"


# --- Webhook handlers ----------------------------------------------------------------------


def customer_subscription_changed(event: dict) -> None:
    """created, updated, deleted, paused, resumed: apply the subscription as Stripe has it now."""
    read_at = timezone.now()
    subscription_apply_stripe(data=event_object_from_stripe(event, expand=_EXPAND), read_at=read_at)


def customer_subscription_trial_will_end(event: dict) -> None:
    """Apply the subscription, then remind the customer (once per trial) if the trial still ends."""
    read_at = timezone.now()
    subscription = subscription_apply_stripe(
        data=event_object_from_stripe(event, expand=_EXPAND), read_at=read_at
    )
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
    if invoice.get("billing_reason") == "subscription_update":
        # A plan change charged now and declined: the customer was told on the page, and the
        # change waits unapplied (Stripe's pending update) until it is paid or expires.
        logger.info("invoice %s of a plan change is unpaid: no %s email", invoice["id"], kind)
        return
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

"""Email to the customer about their subscription, each in HTML and plain text, each sent once."""

import logging
from datetime import datetime

from django.conf import settings

from shop.mail import mail_send
from subscriptions.links import SUBSCRIPTION_LINK_MAX_AGE, subscription_link_url
from subscriptions.models import Subscription, SubscriptionEmailKind
from subscriptions.selectors import subscription_email_was_sent
from subscriptions.services import subscription_email_record

logger = logging.getLogger(__name__)


# The emails about an invoice Stripe could not collect: the template and the subject of each kind.
_UNPAID_INVOICE_EMAILS = {
    SubscriptionEmailKind.PAYMENT_FAILED: ("payment_failed", "Your payment failed: update your card"),
    SubscriptionEmailKind.PAYMENT_ACTION_REQUIRED: (
        "payment_action_required",
        "Confirm your payment to keep your subscription",
    ),
}


def subscription_invoice_unpaid_send(
    *,
    subscription: Subscription,
    kind: str,
    invoice_id: str,
    amount_due: int,
    currency: str,
    next_attempt_at: datetime | None,
    hosted_invoice_url: str = "",
) -> bool:
    """Tell the customer a payment of the subscription did not go through and what to do: update
    their card (PAYMENT_FAILED), or confirm the payment (PAYMENT_ACTION_REQUIRED) on Stripe's
    invoice page, else on their subscription's page.

    Sent once per invoice and kind; return False when it was sent before or there is no address.
    """
    template, subject = _UNPAID_INVOICE_EMAILS[kind]
    context = {
        "amount_due": amount_due,
        "currency": currency,
        "next_attempt_at": next_attempt_at,
        "hosted_invoice_url": hosted_invoice_url,
    }
    return _subscription_email_send(
        subscription=subscription,
        kind=kind,
        reference=invoice_id,
        template=template,
        subject=subject,
        context=context,
    )


def subscription_trial_ending_send(*, subscription: Subscription) -> bool:
    """Remind the customer their trial ends soon and what will then be charged.

    Sent once per trial end; return False when it was sent before, there is no address or no trial.
    """
    if subscription.trial_end is None:
        return False
    return _subscription_email_send(
        subscription=subscription,
        kind=SubscriptionEmailKind.TRIAL_ENDING,
        reference=subscription.trial_end.isoformat(),
        template="trial_ending",
        subject="Your free trial ends soon",
        context={},
    )


def _subscription_email_send(
    *, subscription: Subscription, kind: str, reference: str, template: str, subject: str, context: dict
) -> bool:
    recipient = subscription.customer_email or (subscription.user.email if subscription.user_id else "")
    if not recipient:
        logger.warning(
            "subscription %s: no email address to send %s to", subscription.stripe_subscription_id, kind
        )
        return False
    if subscription_email_was_sent(subscription=subscription, kind=kind, reference=reference):
        return False
    context = {
        **context,
        "subscription": subscription,
        "subscription_url": subscription_link_url(subscription=subscription),
        "link_days": SUBSCRIPTION_LINK_MAX_AGE.days,
    }
    # Queued before it is recorded: a run that dies in between leaves no record, so the next run
    # asks again, and the email's key queues it once.
    queued = mail_send(
        template=f"subscriptions/email/{template}",
        context=context,
        subject=f"{subject} ({settings.SITE_NAME})",
        recipient=recipient,
        key=f"subscription-{subscription.pk}-{kind}-{reference}",
    )
    subscription_email_record(subscription=subscription, kind=kind, reference=reference, recipient=recipient)
    if not queued:
        return False
    logger.info("subscription %s: %s sent to %s", subscription.stripe_subscription_id, kind, recipient)
    return True

"""Recovering what the webhook missed, from Stripe's side: events the shop never stored go through
the same inbox as a delivery (stored once, processed once), and orders still awaiting payment are
re-asked about their Checkout Session.

Safe to run at any time and several times at once: an event is processed by whoever stored it
(the inbox's unique stripe_event_id decides, its processing lease guards the rest), and every
order move is conditional.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

import stripe
from django.db import DatabaseError, connection
from django.utils import timezone
from pymongo.errors import PyMongoError

from orders.exceptions import InvalidStatusTransition
from orders.models import Order, OrderStatus
from payments.confirmation import (
    CheckoutOutcome,
    checkout_session_apply,
    checkout_session_outcome,
    checkout_session_retrieve,
)
from payments.exceptions import WebhookEventInProgress
from payments.models import WebhookEvent
from payments.services import webhook_event_process, webhook_event_store
from payments.stripe_client import stripe_client

logger = logging.getLogger(__name__)

# Stripe lists the events of the last 30 days only.
STRIPE_EVENT_RETENTION = timedelta(days=30)
# Asked again before the newest stored event: the events of one second, and those created while
# it was in flight, reach the shop in any order.
EVENT_OVERLAP = timedelta(minutes=5)
# Younger orders are most likely a shopper still on Stripe's page.
PENDING_ORDER_AGE = timedelta(minutes=5)

# What a session's outcome (dry run), or the order's status after applying it, counts as.
_COUNTED_OUTCOMES = {
    CheckoutOutcome.PAID: "confirmed",
    CheckoutOutcome.EXPIRED: "cancelled",
    CheckoutOutcome.PAYMENT_FAILED: "failed",
}
_COUNTED_STATUSES = {
    OrderStatus.PROCESSING: "confirmed",
    # Paid, with nothing to ship (digital goods and services only).
    OrderStatus.COMPLETED: "confirmed",
    OrderStatus.CANCELLED: "cancelled",
    OrderStatus.FAILED: "failed",
}


@dataclass
class EventRecovery:
    """Events listed by Stripe, and what became of those the shop had not stored."""

    seen: int = 0
    unseen: int = 0
    stored: int = 0
    processed: int = 0
    failed: int = 0
    elsewhere: int = 0  # stored here, but another worker held or finished its processing
    errors: list[str] = field(default_factory=list)


@dataclass
class OrderReconciliation:
    """Orders awaiting payment asked about, by what Stripe's answer did (or would do) to them."""

    checked: int = 0
    confirmed: int = 0
    cancelled: int = 0
    failed: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def stripe_events_recent() -> dict[str, dict]:
    """Return, by id, the events Stripe has that may be missing from the inbox.

    Two lists cover them: the events no endpoint acknowledged (`delivery_success=false`, however
    old), and every event since the newest stored one, for those Stripe delivered but the shop
    lost. Neither reaches back beyond Stripe's 30 days.
    """
    oldest = int(time.time() - STRIPE_EVENT_RETENTION.total_seconds())
    since = oldest
    # The most recently received event (an indexed read) was created no later than the newest
    # stored one, so the window may open earlier than needed, never later.
    newest = WebhookEvent.objects.order_by("-received_at").first()
    if newest is not None:
        created = newest.stripe_created_at or newest.received_at
        since = max(oldest, int((created - EVENT_OVERLAP).timestamp()))
    events = stripe_client().v1.events
    listed = {}
    for params in (
        {"delivery_success": False, "created": {"gte": oldest}},
        {"created": {"gte": since}},
    ):
        for event in events.list({**params, "limit": 100}).auto_paging_iter():
            # for_json: Stripe's decimal strings back as the strings a webhook delivery carries.
            listed.setdefault(event.id, event.to_dict(for_json=True))
    return listed


def webhook_events_recover(*, dry_run: bool = False) -> EventRecovery:
    """Store and process, oldest first, the events Stripe has and the inbox does not.

    Stored events are left alone, failed ones included: `retry_webhooks` retries those up to its
    attempt limit, which a run every few minutes would otherwise bypass. With `dry_run`, only count.
    """
    listed = stripe_events_recent()
    stored_ids = set(
        WebhookEvent.objects.filter(stripe_event_id__in=list(listed)).values_list(
            "stripe_event_id", flat=True
        )
    )
    unseen = sorted(
        (event for event_id, event in listed.items() if event_id not in stored_ids),
        key=lambda event: event["created"],
    )
    recovery = EventRecovery(seen=len(listed), unseen=len(unseen))
    if dry_run:
        return recovery
    for payload in unseen:
        try:
            event, created = webhook_event_store(event=payload)
        except DatabaseError as error:
            recovery.failed += 1
            recovery.errors.append(f"{payload['id']} ({payload['type']}) could not be stored: {error}")
            continue
        if not created:
            # Another run, or the webhook, stored it a moment ago: processing it is theirs.
            continue
        recovery.stored += 1
        try:
            processed_here = webhook_event_process(event=event)
        except WebhookEventInProgress:
            recovery.elsewhere += 1
        except Exception as error:
            # The inbox recorded the error on the event; retry_webhooks takes it from here.
            recovery.failed += 1
            recovery.errors.append(f"{event.stripe_event_id} ({event.type}) failed: {error}")
            # A transaction that failed at commit can leave its session on the connection.
            connection.close()
        else:
            if processed_here:
                recovery.processed += 1
            else:
                recovery.elsewhere += 1
    return recovery


def pending_orders_reconcile(
    *, older_than: timedelta = PENDING_ORDER_AGE, dry_run: bool = False
) -> OrderReconciliation:
    """Ask Stripe about each order still PENDING after `older_than` and apply its Checkout Session.

    PENDING covers every order awaiting its payment (a card being retried, a bank debit settling).
    A PROCESSING order is paid: its session has nothing more to say, and what happens to it
    afterwards (refunds, disputes) arrives as events, which `webhook_events_recover` catches up.
    With `dry_run`, report what applying each session would do.
    """
    cutoff = timezone.now() - older_than
    orders = Order.objects.filter(
        status=OrderStatus.PENDING, stripe_checkout_session_id__isnull=False, created_at__lt=cutoff
    ).order_by("created_at")
    result = OrderReconciliation()
    for order in orders:
        result.checked += 1
        try:
            session = checkout_session_retrieve(session_id=order.stripe_checkout_session_id)
            if dry_run:
                counted = _COUNTED_OUTCOMES.get(checkout_session_outcome(session), "unchanged")
            else:
                checkout_session_apply(order=order, session=session)
                order.refresh_from_db(fields=["status"])
                counted = _COUNTED_STATUSES.get(order.status, "unchanged")
        except (stripe.StripeError, InvalidStatusTransition, DatabaseError, PyMongoError) as error:
            logger.warning("reconcile: order %s not settled", order.number, exc_info=True)
            result.errors.append(f"order {order.number}: {type(error).__name__}: {error}")
            connection.close()
            continue
        setattr(result, counted, getattr(result, counted) + 1)
    return result

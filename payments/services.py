"""Stripe webhook events: stored once, then processed once.

An event is stored (unique stripe_event_id) before anything else, so none is lost and a
redelivery is recognised. Processing is claimed with a conditional update on the event
(`processing_started_at`, a lease), so two concurrent deliveries of one event run its handler
once. Handlers are idempotent (conditional single-document writes, no multi-document
transaction), so a run cut short is simply run again. Every write here is retried while the
database is busy with another session's transaction.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F, Q
from django.utils import timezone

from orders.exceptions import InvalidStatusTransition
from payments.exceptions import EventIgnored, WebhookEventInProgress
from payments.models import WebhookEvent
from payments.webhooks import WEBHOOK_HANDLERS
from shop.transactions import run_retrying

logger = logging.getLogger(__name__)


def processing_lease() -> timedelta:
    """How long a worker holds an event it processes; after that it is presumed dead and the event
    may be taken over (WEBHOOK_PROCESSING_LEASE_SECONDS)."""
    return timedelta(seconds=settings.WEBHOOK_PROCESSING_LEASE_SECONDS)


def webhook_event_store(*, event: dict) -> tuple[WebhookEvent, bool]:
    """Store a verified Stripe event unless it is stored already; return (stored event, created)."""
    created_at = event.get("created")

    def store():
        return WebhookEvent.objects.create(
            stripe_event_id=event["id"],
            type=event["type"],
            api_version=event.get("api_version") or "",
            livemode=bool(event.get("livemode")),
            payload=event,
            stripe_created_at=datetime.fromtimestamp(created_at, UTC)
            if isinstance(created_at, int)
            else None,
        )

    try:
        stored = run_retrying(store)
    except IntegrityError:
        return WebhookEvent.objects.get(stripe_event_id=event["id"]), False
    if stored.api_version_differs:
        logger.warning(
            "webhook %s (%s) is rendered in API version %s, not the shop's %s: set the endpoint's version",
            stored.stripe_event_id,
            stored.type,
            stored.api_version,
            settings.STRIPE_API_VERSION,
        )
    return stored, True


def webhook_event_process(*, event: WebhookEvent) -> bool:
    """Run the event's handler unless it already ran; return False if it had.

    Unknown types have no handler and are simply marked processed. A handler that moves a status
    backwards met an event superseded by a later one (or money taken for an order that had ended
    unpaid, which staff were told of), and one that raises EventIgnored met an event
    about something the shop does not have: either is marked processed, with a note saying why, and
    not retried. Any other failure increments `attempts`, records `last_error` and is re-raised.
    Raise WebhookEventInProgress while another worker holds the event.
    """
    if event.processed:
        return False
    started_at = timezone.now()
    claimable = WebhookEvent.objects.filter(pk=event.pk, processed=False).filter(
        Q(processing_started_at__isnull=True) | Q(processing_started_at__lt=started_at - processing_lease())
    )
    claimed = run_retrying(lambda: claimable.update(processing_started_at=started_at))
    if not claimed:
        event.refresh_from_db()
        if event.processed:
            return False
        raise WebhookEventInProgress(f"Event {event.stripe_event_id} is being processed by another worker.")
    handler = WEBHOOK_HANDLERS.get(event.type)
    try:
        if handler is None:
            logger.info("webhook %s: no handler for %s; acknowledged", event.stripe_event_id, event.type)
        else:
            handler(event.payload)
    except InvalidStatusTransition as error:
        if error.concurrent:
            _webhook_event_fail(event, error)
            raise
        if error.staff_note:
            _webhook_event_finish(
                event, note=f"Flagged for staff on order {error.order.number}: {error.staff_note}"
            )
        else:
            logger.info("webhook %s (%s) superseded: %s", event.stripe_event_id, event.type, error)
            _webhook_event_finish(event, note=f"Superseded by a later change, ignored: {error}")
    except EventIgnored as error:
        logger.info("webhook %s (%s) ignored: %s", event.stripe_event_id, event.type, error)
        _webhook_event_finish(event, note=f"Ignored: {error}.")
    except Exception as error:
        _webhook_event_fail(event, error)
        raise
    else:
        _webhook_event_finish(event, note="")
    return True


def _webhook_event_finish(event: WebhookEvent, *, note: str) -> None:
    now = timezone.now()
    finished = WebhookEvent.objects.filter(pk=event.pk)
    run_retrying(
        lambda: finished.update(
            processed=True,
            processed_at=now,
            attempts=F("attempts") + 1,
            last_error=note,
            processing_started_at=None,
            updated_at=now,
        )
    )
    event.processed, event.processed_at, event.last_error = True, now, note
    event.processing_started_at = None
    event.attempts += 1


def _webhook_event_fail(event: WebhookEvent, error: Exception) -> None:
    logger.exception("webhook %s (%s) failed", event.stripe_event_id, event.type)
    message = f"{type(error).__name__}: {error}"
    failed = WebhookEvent.objects.filter(pk=event.pk)
    run_retrying(
        lambda: failed.update(
            attempts=F("attempts") + 1,
            last_error=message,
            processing_started_at=None,
            updated_at=timezone.now(),
        )
    )
    event.attempts += 1
    event.last_error = message
    event.processing_started_at = None

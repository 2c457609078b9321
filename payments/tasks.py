"""Stripe's side of the background work: each webhook event processed after its delivery was
answered, and the periodic recovery of what the webhook missed."""

import io

from django.core.management import call_command
from django.tasks import task

from payments.models import WebhookEvent
from payments.services import webhook_event_process


@task
def webhook_event_handle(*, event_id: str) -> bool:
    """Process a stored event unless it was; False when it had been. A failure is recorded on the
    event and raised, as is WebhookEventInProgress while another worker holds the event (it may have
    died): either way the task is tried again later."""
    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None:
        return False
    return webhook_event_process(event=event)


@task
def webhook_events_retry() -> str:
    """What `manage.py retry_webhooks` does; return its summary."""
    return _command_output("retry_webhooks")


@task
def stripe_reconcile() -> str:
    """What `manage.py reconcile_stripe` does; return its summary."""
    return _command_output("reconcile_stripe")


def _command_output(name: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, stdout=out, stderr=err)
    return (out.getvalue() + err.getvalue()).strip()

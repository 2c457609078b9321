"""`manage.py retry_webhooks`: stored events that have not been processed, oldest first."""

import pytest
from django.core.management import call_command

from payments import services
from payments.models import WebhookEvent
from tests import factories


@pytest.fixture
def failing_type(monkeypatch):
    def broken(event):
        raise RuntimeError("still broken")

    monkeypatch.setitem(services.WEBHOOK_HANDLERS, "test.broken", broken)
    return "test.broken"


def test_retry_runs_stored_failures_oldest_first_and_summarises(db, capsys, monkeypatch, failing_type):
    done = factories.WebhookEventFactory(type="invoice.paid", processed=True, attempts=1)
    fixable = factories.WebhookEventFactory(type="invoice.created", attempts=2, last_error="RuntimeError: x")
    broken = factories.WebhookEventFactory(type=failing_type, attempts=1)
    exhausted = factories.WebhookEventFactory(type="invoice.created", attempts=10)
    order_seen = []
    original = services.webhook_event_process

    def recording(*, event):
        order_seen.append(event.pk)
        return original(event=event)

    monkeypatch.setattr("payments.management.commands.retry_webhooks.webhook_event_process", recording)

    call_command("retry_webhooks", "--max-attempts", "10")

    out, err = capsys.readouterr()
    assert out.strip() == (
        "Retried 2 event(s): 1 processed, 1 failed, 0 in progress elsewhere; "
        "1 at or over 10 attempts left alone."
    )
    assert f"{broken.stripe_event_id} (test.broken) failed again: still broken" in err
    assert order_seen == [fixable.pk, broken.pk]
    fixable.refresh_from_db()
    broken.refresh_from_db()
    assert (fixable.processed, fixable.attempts, fixable.last_error) == (True, 3, "")
    assert (broken.processed, broken.attempts, broken.last_error) == (False, 2, "RuntimeError: still broken")
    assert WebhookEvent.objects.get(pk=exhausted.pk).attempts == 10
    assert WebhookEvent.objects.get(pk=done.pk).attempts == 1


def test_max_attempts_zero_retries_everything(db, capsys):
    event = factories.WebhookEventFactory(type="invoice.created", attempts=50)

    call_command("retry_webhooks", "--max-attempts", "0")

    event.refresh_from_db()
    assert event.processed
    assert "1 processed, 0 failed" in capsys.readouterr().out

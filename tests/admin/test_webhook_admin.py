"""The webhook log: filters, the pretty-printed payload, and the retry action."""

import json
import sys
import types

import pytest
from django.utils import timezone

from payments.models import WebhookEvent
from tests import factories
from tests.admin.pages import change_url, changelist_url, messages_of, result_pks, run_action


@pytest.fixture
def events(db):
    return {
        "new": factories.WebhookEventFactory(type="checkout.session.completed"),
        "failed": factories.WebhookEventFactory(
            type="charge.refunded", attempts=3, last_error="Order for cs_test_1 not found"
        ),
        "done": factories.WebhookEventFactory(
            type="charge.refunded", processed=True, processed_at=timezone.now(), attempts=1
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"failed": "yes"}, {"failed"}),
        ({"failed": "no"}, {"new", "done"}),
        ({"processed__exact": "1"}, {"done"}),
        ({"processed__exact": "0"}, {"new", "failed"}),
        ({"type": "charge.refunded"}, {"failed", "done"}),
    ],
)
def test_webhook_filters(super_admin_client, events, params, expected):
    response = super_admin_client.get(changelist_url(WebhookEvent, **params))

    assert result_pks(response) == {str(events[name].pk) for name in expected}


def test_list_shows_attempts_and_last_error(super_admin_client, events):
    response = super_admin_client.get(changelist_url(WebhookEvent))

    assert "Order for cs_test_1 not found" in response.text
    assert '<td class="field-attempts">3</td>' in response.text


def test_search_by_stripe_event_id(super_admin_client, events):
    event = events["failed"]

    response = super_admin_client.get(changelist_url(WebhookEvent, q=event.stripe_event_id))

    assert result_pks(response) == {str(event.pk)}


def test_payload_is_pretty_printed_and_read_only(super_admin_client, db):
    event = factories.WebhookEventFactory(
        payload={"id": "evt_1", "data": {"object": {"amount_total": 3000, "note": "<b>hi</b>"}}}
    )

    response = super_admin_client.get(change_url(event))

    expected = json.dumps(event.payload, indent=2, sort_keys=True).replace('"', "&quot;")
    expected = expected.replace("<", "&lt;").replace(">", "&gt;")
    assert f'<pre class="shop-json">{expected}</pre>' in response.text
    assert "payload" not in response.context["adminform"].form.fields
    assert "stripe_event_id" not in response.context["adminform"].form.fields


def test_events_cannot_be_added_or_deleted(super_admin_client, events):
    event = events["done"]

    assert super_admin_client.get(change_url(event).replace("/change/", "/delete/")).status_code == 403
    assert super_admin_client.get(changelist_url(WebhookEvent) + "add/").status_code == 403


@pytest.fixture
def processed_by_fake_service(monkeypatch):
    """Stand in for payments.services.webhook_event_process: fails for payloads marked "fail"."""
    calls = []

    def webhook_event_process(*, event):
        calls.append(event.stripe_event_id)
        event.attempts += 1
        if event.payload.get("fail"):
            event.last_error = "Order not found"
            event.save(update_fields=["attempts", "last_error", "updated_at"])
            raise LookupError("Order not found")
        event.processed, event.processed_at, event.last_error = True, timezone.now(), ""
        event.save(update_fields=["attempts", "processed", "processed_at", "last_error", "updated_at"])

    monkeypatch.setitem(
        sys.modules, "payments.services", types.SimpleNamespace(webhook_event_process=webhook_event_process)
    )
    return calls


def test_retry_processes_failed_events_and_reports_those_that_fail_again(
    super_admin_client, processed_by_fake_service
):
    fixed = factories.WebhookEventFactory(attempts=1, last_error="Order not found")
    broken = factories.WebhookEventFactory(attempts=1, payload={"fail": True})
    done = factories.WebhookEventFactory(processed=True, attempts=1)

    response = run_action(super_admin_client, WebhookEvent, "retry", [fixed, broken, done])

    assert sorted(processed_by_fake_service) == sorted([fixed.stripe_event_id, broken.stripe_event_id])
    assert messages_of(response) == [
        "Processed 1 event(s).",
        f"1 event(s) failed again: {broken.stripe_event_id}: Order not found",
        "Skipped 1 event(s) already processed.",
    ]
    fixed.refresh_from_db()
    broken.refresh_from_db()
    assert (fixed.processed, fixed.attempts) == (True, 2)
    assert (broken.processed, broken.attempts, broken.last_error) == (False, 2, "Order not found")


def test_shopper_cannot_retry_events(client, db, processed_by_fake_service):
    event = factories.WebhookEventFactory(attempts=1)
    client.force_login(factories.UserFactory())

    run_action(client, WebhookEvent, "retry", [event])

    assert processed_by_fake_service == []
    event.refresh_from_db()
    assert not event.processed


def test_admin_role_can_retry_events(admin_role_client, processed_by_fake_service):
    event = factories.WebhookEventFactory(attempts=1)

    run_action(admin_role_client, WebhookEvent, "retry", [event])

    event.refresh_from_db()
    assert event.processed


def test_retry_runs_the_real_service(super_admin_client):
    """An event type without a handler is acknowledged: the retry marks it processed."""
    event = factories.WebhookEventFactory(type="balance.available", attempts=1, last_error="timeout")

    response = run_action(super_admin_client, WebhookEvent, "retry", [event])

    assert messages_of(response) == ["Processed 1 event(s)."]
    event.refresh_from_db()
    assert event.processed
    assert event.attempts == 2

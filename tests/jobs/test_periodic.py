"""The periodic tasks the settings declare: each a task taking no argument, and what they do."""

import pytest
from django.conf import settings
from django.tasks import Task
from django.utils.module_loading import import_string

from payments.tasks import stripe_reconcile, webhook_events_retry
from tests import factories


@pytest.mark.parametrize("name", sorted(settings.PERIODIC_TASKS))
def test_every_periodic_task_is_a_task_run_every_few_minutes(name):
    entry = settings.PERIODIC_TASKS[name]
    assert isinstance(import_string(entry["task"]), Task)
    assert 60 <= entry["every_seconds"] <= 3600


def test_the_periodic_retry_runs_stored_events_that_were_not_processed(quiet_sim, stripe_api, db):
    stripe = stripe_api()
    gone = stripe.v1.customers.create({"email": "gone@example.com"}).id
    stripe.v1.customers.delete(gone)
    user = factories.UserFactory(stripe_customer_id=gone)
    factories.WebhookEventFactory(
        type="customer.deleted",
        payload={"id": "evt_1", "type": "customer.deleted", "data": {"object": {"id": gone}}},
    )

    summary = webhook_events_retry.call()

    assert summary.startswith("Retried 1 event(s): 1 processed, 0 failed")
    user.refresh_from_db()
    assert user.stripe_customer_id is None


def test_the_periodic_reconciliation_asks_stripe_and_reports(quiet_sim, db):
    summary = stripe_reconcile.call()

    assert "Events: " in summary
    assert "Orders awaiting payment: 0 checked" in summary

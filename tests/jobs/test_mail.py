"""Each email is stored when the shop decides to send it and sent once per key by its task."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import DatabaseError
from django.tasks import TaskResultStatus
from django.utils import timezone

from jobs.models import OutgoingEmail, TaskRecord
from jobs.tasks import email_deliver, unsent_emails_requeue
from jobs.worker import Worker
from orders.emails import order_confirmation_send, order_shipped_email_send
from orders.models import Order
from shop import transactions as transaction
from shop.mail import mail_send
from tests import factories
from tests.jobs.conftest import MAX_ATTEMPTS


def send(key="", recipient="ada@example.com"):
    return mail_send(
        template="orders/email/order_shipped",
        context={"order": Order(number="ORD-0123456789AB", carrier="UPS", tracking_number="1Z999")},
        subject="Your order has shipped",
        recipient=recipient,
        key=key,
    )


def test_an_email_waits_for_the_worker_then_is_sent_as_text_and_html(backend):
    assert send(key="order-1-shipped") is True
    assert mail.outbox == []
    assert OutgoingEmail.objects.unsent().count() == 1

    Worker(periodic=False).run_one()

    [message] = mail.outbox
    assert (message.to, message.subject) == (["ada@example.com"], "Your order has shipped")
    assert message.alternatives[0].mimetype == "text/html"
    assert not OutgoingEmail.objects.unsent().exists()


def test_an_email_is_queued_and_sent_once_per_key_however_often_asked(backend):
    assert send(key="order-1-shipped") is True
    assert send(key="order-1-shipped") is False
    send(key="order-2-shipped", recipient="grace@example.com")

    Worker(periodic=False).run(max_tasks=2)
    # A task run again (its worker died after sending) sends nothing.
    email_deliver.call(key="order-1-shipped")

    assert sorted(message.to[0] for message in mail.outbox) == ["ada@example.com", "grace@example.com"]


def test_emails_without_a_key_are_each_sent(backend):
    send()
    send()

    Worker(periodic=False).run(max_tasks=2)

    assert len(mail.outbox) == 2


def test_an_email_queued_in_a_transaction_that_rolls_back_is_never_sent(backend):
    def send_then_fail():
        with transaction.atomic():
            send(key="rolled-back")
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        send_then_fail()
    with transaction.atomic():
        send(key="committed")

    worker = Worker(periodic=False)
    assert worker.run_one() is True
    assert worker.run_one() is False

    assert list(OutgoingEmail.objects.values_list("key", flat=True)) == ["committed"]
    assert TaskRecord.objects.count() == 1
    assert len(mail.outbox) == 1


def test_an_orders_confirmation_and_shipping_emails_are_each_sent_once_however_often_asked(db):
    order = factories.OrderFactory(paid=True, customer_email="ada@example.com")
    neighbour = factories.OrderFactory(paid=True, customer_email="grace@example.com")

    for _ in range(2):
        order_confirmation_send(order_id=order.pk)
        order_shipped_email_send(order_id=order.pk)
    order_confirmation_send(order_id=neighbour.pk)

    assert sorted((message.to[0], message.subject) for message in mail.outbox) == [
        ("ada@example.com", f"Your Northwind Goods order {order.number} has shipped"),
        ("ada@example.com", f"Your Northwind Goods order {order.number} is confirmed"),
        ("grace@example.com", f"Your Northwind Goods order {neighbour.number} is confirmed"),
    ]


def run_due(worker):
    """Run every task queued, as if its retry's backoff had passed (no sleeping)."""
    ran = 0
    while True:
        TaskRecord.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
        if not worker.run_one():
            return ran
        ran += 1


def an_hour_later():
    """The outbox rows were written long enough ago for the hourly requeue to take them."""
    OutgoingEmail.objects.update(created_at=timezone.now() - timedelta(hours=1))


def test_an_email_whose_attempts_ran_out_in_an_outage_is_sent_once_after_it(backend, settings):
    send(key="order-1-shipped")
    waiting = TaskRecord.objects.get()
    send(key="order-2-shipped", recipient="grace@example.com")
    TaskRecord.objects.exclude(pk=waiting.pk).update(run_after=timezone.now() + timedelta(hours=1))
    worker = Worker(periodic=False)
    mail_server_up = settings.MAILERS
    settings.MAILERS = {"default": {"BACKEND": "tests.jobs.mail_backends.RefusingBackend"}}

    # The outage outlasts the attempts, then two more rounds of the hourly requeue.
    for _ in range(3):
        for _ in range(MAX_ATTEMPTS):
            TaskRecord.objects.filter(pk=waiting.pk).update(run_after=timezone.now())
            worker.run_one()
        assert TaskRecord.objects.get(pk=waiting.pk).status == TaskResultStatus.FAILED
        an_hour_later()
        assert unsent_emails_requeue.call() == 1
        [waiting] = [
            task for task in TaskRecord.objects.waiting() if task.kwargs == {"key": "order-1-shipped"}
        ]
    settings.MAILERS = mail_server_up
    TaskRecord.objects.update(run_after=timezone.now())
    run_due(worker)
    an_hour_later()
    assert unsent_emails_requeue.call() == 0
    run_due(worker)

    assert sorted(message.to[0] for message in mail.outbox) == ["ada@example.com", "grace@example.com"]
    assert not OutgoingEmail.objects.unsent().exists()


class UnqueueableTask:
    def enqueue(self, **kwargs):
        raise DatabaseError("the task write failed")


def test_an_email_whose_task_was_never_queued_is_sent_once_by_the_hourly_requeue(backend, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr("shop.mail.email_deliver", UnqueueableTask())
        with pytest.raises(DatabaseError):
            send(key="order-1-shipped")
    assert send(key="order-1-shipped") is False
    send(key="just-written", recipient="grace@example.com")
    worker = Worker(periodic=False)
    assert run_due(worker) == 1
    assert [message.to for message in mail.outbox] == [["grace@example.com"]]

    # An email written a moment ago may have its task being queued right now: it is left alone.
    assert unsent_emails_requeue.call() == 0
    an_hour_later()
    assert unsent_emails_requeue.call() == 1
    assert unsent_emails_requeue.call() == 0
    run_due(worker)

    assert sorted(message.to[0] for message in mail.outbox) == ["ada@example.com", "grace@example.com"]

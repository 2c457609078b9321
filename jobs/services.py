"""Writes on the background work: staff's, and the worker's requeue of emails left unsent."""

from datetime import datetime

from django.tasks import TaskResultStatus
from django.utils import timezone

from jobs.backend import MongoDBTaskBackend
from jobs.models import OutgoingEmail, TaskRecord
from jobs.tasks import email_deliver


def task_records_retry(*, task_ids) -> int:
    """Put the given FAILED tasks back in the queue, due now, with their full number of attempts;
    return how many. Their past errors are kept. Tasks in any other state are left alone."""
    return TaskRecord.objects.filter(pk__in=list(task_ids), status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY,
        run_after=timezone.now(),
        attempts=0,
        finished_at=None,
    )


def outgoing_emails_requeue(*, written_before: datetime) -> int:
    """Queue the delivery of each unsent email written before `written_before` that has no delivery
    task waiting or running: its task gave up (FAILED, put back in the queue as staff's Retry does)
    or was never queued (mail_queue's second write failed). Return how many.

    Only on this shop's backend, whose tasks it can see; with another it queues nothing.
    """
    if not isinstance(email_deliver.get_backend(), MongoDBTaskBackend):
        return 0
    unsent = set(
        OutgoingEmail.objects.unsent().filter(created_at__lt=written_before).values_list("key", flat=True)
    )
    if not unsent:
        return 0
    deliveries = TaskRecord.objects.filter(task_path=email_deliver.module_path)
    statuses = [TaskResultStatus.READY, TaskResultStatus.RUNNING]
    busy = {
        kwargs.get("key")
        for kwargs in deliveries.filter(status__in=statuses).values_list("kwargs", flat=True)
    }
    gave_up = {}
    for pk, kwargs in deliveries.failed().values_list("pk", "kwargs"):
        gave_up.setdefault(kwargs.get("key"), pk)
    owed = unsent - busy
    task_records_retry(task_ids=[gave_up[key] for key in owed if key in gave_up])
    for key in owed - gave_up.keys():
        email_deliver.enqueue(key=key)
    return len(owed)

"""Staff's writes on the background work."""

from django.tasks import TaskResultStatus
from django.utils import timezone

from jobs.models import TaskRecord


def task_records_retry(*, task_ids) -> int:
    """Put the given FAILED tasks back in the queue, due now, with their full number of attempts;
    return how many. Their past errors are kept. Tasks in any other state are left alone."""
    return TaskRecord.objects.filter(pk__in=list(task_ids), status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY,
        run_after=timezone.now(),
        attempts=0,
        finished_at=None,
    )

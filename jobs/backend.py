"""A task backend for Django's task framework that keeps its tasks in the shop's MongoDB database.

Enqueue inserts a row (TaskRecord), in the caller's transaction when there is one, so a task
enqueued by a write that rolls back never runs. Workers (`manage.py run_worker`, jobs/worker.py)
claim a task with one atomic find-and-modify that takes the most urgent READY task whose
run_after has passed, or a RUNNING one whose worker's lease lapsed (a dead worker), and sets it
RUNNING under the claiming worker's id with a new lease. The worker renews the lease while the
task runs; however many workers run, two never hold one task at once. A failed task is tried
again after an exponential backoff, up to MAX_ATTEMPTS attempts in all, then left FAILED for
staff to see and retry. A result is kept RESULT_DAYS after success, then MongoDB deletes it.

Tasks may run more than once (a worker dies after the effect, before recording it): they must
be idempotent, as the shop's are.
"""

import logging
from datetime import timedelta
from traceback import format_exception

from bson import ObjectId
from bson.errors import InvalidId
from django.db import connections, router
from django.tasks import TaskContext, TaskResult, TaskResultStatus
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import Task, TaskError
from django.tasks.exceptions import TaskResultDoesNotExist
from django.tasks.signals import task_enqueued, task_finished, task_started
from django.utils import timezone
from django.utils.json import normalize_json
from django.utils.module_loading import import_string
from pymongo import ReturnDocument

from jobs.models import TaskRecord

logger = logging.getLogger(__name__)

DEFAULT_OPTIONS = {
    "LEASE_SECONDS": 60,
    "MAX_ATTEMPTS": 10,
    "RETRY_BASE_SECONDS": 10,
    "RETRY_MAX_SECONDS": 3600,
    "RESULT_DAYS": 7,
}


class MongoDBTaskBackend(BaseTaskBackend):
    supports_defer = True
    supports_priority = True
    supports_get_result = True

    def __init__(self, alias, params):
        super().__init__(alias, params)
        options = {**DEFAULT_OPTIONS, **self.options}
        self.lease = timedelta(seconds=options["LEASE_SECONDS"])
        self.max_attempts = options["MAX_ATTEMPTS"]
        self.retry_base = options["RETRY_BASE_SECONDS"]
        self.retry_max = options["RETRY_MAX_SECONDS"]
        self.result_lifetime = timedelta(days=options["RESULT_DAYS"])

    # --- The task framework's interface ---------------------------------------------------------

    def enqueue(self, task, args, kwargs):
        self.validate_task(task)
        now = timezone.now()
        record = TaskRecord.objects.create(
            task_path=task.module_path,
            queue_name=task.queue_name,
            priority=task.priority,
            backend_name=self.alias,
            args=normalize_json(args),
            kwargs=normalize_json(kwargs),
            run_after=task.run_after or now,
            max_attempts=self.max_attempts,
            enqueued_at=now,
        )
        result = self.result_of(record)
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id):
        try:
            record = TaskRecord.objects.get(pk=ObjectId(result_id), backend_name=self.alias)
        except (InvalidId, TypeError, TaskRecord.DoesNotExist) as error:
            raise TaskResultDoesNotExist(result_id) from error
        return self.result_of(record)

    def result_of(self, record: TaskRecord) -> TaskResult:
        task = _task_of(record.task_path).using(
            priority=record.priority,
            queue_name=record.queue_name,
            run_after=record.run_after,
            backend=self.alias,
        )
        result = TaskResult(
            task=task,
            id=str(record.pk),
            status=TaskResultStatus(record.status),
            enqueued_at=record.enqueued_at,
            started_at=record.started_at,
            finished_at=record.finished_at,
            last_attempted_at=record.last_attempted_at,
            args=record.args,
            kwargs=record.kwargs,
            backend=self.alias,
            errors=[TaskError(**error) for error in record.errors],
            worker_ids=list(record.worker_ids),
        )
        object.__setattr__(result, "_return_value", record.return_value)
        return result

    # --- What workers do ------------------------------------------------------------------------

    def claim(self, *, worker_id: str, queues) -> TaskRecord | None:
        """Take the next task due on `queues` for `worker_id`, atomically; None when none is due.

        Highest priority first, then the longest due. A RUNNING task whose lease lapsed is taken
        over: its worker died or lost the database for longer than the lease.
        """
        now = timezone.now()
        document = self._collection().find_one_and_update(
            {
                "backend_name": self.alias,
                "queue_name": {"$in": list(queues)},
                "$or": [
                    {"status": TaskResultStatus.READY.value, "run_after": {"$lte": now}},
                    {"status": TaskResultStatus.RUNNING.value, "lease_expires_at": {"$lte": now}},
                ],
            },
            {
                "$set": {
                    "status": TaskResultStatus.RUNNING.value,
                    "worker_id": worker_id,
                    "lease_expires_at": now + self.lease,
                    "last_attempted_at": now,
                },
                "$inc": {"attempts": 1},
                "$push": {"worker_ids": worker_id},
            },
            sort=[("priority", -1), ("run_after", 1)],
            return_document=ReturnDocument.AFTER,
            projection={"_id": 1},
        )
        if document is None:
            return None
        record = TaskRecord.objects.get(pk=document["_id"])
        if record.started_at is None:
            TaskRecord.objects.filter(pk=record.pk, started_at=None).update(started_at=now)
            record.started_at = now
        return record

    def lease_renew(self, *, record: TaskRecord) -> bool:
        """Push the lease of a task this worker holds forward; False if it holds it no more."""
        renewed = self._collection().update_one(
            {"_id": record.pk, "status": TaskResultStatus.RUNNING.value, "worker_id": record.worker_id},
            {"$set": {"lease_expires_at": timezone.now() + self.lease}},
        )
        return renewed.matched_count == 1

    def run(self, record: TaskRecord) -> TaskResultStatus:
        """Run a claimed task and record how it went: SUCCESSFUL, READY again (to retry) or FAILED."""
        try:
            result = self.result_of(record)
        except (ImportError, TypeError) as error:
            # The code no longer has this task: no attempt can succeed until it has.
            self._finish(
                record,
                status=TaskResultStatus.FAILED,
                errors=[*record.errors, _error(error)],
                finished_at=timezone.now(),
            )
            return TaskResultStatus.FAILED
        task_started.send(type(self), task_result=result)
        if record.attempts > record.max_attempts:
            # Its worker died or stalled past its lease on the last attempt it had.
            return self._fail(record, result, RuntimeError("The worker was lost on the last attempt."))
        try:
            task = result.task
            if task.takes_context:
                value = task.call(TaskContext(task_result=result), *record.args, **record.kwargs)
            else:
                value = task.call(*record.args, **record.kwargs)
            value = normalize_json(value)
        except Exception as error:
            # Any failure of a task is recorded on it.
            return self._fail(record, result, error)
        now = timezone.now()
        self._finish(
            record,
            status=TaskResultStatus.SUCCESSFUL,
            return_value=value,
            finished_at=now,
            purge_at=now + self.result_lifetime,
        )
        object.__setattr__(result, "status", TaskResultStatus.SUCCESSFUL)
        object.__setattr__(result, "_return_value", value)
        task_finished.send(type(self), task_result=result)
        return TaskResultStatus.SUCCESSFUL

    def retry_delay(self, attempts: int) -> timedelta:
        """How long to wait after the `attempts`-th failed attempt: doubling, capped."""
        return timedelta(seconds=min(self.retry_base * 2 ** (attempts - 1), self.retry_max))

    def _fail(self, record, result, error) -> TaskResultStatus:
        logger.warning(
            "task %s (%s) attempt %s failed", record.pk, record.task_path, record.attempts, exc_info=error
        )
        errors = [*record.errors, _error(error)]
        now = timezone.now()
        if record.attempts < record.max_attempts:
            status = TaskResultStatus.READY
            self._finish(
                record, status=status, errors=errors, run_after=now + self.retry_delay(record.attempts)
            )
        else:
            status = TaskResultStatus.FAILED
            self._finish(record, status=status, errors=errors, finished_at=now)
        object.__setattr__(result, "status", status)
        result.errors.append(TaskError(**errors[-1]))
        task_finished.send(type(self), task_result=result)
        return status

    def _finish(self, record: TaskRecord, **changes) -> None:
        # Only while this worker still holds it: a worker that outlived its lease records nothing.
        held = TaskRecord.objects.filter(
            pk=record.pk, status=TaskResultStatus.RUNNING, worker_id=record.worker_id
        )
        if not held.update(worker_id="", lease_expires_at=None, **changes):
            logger.warning("task %s: lease lost to another worker; outcome not recorded", record.pk)

    def _collection(self):
        alias = router.db_for_write(TaskRecord)
        return connections[alias].database[TaskRecord._meta.db_table]


def _task_of(path: str) -> Task:
    task = import_string(path)
    if not isinstance(task, Task):
        raise TypeError(f"{path} is not a task.")
    return task


def _error(error: Exception) -> dict:
    return {
        "exception_class_path": f"{type(error).__module__}.{type(error).__qualname__}",
        "traceback": "".join(format_exception(error)),
    }

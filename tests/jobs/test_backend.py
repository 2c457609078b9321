"""The MongoDB task backend through Django's task interface and the worker's loop, in one process."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.tasks import TaskResultStatus
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone

from jobs.models import PeriodicRun, TaskRecord
from jobs.worker import Worker
from tests.jobs import tasks
from tests.jobs.conftest import MAX_ATTEMPTS, RETRY_BASE_SECONDS


def labels():
    return [effect["label"] for effect in tasks.effects()]


def test_an_enqueued_task_waits_for_a_worker_which_runs_it_and_keeps_its_result(backend):
    result = tasks.note.enqueue(label="first")
    assert result.status == TaskResultStatus.READY
    assert labels() == []

    assert Worker().run_one() is True

    result.refresh()
    assert (result.status, result.return_value, result.attempts) == (TaskResultStatus.SUCCESSFUL, "FIRST", 1)
    assert result.started_at <= result.finished_at
    assert labels() == ["first"]
    assert Worker().run_one() is False
    record = TaskRecord.objects.get()
    # Kept a week, then MongoDB deletes it (a TTL index on purge_at).
    assert timedelta(days=6) < record.purge_at - timezone.now() <= timedelta(days=7)


def test_results_are_found_by_id_and_only_theirs(backend):
    result = tasks.note.enqueue(label="x")
    assert tasks.note.get_result(result.id).id == result.id
    with pytest.raises(TaskResultDoesNotExist):
        backend.get_result("not-an-id")
    with pytest.raises(TaskResultDoesNotExist):
        backend.get_result("5f0000000000000000000000")


def test_higher_priority_runs_first_then_the_longest_waiting(backend):
    tasks.note.enqueue(label="low-1")
    tasks.note.using(priority=-5).enqueue(label="lowest")
    tasks.note.enqueue(label="low-2")
    tasks.note.using(priority=10).enqueue(label="urgent")

    assert Worker().run(max_tasks=4) == 4

    assert labels() == ["urgent", "low-1", "low-2", "lowest"]


def test_a_deferred_task_does_not_run_before_its_time(backend):
    later = tasks.note.using(run_after=timezone.now() + timedelta(seconds=0.5)).enqueue(label="later")
    tasks.note.enqueue(label="now")

    worker = Worker()
    assert worker.run_one() is True
    assert worker.run_one() is False
    assert labels() == ["now"]

    threading.Event().wait(0.6)
    assert worker.run_one() is True
    later.refresh()
    assert later.status == TaskResultStatus.SUCCESSFUL
    assert labels() == ["now", "later"]


def test_a_failing_task_is_retried_after_a_growing_delay_then_left_failed_with_its_errors(backend):
    result = tasks.fail.enqueue(label="boom")
    neighbour = tasks.note.enqueue(label="neighbour")
    worker = Worker()

    worker.run_one()
    record = TaskRecord.objects.get(pk=result.id)
    assert record.status == TaskResultStatus.READY
    delay = record.run_after - record.last_attempted_at
    assert timedelta(seconds=RETRY_BASE_SECONDS) <= delay < timedelta(seconds=RETRY_BASE_SECONDS + 0.1)
    # Not due yet: the neighbour runs meanwhile.
    worker.run_one()
    assert labels() == ["boom", "neighbour"]
    assert worker.run_one() is False

    threading.Event().wait(RETRY_BASE_SECONDS + 0.05)
    worker.run_one()
    record.refresh_from_db()
    assert record.status == TaskResultStatus.READY
    assert record.run_after - record.last_attempted_at >= timedelta(seconds=2 * RETRY_BASE_SECONDS)

    threading.Event().wait(2 * RETRY_BASE_SECONDS + 0.05)
    worker.run_one()
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.attempts == MAX_ATTEMPTS
    assert [error.exception_class for error in result.errors] == [ValueError] * MAX_ATTEMPTS
    assert "boom failed" in result.errors[-1].traceback
    assert worker.run_one() is False
    assert labels() == ["boom", "neighbour", "boom", "boom"]
    neighbour.refresh()
    assert neighbour.status == TaskResultStatus.SUCCESSFUL
    # A failed task stays until staff retry or delete it.
    assert TaskRecord.objects.get(pk=result.id).purge_at is None


def test_a_task_held_by_a_worker_is_taken_over_only_when_its_lease_lapses(backend):
    result = tasks.note.enqueue(label="held")
    first = backend.claim(worker_id="first", queues={"default"})
    assert first is not None
    assert backend.claim(worker_id="second", queues={"default"}) is None

    TaskRecord.objects.filter(pk=first.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    second = backend.claim(worker_id="second", queues={"default"})

    assert (second.pk, second.worker_id, second.attempts) == (first.pk, "second", 2)
    # The first worker, back from the dead, finishes: its outcome is not recorded over the second's.
    backend.run(first)
    assert TaskRecord.objects.get(pk=result.id).status == TaskResultStatus.RUNNING
    backend.run(second)
    result.refresh()
    assert (result.status, result.worker_ids) == (TaskResultStatus.SUCCESSFUL, ["first", "second"])


def test_a_worker_renews_the_lease_of_a_long_task(backend):
    tasks.slow.enqueue(label="long", seconds=3)
    worker = Worker()
    running = threading.Thread(target=worker.run_one)
    running.start()
    try:
        # Past the 2 s lease: renewed, so nobody else takes it.
        threading.Event().wait(2.5)
        assert backend.claim(worker_id="other", queues={"default"}) is None
    finally:
        running.join()
    assert [(e["label"], e.get("stage")) for e in tasks.effects()] == [("long", "started"), ("long", "done")]


def test_workers_in_many_threads_run_each_task_once(backend):
    results = [tasks.note.enqueue(label=f"task-{n}") for n in range(40)]

    def work():
        worker = Worker(periodic=False)
        try:
            while worker.run_one():
                pass
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(labels()) == sorted(f"task-{n}" for n in range(40))
    records = TaskRecord.objects.all()
    assert {record.status for record in records} == {TaskResultStatus.SUCCESSFUL}
    assert all(len(record.worker_ids) == 1 for record in records)
    assert len({record.worker_ids[0] for record in records}) > 1
    assert {result.id for result in results} == {str(record.pk) for record in records}


def test_a_periodic_task_is_enqueued_once_a_period_however_many_workers_run(backend, settings):
    settings.PERIODIC_TASKS = {"noting": {"task": "tests.jobs.tasks.tick", "every_seconds": 3600}}
    workers = [Worker(), Worker(), Worker()]

    enqueued = [worker.periodic_enqueue() for worker in workers] + [workers[0].periodic_enqueue()]

    assert enqueued == [["noting"], [], [], []]
    assert TaskRecord.objects.filter(task_path="tests.jobs.tasks.tick").count() == 1
    assert PeriodicRun.objects.get().name == "noting"


def test_a_task_the_code_no_longer_has_fails_at_once_and_the_worker_goes_on(backend):
    gone = tasks.note.enqueue(label="gone")
    TaskRecord.objects.filter(pk=gone.id).update(task_path="tests.jobs.tasks.removed")
    tasks.note.enqueue(label="next")

    assert Worker(periodic=False).run(max_tasks=2) == 2

    record = TaskRecord.objects.get(pk=gone.id)
    assert (record.status, record.attempts) == (TaskResultStatus.FAILED, 1)
    assert "ImportError" in record.last_error
    assert labels() == ["next"]

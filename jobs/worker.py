"""The worker's loop: run due tasks of the MongoDB backend one at a time, and enqueue the periodic
tasks of settings.PERIODIC_TASKS, each once a period however many workers run."""

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, connections
from django.tasks import task_backends
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from pymongo.errors import PyMongoError

from jobs.backend import MongoDBTaskBackend
from jobs.models import PeriodicRun

logger = logging.getLogger(__name__)

# How long an idle worker waits before looking for due tasks again.
POLL_SECONDS = 1.0
# How long a worker that lost the database waits before trying again.
DATABASE_DOWN_SECONDS = 2.0


def worker_id_new() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{get_random_string(6)}"


class Worker:
    def __init__(self, *, backend_alias="default", queues=None, periodic=True):
        self.backend = task_backends[backend_alias]
        self.runs_tasks = isinstance(self.backend, MongoDBTaskBackend)
        self.queues = set(queues or self.backend.queues)
        self.worker_id = worker_id_new()
        self.periodic = periodic
        self.stopping = threading.Event()
        self._last_ticks = {}

    def stop(self) -> None:
        """Finish the task under way, then return from run()."""
        self.stopping.set()

    def run(self, *, max_tasks=None) -> int:
        """Work until stopped (or `max_tasks` tasks ran); return how many tasks ran."""
        ran = 0
        while not self.stopping.is_set() and (max_tasks is None or ran < max_tasks):
            try:
                if self.periodic:
                    self.periodic_enqueue()
                worked = self.run_one() if self.runs_tasks else False
            except (DatabaseError, PyMongoError):
                logger.warning("worker %s: database unavailable; trying again", self.worker_id, exc_info=True)
                close_old_connections()
                self.stopping.wait(DATABASE_DOWN_SECONDS)
                continue
            if worked:
                ran += 1
            else:
                self.stopping.wait(POLL_SECONDS)
        return ran

    def run_one(self) -> bool:
        """Run the next due task, if there is one; return whether one ran."""
        record = self.backend.claim(worker_id=self.worker_id, queues=self.queues)
        if record is None:
            return False
        done = threading.Event()
        keeper = threading.Thread(target=self._keep_lease, args=(record, done), daemon=True)
        keeper.start()
        try:
            # Django's task signals log each start and finish.
            self.backend.run(record)
        finally:
            done.set()
            keeper.join()
        return True

    def periodic_enqueue(self) -> list[str]:
        """Enqueue every periodic task whose period began since it was last enqueued, by any worker;
        return the names this worker enqueued."""
        enqueued = []
        now = timezone.now()
        for name, entry in settings.PERIODIC_TASKS.items():
            every = int(entry["every_seconds"])
            tick = int(now.timestamp()) // every
            if self._last_ticks.get(name) == tick:
                continue
            try:
                PeriodicRun.objects.create(
                    name=name, tick=tick, enqueued_at=now, purge_at=now + timedelta(seconds=2 * every)
                )
            except IntegrityError:
                # Another worker enqueued this tick.
                self._last_ticks[name] = tick
                continue
            import_string(entry["task"]).enqueue()
            self._last_ticks[name] = tick
            enqueued.append(name)
            logger.info("worker %s: enqueued periodic %s", self.worker_id, name)
        return enqueued

    def _keep_lease(self, record, done: threading.Event) -> None:
        every = self.backend.lease.total_seconds() / 3
        while not done.wait(every):
            try:
                if not self.backend.lease_renew(record=record):
                    return
            except PyMongoError:
                logger.warning("worker %s: could not renew the lease of %s", self.worker_id, record.pk)
        # This thread's own connection.
        connections.close_all()

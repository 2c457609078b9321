"""Run the background worker: the tasks stored in MongoDB, and the periodic tasks."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from jobs.worker import Worker


class Command(BaseCommand):
    help = (
        "Run due tasks one at a time and enqueue the periodic tasks (settings.PERIODIC_TASKS), each "
        "once a period however many workers run. Start as many as needed, on any machine. SIGTERM or "
        "Ctrl-C: finish the task under way, then stop. With a task backend other than MongoDB's, only "
        "enqueue the periodic tasks: that backend's own worker runs them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue",
            action="append",
            dest="queues",
            help="Run tasks of this queue (repeatable); default: all.",
        )
        parser.add_argument("--backend", default="default", help="The TASKS alias (default: %(default)s).")
        parser.add_argument(
            "--no-periodic", action="store_true", help="Run tasks only; enqueue no periodic task."
        )
        parser.add_argument("--max-tasks", type=int, default=None, help="Stop after running this many tasks.")

    def handle(self, *args, queues, backend, no_periodic, max_tasks, **options):
        worker = Worker(backend_alias=backend, queues=queues, periodic=not no_periodic)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: worker.stop())
        periodic = ", ".join(sorted(settings.PERIODIC_TASKS)) if not no_periodic else "none"
        runs = (
            f"queues {', '.join(sorted(worker.queues))}"
            if worker.runs_tasks
            else "no tasks (another backend runs them)"
        )
        self.stdout.write(f"Worker {worker.worker_id} started: {runs}; periodic tasks: {periodic}.")
        self.stdout.flush()
        ran = worker.run(max_tasks=max_tasks)
        self.stdout.write(f"Worker {worker.worker_id} stopped after {ran} task(s).")

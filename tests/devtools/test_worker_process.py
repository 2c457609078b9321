"""`python -m devtools.worker_process ensure|stop`: the worker `make run` starts in the background."""

import pytest
from django.db import connection
from django.tasks import TaskResultStatus

from devtools import worker_process
from jobs.models import TaskRecord
from tests.jobs import tasks
from tests.robustness.servers import wait_for


@pytest.fixture
def isolated(settings, db, tmp_path, monkeypatch):
    """A private pid file and log, and the worker on this test's database."""
    monkeypatch.setattr(worker_process, "DATA_DIR", tmp_path)
    monkeypatch.setattr(worker_process, "PID_FILE", tmp_path / "worker.pid")
    monkeypatch.setattr(worker_process, "LOG_FILE", tmp_path / "worker.log")
    monkeypatch.setenv("MONGODB_URI", connection.settings_dict["HOST"])
    monkeypatch.setenv("MONGODB_NAME", connection.settings_dict["NAME"])
    monkeypatch.setenv("TASKS_BACKEND", "jobs.backend.MongoDBTaskBackend")
    settings.TASKS = {"default": {"BACKEND": "jobs.backend.MongoDBTaskBackend"}}
    yield
    worker_process.stop()


def test_ensure_starts_it_once_it_runs_tasks_and_stop_stops_it(isolated, capsys, settings):
    worker_process.ensure()
    worker_process.ensure()

    output = capsys.readouterr().out
    assert "Worker started" in output
    assert "Worker already running" in output
    result = tasks.note.enqueue(label="from make run")
    wait_for(lambda: TaskRecord.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL, seconds=20)

    worker_process.stop()

    assert "Worker stopped" in capsys.readouterr().out
    assert not worker_process.PID_FILE.exists()
    log = worker_process.LOG_FILE.read_text()
    assert f"periodic tasks: {', '.join(sorted(settings.PERIODIC_TASKS))}." in log
    # It finished what it was doing and said so (SIGTERM, not a kill).
    assert "stopped after" in log

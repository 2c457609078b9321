"""The development database launcher: one server per data folder, stopped cleanly, data kept."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pymongo import MongoClient

from devtools import embedded_mongodb


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Launcher:
    """Run `python -m devtools.embedded_mongodb <command>` against a private data folder and port."""

    def __init__(self, data_dir, port):
        self.data_dir = data_dir
        self.port = port
        self.env = {
            **os.environ,
            "EMBEDDED_MONGODB_DATA_DIR": str(data_dir),
            "EMBEDDED_MONGODB_PORT": str(port),
            "MONGODB_URI": "",  # set and empty: a developer's .env cannot point elsewhere
        }

    def __call__(self, command):
        completed = subprocess.run(  # noqa: S603 -- our own interpreter and module, fixed arguments
            [sys.executable, "-m", "devtools.embedded_mongodb", command],
            cwd=embedded_mongodb.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return completed.stdout

    @property
    def pid(self):
        pid_file = self.data_dir / "mongodb.pid"
        return int(pid_file.read_text()) if pid_file.exists() else None

    def server_processes(self):
        """Return the pids of every server process serving this data folder."""
        pids = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                arguments = cmdline.read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in arguments and str(self.data_dir).encode() in b" ".join(arguments):
                pids.append(int(cmdline.parent.name))
        return pids

    def database(self):
        client = MongoClient(
            f"mongodb://127.0.0.1:{self.port}/", directConnection=True, serverSelectionTimeoutMS=5000
        )
        return client, client["shop"]


@pytest.fixture
def launcher(tmp_path):
    launcher = Launcher(tmp_path / "data", _free_port())
    yield launcher
    if launcher.pid:
        launcher("stop")


def test_ensure_starts_once_and_stop_stops(launcher):
    started = launcher("ensure")
    pid = launcher.pid

    assert f"Embedded MongoDB started (pid {pid}, port {launcher.port}" in started
    assert embedded_mongodb.is_listening(launcher.port)
    assert launcher.server_processes() == [pid]

    again = launcher("ensure")

    assert f"already running (pid {pid}, port {launcher.port})" in again
    assert launcher.pid == pid
    assert launcher.server_processes() == [pid]
    assert f"running (pid {pid}" in launcher("status")

    stopped = launcher("stop")

    assert f"Embedded MongoDB stopped (pid {pid})" in stopped
    assert not embedded_mongodb.is_listening(launcher.port)
    assert launcher.server_processes() == []
    assert launcher.pid is None
    assert launcher("status").strip() == "not running"
    assert "not running" in launcher("stop")


def test_data_survives_a_restart_on_sqlite_storage(launcher):
    launcher("ensure")
    client, database = launcher.database()
    database.products.insert_one({"name": "Walnut desk", "unit_amount": 123456})
    client.close()
    launcher("stop")

    launcher("ensure")
    client, database = launcher.database()
    try:
        assert database.products.find_one({}, {"_id": 0}) == {"name": "Walnut desk", "unit_amount": 123456}
    finally:
        client.close()
    assert (launcher.data_dir / "mongodb.sqlite3").exists()


def test_ensure_refuses_a_port_taken_by_another_program(launcher):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", launcher.port))
        squatter.listen()

        with pytest.raises(subprocess.CalledProcessError) as failed:
            launcher("ensure")

    assert f"Port {launcher.port} is taken by another program" in failed.value.stderr
    assert launcher.pid is None

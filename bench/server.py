"""Start and stop what one benchmark run serves: the embedded database and gunicorn."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from devtools.background import HOST
from devtools.embedded_mongodb import READY_PREFIX

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "shop"
GUNICORN_WORKERS = 2


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def django_environment(*, mongodb_uri, static_root, webhook_secret):
    """Return the environment of every Django process of a run: production settings, bench overrides.

    STRIPE_API_BASE points at a closed local port: nothing measured may call out to Stripe.
    """
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "MONGODB_URI": mongodb_uri,
        "MONGODB_NAME": DATABASE_NAME,
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": webhook_secret,
        "STRIPE_API_BASE": f"http://{HOST}:9",
        "EMAIL_URL": "consolemail://",
        # Required in production (links in email); the bench sends none that anyone reads.
        "SHOP_BASE_URL": f"http://{HOST}",
        "LOG_LEVEL": "WARNING",
        "BENCH_STATIC_ROOT": str(static_root),
        "PYTHONPATH": str(BASE_DIR),
    }


class DatabaseServer:
    """A fresh in-memory embedded database (bench/dbserver.py) driven through its stdin."""

    def __init__(self, *, log):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.dbserver"],
            cwd=BASE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        line = self.process.stdout.readline()
        if not line.startswith(READY_PREFIX):
            self.process.kill()
            raise RuntimeError(f"embedded database did not start: {line!r} (see {log.name})")
        self.port = int(line.removeprefix(READY_PREFIX))
        self.uri = f"mongodb://{HOST}:{self.port}/"

    def _ask(self, command, expected_prefix):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if not answer.startswith(expected_prefix):
            raise RuntimeError(f"embedded database answered {answer!r} to {command!r}")
        return answer

    def seed(self, collection, path, *, database_name=DATABASE_NAME):
        answer = self._ask(f"seed {database_name} {collection} {path}", "seeded ")
        return int(answer.removeprefix("seeded "))

    def profile_start(self):
        self._ask("profile start", "profiling")

    def profile_stop(self, path):
        self._ask(f"profile stop {path}", "profiled")

    def stop(self):
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


class AppServer:
    """The shop served by gunicorn with sync workers, as in production."""

    def __init__(self, *, env, log, timeout_seconds=60):
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "shop.wsgi:application",
                f"--workers={GUNICORN_WORKERS}",
                f"--bind={HOST}:{self.port}",
                f"--timeout={timeout_seconds}",
                "--log-level=warning",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=log,
        )
        wait_for_http(f"{self.url}/healthz/", process=self.process, log=log)

    def worker_pids(self):
        """Return the pids of the gunicorn workers (children of the master)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return pids

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_for_http(url, *, process, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode} (see {log.name})")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own local URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout} s (see {log.name})")


def cpu_seconds(pid):
    """Return the user + system CPU time a live process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds():
    """Return the CPU time all processes of the machine have used so far (Linux /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

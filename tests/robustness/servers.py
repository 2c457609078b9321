"""Real processes and sockets for the fault tests: the shop served by gunicorn, and Stripes that fail.

Nothing here imitates our own code: the shop runs unchanged in a child process, and the
failing Stripes are plain HTTP servers the stripe SDK talks to over a socket.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def closed_port_url() -> str:
    """Return the URL of a local port nothing listens on."""
    return f"http://{HOST}:{free_port()}"


def shop_environment(*, mongodb_uri: str, database_name: str, **overrides: str) -> dict:
    """Return the environment of a shop process on the given database (test settings, short timeouts)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "MONGODB_URI": mongodb_uri,
        "MONGODB_NAME": database_name,
        # How long a request waits for an unreachable database before it fails.
        "MONGODB_TIMEOUT_MS": "1000",
        "STRIPE_SECRET_KEY": "sk_test_shop_tests",
        "STRIPE_MAX_NETWORK_RETRIES": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(BASE_DIR),
        **overrides,
    }


def manage(*args: str, env: dict) -> str:
    """Run `manage.py` in a child process and return its output; fail with its errors."""
    result = subprocess.run(  # noqa: S603 -- our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stderr}")
    return result.stdout


class ShopProcess:
    """The shop served by gunicorn with one sync worker, as in production, in a child process."""

    def __init__(self, *, env: dict, log_path: Path):
        self.log_path = log_path
        self.url = f"http://{HOST}:{free_port()}"
        with log_path.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603 -- our own interpreter and arguments
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "shop.wsgi:application",
                    "--workers=1",
                    f"--bind={self.url.removeprefix('http://')}",
                    "--timeout=120",
                    "--log-level=warning",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_healthy()
        except Exception:
            self.stop()
            raise

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=10, **kwargs)

    def post(self, path: str, body: str, headers: dict, timeout: float = 10) -> requests.Response:
        return requests.post(self.url + path, data=body, headers=headers, timeout=timeout)

    def worker_pids(self) -> list[int]:
        """Return the pids of the gunicorn workers (the children of our gunicorn)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            if parent == self.process.pid:
                pids.append(int(stat.parent.name))
        return pids

    def kill_worker(self, pid: int) -> None:
        """SIGKILL one worker, as the out-of-memory killer would; gunicorn starts another."""
        if pid not in self.worker_pids():
            raise ValueError(f"{pid} is not a worker of this shop")
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _wait_until_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the shop exited:\n{self.log_path.read_text()}")
            try:
                if self.get("/healthz/").status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the shop did not become healthy:\n{self.log_path.read_text()}")


class _StandInServer:
    """A threaded HTTP server on a free local port, serving `handler_class` until closed."""

    handler_class: type[BaseHTTPRequestHandler]

    def __init__(self):
        self.httpd = ThreadingHTTPServer((HOST, 0), self.handler_class)
        self.httpd.daemon_threads = True
        self.httpd.stand_in = self
        self.url = f"http://{HOST}:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class _FailingHandler(_Quiet):
    def do_GET(self):
        self._fail()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._fail()

    def _fail(self):
        body = json.dumps(
            {"error": {"type": "api_error", "message": "An unknown error occurred on Stripe's side."}}
        ).encode()
        self.send_response(self.server.stand_in.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.stand_in.requests += 1


class FailingStripe(_StandInServer):
    """A Stripe whose API answers every request with a server error, as during an incident."""

    handler_class = _FailingHandler

    def __init__(self, status: int = 500):
        self.status = status
        self.requests = 0
        super().__init__()


class _HangingHandler(_Quiet):
    def do_GET(self):
        self._hang()

    def do_POST(self):
        self._hang()

    def _hang(self):
        stand_in = self.server.stand_in
        stand_in.called.set()
        # Hold the connection without answering until the test is over.
        stand_in.released.wait(60)
        self.close_connection = True


class HangingStripe(_StandInServer):
    """A Stripe that accepts connections and never answers (an overloaded or partitioned API)."""

    handler_class = _HangingHandler

    def __init__(self):
        self.called = threading.Event()
        self.released = threading.Event()
        super().__init__()

    def close(self) -> None:
        self.released.set()
        super().close()


class _ForwardingHandler(_Quiet):
    def do_GET(self):
        self._forward(None)

    def do_POST(self):
        self._forward(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _forward(self, body):
        stand_in = self.server.stand_in
        headers = {name: value for name, value in self.headers.items() if name.lower() != "host"}
        answer = requests.request(
            self.command, stand_in.upstream + self.path, data=body, headers=headers, timeout=10
        )
        if (self.command, self.path) == stand_in.lose_answer_to:
            stand_in.lost_answers += 1
            # Stripe did the work; its answer never reaches the shop.
            self.close_connection = True
            return
        self.send_response(answer.status_code)
        for name in ("Content-Type", "Request-Id", "Idempotent-Replayed", "Stripe-Version"):
            if name in answer.headers:
                self.send_header(name, answer.headers[name])
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)


class AnswerLosingStripe(_StandInServer):
    """The network in front of a real (simulated) Stripe, dropping the answers to one kind of request."""

    handler_class = _ForwardingHandler

    def __init__(self, *, upstream: str, lose_answer_to: tuple[str, str]):
        self.upstream = upstream
        self.lose_answer_to = lose_answer_to
        self.lost_answers = 0
        super().__init__()


class StallingStripe(AnswerLosingStripe):
    """The network in front of a real (simulated) Stripe, holding the first request until released,
    then passing it and every later one through."""

    def __init__(self, *, upstream: str):
        self.called = threading.Event()
        self.released = threading.Event()
        super().__init__(upstream=upstream, lose_answer_to=("", ""))
        self.httpd.RequestHandlerClass = _StallingHandler

    def close(self) -> None:
        self.released.set()
        super().close()


class _StallingHandler(_ForwardingHandler):
    def _forward(self, body):
        stand_in = self.server.stand_in
        if not stand_in.called.is_set():
            stand_in.called.set()
            stand_in.released.wait(60)
        super()._forward(body)


class WorkerProcess:
    """`manage.py run_worker` in a child process, as deployed; killed with SIGKILL when asked."""

    def __init__(self, *, env: dict, log_path: Path):
        self.log_path = log_path
        with log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "run_worker", "--no-periodic"],
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL it, as the out-of-memory killer would: no cleanup of any kind."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text()


class MailServer:
    """A real SMTP server (aiosmtpd) on a fixed local port, which can be stopped and started again;
    it keeps the messages it accepted across restarts."""

    def __init__(self, port: int):
        self.port = port
        self.messages = []
        self._controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Message

        server = self

        class Keep(Message):
            def handle_message(self, message):
                server.messages.append(message)

        self._controller = Controller(Keep(), hostname=HOST, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def wait_for(predicate, *, seconds: float, interval: float = 0.1):
    """Poll `predicate` until it returns something true, or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {seconds} s: {predicate}")
        time.sleep(interval)
    return value

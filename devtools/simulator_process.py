"""Run the offline Stripe simulator in the background for `make run`.

    python -m devtools.simulator_process ensure   # start unless running (or a real Stripe key is set)
    python -m devtools.simulator_process stop     # stop the background simulator
    python -m devtools.simulator_process status

It listens on STRIPE_SIMULATOR_PORT and delivers webhooks, signed with STRIPE_WEBHOOK_SECRET, to
STRIPE_SIMULATOR_WEBHOOK_URL, by default the webhook endpoint of the shop at SHOP_BASE_URL (which
`make run` sets from its HOST and PORT). Its pid, log and state (the
products, prices and sessions it holds, kept across restarts; STRIPE_SIMULATOR_STATE_FILE) live
under .data/ (git-ignored).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from devtools.background import (
    HOST,
    background_command_line,
    is_listening,
    running_pid,
    stop_recorded_process,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"
PID_FILE = DATA_DIR / "stripe-simulator.pid"
LOG_FILE = DATA_DIR / "stripe-simulator.log"
# The shop keeps Stripe ids in .data/ too: the simulator must remember them across restarts.
STATE_FILE = DATA_DIR / "stripe-simulator.json"
WEBHOOK_PATH = "/payments/webhook/"
START_TIMEOUT_SECONDS = 10


def _settings():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.local")
    from django.conf import settings

    return settings


def ensure():
    settings = _settings()
    if not settings.STRIPE_USE_SIMULATOR:
        print("STRIPE_SECRET_KEY is set: using Stripe, not the simulator.")
        return
    port = settings.STRIPE_SIMULATOR_PORT
    if pid := running_pid(PID_FILE):
        print(f"Stripe simulator already running (pid {pid}, port {port}).")
        return
    if is_listening(port):
        sys.exit(f"Port {port} is taken by another program; set STRIPE_SIMULATOR_PORT.")
    DATA_DIR.mkdir(exist_ok=True)
    # Read after the settings, which load .env into the environment.
    webhook_url = os.environ.get("STRIPE_SIMULATOR_WEBHOOK_URL") or settings.SHOP_BASE_URL + WEBHOOK_PATH
    state_file = os.environ.get("STRIPE_SIMULATOR_STATE_FILE") or STATE_FILE
    command = [
        sys.executable,
        "-m",
        "stripe_simulator",
        "--host",
        HOST,
        "--port",
        str(port),
        "--webhook-url",
        webhook_url,
        "--webhook-secret",
        settings.STRIPE_WEBHOOK_SECRET,
        "--state-file",
        str(state_file),
    ]
    with LOG_FILE.open("a") as log:
        # A fixed argument list of our own, no shell.
        process = subprocess.Popen(  # noqa: S603
            command, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not is_listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            sys.exit(f"The Stripe simulator did not start; see {LOG_FILE}.")
        time.sleep(0.1)
    PID_FILE.write_text(str(process.pid))
    print(
        f"Stripe simulator started (pid {process.pid}, http://{HOST}:{port}, webhooks to {webhook_url}, "
        f"state in {state_file})."
    )


def stop():
    stop_recorded_process(PID_FILE, name="Stripe simulator")


def status():
    pid = running_pid(PID_FILE)
    print(f"running (pid {pid}, port {_settings().STRIPE_SIMULATOR_PORT})" if pid else "not running")


def main(argv=None):
    background_command_line(
        argv,
        prog="python -m devtools.simulator_process",
        description=__doc__.splitlines()[0],
        ensure=ensure,
        stop=stop,
        status=status,
    )


if __name__ == "__main__":
    main()

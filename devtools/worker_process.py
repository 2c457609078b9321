"""Run the background worker (`manage.py run_worker`) in the background for `make run`.

    python -m devtools.worker_process ensure   # start unless running
    python -m devtools.worker_process stop     # stop it (it finishes the task under way)
    python -m devtools.worker_process status

Its pid and log live under .data/ (git-ignored).
"""

import subprocess
import sys
import time
from pathlib import Path

from devtools.background import background_command_line, running_pid, stop_recorded_process

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"
PID_FILE = DATA_DIR / "worker.pid"
LOG_FILE = DATA_DIR / "worker.log"
START_SECONDS = 2


def ensure():
    if pid := running_pid(PID_FILE):
        print(f"Worker already running (pid {pid}, log {LOG_FILE}).")
        return
    DATA_DIR.mkdir(exist_ok=True)
    with LOG_FILE.open("a") as log:
        # A fixed argument list of our own, no shell.
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"],
            cwd=BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    # A worker that cannot start (settings, database) exits at once.
    time.sleep(START_SECONDS)
    if process.poll() is not None:
        sys.exit(f"The worker did not start; see {LOG_FILE}.")
    PID_FILE.write_text(str(process.pid))
    print(f"Worker started (pid {process.pid}, log {LOG_FILE}): emails, webhook events, periodic tasks.")


def stop():
    stop_recorded_process(PID_FILE, name="Worker", timeout=30)


def status():
    pid = running_pid(PID_FILE)
    print(f"running (pid {pid})" if pid else "not running")


def main(argv=None):
    background_command_line(
        argv,
        prog="python -m devtools.worker_process",
        description=__doc__.splitlines()[0],
        ensure=ensure,
        stop=stop,
        status=status,
    )


if __name__ == "__main__":
    main()

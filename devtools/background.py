"""Servers that `make run` leaves in the background: a pid file, a port probe, a clean stop."""

import argparse
import os
import signal
import socket
import time

HOST = "127.0.0.1"


def is_listening(port, host=HOST):
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def running_pid(pid_file):
    """Return the pid recorded in `pid_file` if that process is alive, else None."""
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    return pid


def stop_recorded_process(pid_file, *, name, timeout=10):
    """Stop the process recorded in `pid_file` (SIGTERM, then SIGKILL) and remove the file."""
    pid = running_pid(pid_file)
    if pid is None:
        print(f"{name} is not running.")
        pid_file.unlink(missing_ok=True)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while not _exited(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.1)
    pid_file.unlink(missing_ok=True)
    print(f"{name} stopped (pid {pid}).")


def _exited(pid):
    try:
        # Reap it if this very process started it (a test), or it would linger as a zombie.
        if os.waitpid(pid, os.WNOHANG)[0]:
            return True
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def background_command_line(argv, *, prog, description, ensure, stop, status):
    """Run `ensure`, `stop` or `status`, as the command line names, for one background process."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("command", choices=["ensure", "stop", "status"])
    args = parser.parse_args(argv)
    {"ensure": ensure, "stop": stop, "status": status}[args.command]()

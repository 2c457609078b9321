"""Run the embedded MongoDB-compatible server (mongoeco) for development and tests.

    python -m devtools.embedded_mongodb ensure   # start in the background unless running (or MONGODB_URI set)
    python -m devtools.embedded_mongodb stop     # stop the background server
    python -m devtools.embedded_mongodb status
    python -m devtools.embedded_mongodb serve [--memory | --path FILE] [--port N]   # foreground

Development data lives in SQLite under .data/ (git-ignored; EMBEDDED_MONGODB_DATA_DIR moves it),
so it survives restarts. The test suite starts its own in-memory server on a free port with
start_server_process().
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from devtools.background import HOST, is_listening, running_pid, stop_recorded_process

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("EMBEDDED_MONGODB_DATA_DIR") or BASE_DIR / ".data")
PID_FILE = DATA_DIR / "mongodb.pid"
LOG_FILE = DATA_DIR / "mongodb.log"
DEFAULT_PATH = DATA_DIR / "mongodb.sqlite3"
DEFAULT_PORT = 27117
READY_PREFIX = "embedded-mongodb listening on port "


async def serve(*, path, port):
    """Serve until SIGTERM or SIGINT; print the port once listening."""
    from mongoeco.engines.memory import MemoryEngine
    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

    from devtools import mongoeco_compat

    mongoeco_compat.install()
    engine = MemoryEngine() if path is None else SQLiteEngine(str(path))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with AsyncMongoEcoProxyServer(engine=engine, host=HOST, port=port) as server:
        print(f"{READY_PREFIX}{server.address.port}", flush=True)
        await stop.wait()


def start_server_process(*, path=None, port=0, log=None, detach=False):
    """Start a server in a child process and return (process, port) once it accepts connections."""
    command = [sys.executable, "-m", "devtools.embedded_mongodb", "serve", "--port", str(port)]
    command += ["--path", str(path)] if path else ["--memory"]
    process = subprocess.Popen(  # noqa: S603 -- our own interpreter and module, fixed arguments
        command,
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=log or subprocess.DEVNULL,
        text=True,
        start_new_session=detach,
    )
    line = process.stdout.readline()
    if not line.startswith(READY_PREFIX):
        process.kill()
        raise RuntimeError(f"embedded MongoDB did not start: {line!r} (see {log.name if log else 'stderr'})")
    return process, int(line.removeprefix(READY_PREFIX))


def stop_server_process(process, timeout=10):
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _configured_uri():
    import environ

    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    return os.environ.get("MONGODB_URI", "")


def _configured_port():
    return int(os.environ.get("EMBEDDED_MONGODB_PORT", DEFAULT_PORT))


def ensure():
    if _configured_uri():
        print("MONGODB_URI is set: using that server, not the embedded one.")
        return
    port = _configured_port()
    if pid := running_pid(PID_FILE):
        print(f"Embedded MongoDB already running (pid {pid}, port {port}).")
        return
    if is_listening(port):
        sys.exit(f"Port {port} is taken by another program; set EMBEDDED_MONGODB_PORT or MONGODB_URI.")
    DATA_DIR.mkdir(exist_ok=True)
    with LOG_FILE.open("a") as log:
        process, port = start_server_process(path=DEFAULT_PATH, port=port, log=log, detach=True)
    # The child keeps running on its own; its stdout pipe is no longer read.
    process.stdout.close()
    PID_FILE.write_text(str(process.pid))
    print(f"Embedded MongoDB started (pid {process.pid}, port {port}, data in {DEFAULT_PATH}).")


def stop():
    stop_recorded_process(PID_FILE, name="Embedded MongoDB")


def status():
    pid = running_pid(PID_FILE)
    print(f"running (pid {pid}, port {_configured_port()})" if pid else "not running")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m devtools.embedded_mongodb", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("ensure")
    commands.add_parser("stop")
    commands.add_parser("status")
    serve_parser = commands.add_parser("serve")
    storage = serve_parser.add_mutually_exclusive_group()
    storage.add_argument("--memory", action="store_true", help="keep data in memory only")
    storage.add_argument("--path", type=Path, default=DEFAULT_PATH, help="SQLite file for the data")
    serve_parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    if args.command == "serve":
        asyncio.run(serve(path=None if args.memory else args.path, port=args.port))
    else:
        {"ensure": ensure, "stop": stop, "status": status}[args.command]()


if __name__ == "__main__":
    main()

"""Run the load benchmarks and write docs/performance.md and docs/performance.png.

    python -m bench                                        # what `make bench` runs
    python -m bench --sizes 100 --seconds 5 --no-report    # a quick look; docs/ left alone
    python -m bench --render-only                          # rewrite docs/ from the last run's results

For each catalog size: a fresh in-memory embedded database, migrate, generate the catalog, serve
the shop with gunicorn, send one request of each scenario, then drive it with locust from a
separate process; afterwards look inside one catalog and one product request in-process. Logs,
raw samples and profiles land in bench/results/ (git-ignored).
"""

import argparse
import json
import os
import pstats
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from pymongo import MongoClient

from bench import console, report
from bench.engine_checks import run_engine_checks
from bench.inspect_pages import top_functions
from bench.load import run_scenario
from bench.machine import machine_description
from bench.scenarios import FLOOR, SCENARIOS, unservable
from bench.server import BASE_DIR, DATABASE_NAME, AppServer, DatabaseServer, django_environment
from bench.stripe_peer import StripePeer

RESULTS_DIR = BASE_DIR / "bench" / "results"
PROFILED_REQUESTS = 10


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 5000], help="catalog sizes (products)")
    parser.add_argument("--seconds", type=int, default=12, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before each scenario")
    parser.add_argument("--users", type=int, default=4, help="concurrent locust users")
    parser.add_argument("--no-report", action="store_true", help="print the summary, leave docs/ alone")
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS_DIR, help="where logs and raw results go (emptied first)"
    )
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite docs/ from bench/results/results.json, no run"
    )
    args = parser.parse_args(argv)
    if args.render_only:
        results = json.loads((args.results_dir / "results.json").read_text())
        results["sizes"] = {int(size): outcome for size, outcome in results["sizes"].items()}
        write_report(results)
        return

    started = time.monotonic()
    load_average_before = list(os.getloadavg())
    machine = machine_description()
    shutil.rmtree(args.results_dir, ignore_errors=True)
    args.results_dir.mkdir(parents=True)
    run = Run(args)
    try:
        sizes = {}
        for size in args.sizes:
            print(f"== catalog of {size:,} products", flush=True)
            sizes[size] = run.catalog_size(size)
        print("== engine checks", flush=True)
        engine = run.engine_checks()
    finally:
        run.stripe.stop()
    results = {
        "machine": machine,
        "load_average_before": load_average_before,
        "load_average_after": list(os.getloadavg()),
        "settings": {"seconds": args.seconds, "warmup": args.warmup, "users": args.users, "workers": 2},
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "elapsed_seconds": time.monotonic() - started,
        "sizes": sizes,
        "engine_checks": engine,
    }
    (args.results_dir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print(console.render_summary(results))
    if not args.no_report:
        write_report(results)
    print(f"bench finished in {results['elapsed_seconds']:.0f} s")


def write_report(results):
    docs = BASE_DIR / "docs"
    report.write(results, markdown=docs / "performance.md", chart=docs / "performance.png")
    print("wrote docs/performance.md and docs/performance.png")


class Run:
    def __init__(self, args):
        self.args = args
        self.webhook_secret = f"whsec_bench_{secrets.token_hex(16)}"
        self.results_dir = args.results_dir
        self.static_root = self.results_dir / "static"
        self.stripe = StripePeer()
        env = self.environment("mongodb://127.0.0.1:9/", self.results_dir)
        with (self.results_dir / "collectstatic.log").open("w") as log:
            run_logged([sys.executable, "manage.py", "collectstatic", "--no-input"], env=env, log=log)

    def environment(self, mongodb_uri, work_dir):
        env = django_environment(
            mongodb_uri=mongodb_uri, static_root=self.static_root, webhook_secret=self.webhook_secret
        )
        env["BENCH_CATALOG"] = str(work_dir / "catalog.json")
        env["BENCH_WEBHOOK_SECRET"] = self.webhook_secret
        env["BENCH_STRIPE_CUSTOMER"] = self.stripe.customer_id
        return env

    def catalog_size(self, size):
        work_dir = self.results_dir / f"catalog-{size}"
        work_dir.mkdir()
        with (work_dir / "bench.log").open("w") as log:
            database = DatabaseServer(log=log)
            try:
                env = self.environment(database.uri, work_dir)
                setup = prepare_database(size, database=database, env=env, work_dir=work_dir, log=log)
                slug = json.loads((work_dir / "catalog.json").read_text())["slugs"][size // 2]
                runs, missing, profiles = self.load_scenarios(
                    env=env, database=database, slug=slug, work_dir=work_dir, log=log
                )
                if "catalog" in missing:
                    # The engine is still computing what the abandoned catalog request asked for.
                    database.stop()
                    database = DatabaseServer(log=log)
                    env = self.environment(database.uri, work_dir)
                    prepare_database(size, database=database, env=env, work_dir=work_dir, log=log)
                inspection_path = work_dir / "inspect.json"
                command = [
                    sys.executable,
                    "-m",
                    "bench.inspect_pages",
                    "--slug",
                    slug,
                    "--out",
                    str(inspection_path),
                ]
                if size == min(self.args.sizes):
                    # Not kept, a page costs the engine's time for the catalog's size at each request.
                    command.append("--time-shares")
                run_logged(command, env=env, log=log)
            finally:
                database.stop()
        return {
            "products": size,
            "setup": setup,
            "inspection": json.loads(inspection_path.read_text()),
            "runs": {key: run.as_dict() for key, run in runs.items()},
            "missing": missing,
            "database_profiles": profiles,
        }

    def load_scenarios(self, *, env, database, slug, work_dir, log):
        """Serve the shop with gunicorn and drive each scenario; return (runs, missing, profiles)."""
        runs, missing, profiles = {}, {}, {}
        app = AppServer(env=env, log=log)
        try:
            watched = {"app (2 workers)": app.worker_pids(), "database": [database.process.pid]}
            for scenario in SCENARIOS:
                reason = unservable(
                    scenario,
                    base_url=app.url,
                    slug=slug,
                    webhook_secret=self.webhook_secret,
                    stripe_customer_id=self.stripe.customer_id,
                )
                if reason:
                    print(f"   {scenario.key}: not load-tested, {reason}", flush=True)
                    missing[scenario.key] = reason
                    continue
                runs[scenario.key] = run_scenario(
                    scenario,
                    host=app.url,
                    env=env,
                    users=self.args.users,
                    seconds=self.args.seconds * scenario.window_factor,
                    warmup_seconds=self.args.warmup,
                    work_dir=work_dir,
                    watched_pids=watched,
                    log=log,
                )
                if scenario.key == "webhook":
                    runs[scenario.key].check = webhook_events_check(database)
                    worker = worker_throughput(
                        database, env={**env, "STRIPE_API_BASE": self.stripe.url}, log=log
                    )
                    runs[scenario.key].check += "; " + worker_line(worker, floor=runs.get("floor"))
                print(f"   {scenario.key}: {console.one_line(runs[scenario.key].as_dict())}", flush=True)
                if runs[scenario.key].check:
                    print(f"   {scenario.key}: {runs[scenario.key].check}", flush=True)
                page = {"product": f"/products/{slug}/", "catalog": "/"}.get(scenario.key)
                if page:
                    path = work_dir / f"database-{scenario.key}.prof"
                    profiles[f"{scenario.key} page"] = profile_database(database, f"{app.url}{page}", path)
        finally:
            app.stop()
        return runs, missing, profiles

    def engine_checks(self):
        work_dir = self.results_dir / "engine-checks"
        work_dir.mkdir()
        with (work_dir / "bench.log").open("w") as log:
            database = DatabaseServer(log=log)
            try:
                return run_engine_checks(database, work_dir)
            finally:
                database.stop()


def prepare_database(size, *, database, env, work_dir, log):
    """Migrate, generate (once) and load the catalog, render its product pages ahead; return how
    long each step took."""
    timings = {}
    began = time.monotonic()
    run_logged([sys.executable, "manage.py", "migrate", "--no-input"], env=env, log=log)
    timings["migrate_seconds"] = time.monotonic() - began
    began = time.monotonic()
    if not (work_dir / "catalog.json").exists():
        command = [
            sys.executable,
            "-m",
            "bench.catalog_data",
            "--products",
            str(size),
            "--out",
            str(work_dir),
        ]
        run_logged(command, env=env, log=log)
    timings["generate_seconds"] = time.monotonic() - began
    began = time.monotonic()
    files = json.loads((work_dir / "catalog.json").read_text())["files"]
    timings["documents"] = {collection: database.seed(collection, path) for collection, path in files.items()}
    timings["load_seconds"] = time.monotonic() - began
    # What the worker does every few minutes, and what a deploy runs: product pages kept before
    # the first shopper asks (catalog.product_page).
    began = time.monotonic()
    run_logged([sys.executable, "manage.py", "render_product_pages"], env=env, log=log)
    timings["render_product_pages_seconds"] = time.monotonic() - began
    return timings


def webhook_events_check(database):
    """Say how many webhook events the shop stored, and how many of them it processed."""
    with MongoClient(database.uri) as client:
        events = client[DATABASE_NAME]["payments_webhookevent"]
        stored = events.count_documents({})
        processed = events.count_documents({"processed": True})
    return f"{stored:,} events stored, {processed:,} of them processed (warm-up and first request included)"


def worker_throughput(database, *, env, log, timeout=300):
    """Let one worker process run the tasks the webhook scenario queued; return what it did.

    Timed from its first finished task to its last, so that its start-up is not counted.
    """
    with MongoClient(database.uri) as client:
        tasks = client[DATABASE_NAME]["jobs_taskrecord"]
        queued = tasks.count_documents({"status": {"$in": ["READY", "RUNNING"]}})
        if not queued:
            return {"tasks": 0, "seconds": None, "events_per_second": None}
        command = [sys.executable, "manage.py", "run_worker", "--no-periodic"]
        worker = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=log)  # noqa: S603
        try:
            deadline = time.monotonic() + timeout
            while not (first := tasks.count_documents({"status": "SUCCESSFUL"})):
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the worker ran no task (see the log)")
                time.sleep(0.05)
            began = time.monotonic()
            while (left := tasks.count_documents({"status": {"$in": ["READY", "RUNNING"]}})) and (
                time.monotonic() < deadline
            ):
                time.sleep(0.05)
            seconds = time.monotonic() - began
            done = tasks.count_documents({"status": "SUCCESSFUL"}) - first
        finally:
            worker.terminate()
            worker.wait(30)
    return {
        "tasks": queued,
        "left": left,
        "seconds": seconds,
        "events_per_second": done / seconds if seconds else None,
    }


def worker_line(worker, *, floor):
    """Say how fast one worker processed the queued events, against the floor's requests per second."""
    if not worker["events_per_second"]:
        return "no queued event for the worker"
    line = (
        f"one worker process then processed them at {worker['events_per_second']:.1f} events/s "
        f"({worker['tasks']:,} queued, {worker['left']:,} left)"
    )
    floor_rps = floor.summaries[FLOOR].requests_per_second if floor else None
    if floor_rps:
        line += f", the floor's {floor_rps:.0f} req/s being {floor_rps / worker['events_per_second']:.1f}×"
    return line


def profile_database(database, url, path):
    """Profile the database server while it answers PROFILED_REQUESTS sequential requests of url."""
    database.profile_start()
    began = time.monotonic()
    for _ in range(PROFILED_REQUESTS):
        with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - our own local URL
            response.read()
    wall = time.monotonic() - began
    database.profile_stop(path)
    profile = top_functions(pstats.Stats(str(path)), lines=12)
    profile["requests"] = PROFILED_REQUESTS
    profile["wall_seconds"] = wall
    return profile


def run_logged(command, *, env, log, timeout=600):
    log.write(f"$ {' '.join(command)}\n")
    log.flush()
    subprocess.run(command, cwd=BASE_DIR, env=env, stdout=log, stderr=log, check=True, timeout=timeout)  # noqa: S603


if __name__ == "__main__":
    main()

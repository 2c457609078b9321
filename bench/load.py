"""Run one scenario of bench/locustfile.py in a separate locust process and summarize what it saw."""

import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.scenarios import Scenario
from bench.server import BASE_DIR
from bench.stats import Summary, summarize

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# How long a scenario's users may take to set up (fill their carts) before measuring starts.
SETUP_ALLOWANCE_SECONDS = 60


@dataclass
class ScenarioRun:
    scenario: Scenario
    duration_seconds: float
    summaries: dict[str, Summary]
    # CPU seconds used in the measured window by the load tool and each watched process group.
    cpu_seconds: dict[str, float]
    # What the database held afterwards, when the scenario's effect can be checked there.
    check: str = ""

    def as_dict(self):
        """Return the run as the results keep it (results.json, the report)."""
        return {
            "title": self.scenario.title,
            "duration_seconds": self.duration_seconds,
            "cpu_seconds": self.cpu_seconds,
            "summaries": {name: asdict(summary) for name, summary in self.summaries.items()},
            "check": self.check,
        }


def run_scenario(scenario, *, host, env, users, seconds, warmup_seconds, work_dir, watched_pids, log):
    """Drive `users` concurrent users for warmup + seconds; return what was measured after the warm-up.

    `watched_pids` maps a label ("app", "database") to the pids whose CPU time is measured.
    """
    results = work_dir / f"load-{scenario.key}.json"
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        # A cap: the locustfile stops the run once it has measured `seconds` (after any set-up).
        "--run-time",
        f"{round(warmup_seconds + seconds + SETUP_ALLOWANCE_SECONDS)}s",
        "--stop-timeout",
        "0",
        "--only-summary",
        "--exit-code-on-error",
        "0",
        "--loglevel",
        "WARNING",
        scenario.user_class,
    ]
    run_env = {
        **env,
        "BENCH_RESULTS": str(results),
        "BENCH_WARMUP_SECONDS": str(warmup_seconds),
        "BENCH_SECONDS": str(seconds),
        "BENCH_WATCH_PIDS": json.dumps(watched_pids),
    }
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        command,
        cwd=BASE_DIR,
        env=run_env,
        stdout=log,
        stderr=log,
        check=True,
        timeout=seconds + warmup_seconds + SETUP_ALLOWANCE_SECONDS + 60,
    )
    measured = json.loads(results.read_text())
    duration = measured["duration_seconds"]
    summaries = {
        name: summarize(measured["samples"].get(name, []), duration_seconds=duration)
        for name in scenario.request_names
    }
    return ScenarioRun(
        scenario=scenario, duration_seconds=duration, summaries=summaries, cpu_seconds=measured["cpu_seconds"]
    )

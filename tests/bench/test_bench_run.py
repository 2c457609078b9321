"""The bench itself, run for real for a few seconds: it must not break silently again.

test_bench_smoke.py checks the bench's pure helpers only; nothing ran the bench, so when production
settings came to require SHOP_BASE_URL its collectstatic step failed and nobody noticed.
"""

import subprocess
import sys

from bench.server import BASE_DIR


def test_a_short_bench_run_measures_every_scenario_and_the_worker(tmp_path):
    run = subprocess.run(  # noqa: S603 -- our own interpreter and module
        [
            sys.executable,
            "-m",
            "bench",
            "--sizes",
            "20",
            "--seconds",
            "1",
            "--warmup",
            "0",
            "--no-report",
            "--results-dir",
            str(tmp_path / "results"),
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    for name in (
        "floor",
        "product page",
        "add to cart (POST)",
        "cart page",
        "webhook (POST)",
        "catalog page",
    ):
        [row] = [line for line in lines if line.strip().startswith(name + " ")]
        assert " errors 0 " in row, row
    [worker] = [line for line in lines if "one worker process then processed them at" in line]
    assert "0 left" in worker
    assert "the floor's" in worker
    assert (tmp_path / "results" / "results.json").exists()

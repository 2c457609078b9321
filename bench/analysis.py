"""Figures computed from a benchmark's results: one row per request, ratios to the floor, CPU, scale."""

from bench.scenarios import CATALOG_PAGE, PRODUCT_PAGE, SCENARIOS
from bench.stats import ratio

DATABASE = "database"
APP = "app (2 workers)"
LOAD_TOOL = "load tool"
# The process groups whose CPU time the load tool measures, in the order the report shows them.
CPU_GROUPS = [DATABASE, APP, LOAD_TOOL]
FLOOR_RATIOS = ("rps", "p50_ms", "p95_ms", "p99_ms", "app_cpu_ms")
GROWTH = ("p50_ms", "p95_ms", "db_ms_p50")


def rows(outcome):
    """Return one flat row per measured request name, in scenario order."""
    flat = []
    for scenario in SCENARIOS:
        run = outcome["runs"].get(scenario.key)
        if run is None:
            continue
        app_cpu_ms, engine_cpu_ms = cpu_ms_per_request(run, APP), cpu_ms_per_request(run, DATABASE)
        for name in scenario.request_names:
            summary = run["summaries"][name]
            flat.append(
                {
                    "name": name,
                    "scenario": scenario.key,
                    "rps": summary["requests_per_second"],
                    "p50_ms": summary["p50_ms"],
                    "p95_ms": summary["p95_ms"],
                    "p99_ms": summary["p99_ms"],
                    "errors": summary["errors"],
                    "requests": summary["requests"],
                    "commands": summary["commands_per_request"],
                    "commands_min": summary["commands_min"],
                    "commands_max": summary["commands_max"],
                    "db_ms_p50": summary["db_ms_p50"],
                    "typical_commands": summary["typical_commands"],
                    "cpu": run["cpu_seconds"],
                    "duration": run["duration_seconds"],
                    "app_cpu_ms": app_cpu_ms,
                    "engine_cpu_ms": engine_cpu_ms,
                }
            )
    return flat


def row(outcome, name):
    return next((each for each in rows(outcome) if each["name"] == name), None)


def cpu_ms_per_request(run, group):
    """Return the CPU ms a process group used per request the scenario served, or None if unknown.

    CPU is measured per scenario, not per request name: the requests of one flow share the figure.
    """
    served = sum(summary["requests"] for summary in run["summaries"].values())
    if group not in run["cpu_seconds"] or not served:
        return None
    return 1000 * run["cpu_seconds"][group] / served


def floor_ratios(row, floor):
    """Return each figure of the row that compares with the floor, divided by the floor's."""
    return {key: ratio(row[key], floor[key] if floor else None) for key in FLOOR_RATIOS}


def cpu_percent(row):
    """Return {group: % of a core used while the scenario ran}, the rest of the machine as "other".

    None when the scenario has no measured window.
    """
    if not row["duration"]:
        return None
    used = {group: row["cpu"].get(group, 0) for group in CPU_GROUPS}
    if "machine" in row["cpu"]:
        used["other"] = max(0.0, row["cpu"]["machine"] - sum(used.values()))
    return {group: 100 * seconds / row["duration"] for group, seconds in used.items()}


def growth(before, after):
    """Return how many times each latency figure of a request grew between two catalog sizes."""
    return {key: ratio(after[key], before[key]) for key in GROWTH}


def commands_stay_the_same(results):
    """Return {page: True/False, or None unless it was load-tested at every size} for both pages."""
    verdicts = {}
    for name in (CATALOG_PAGE, PRODUCT_PAGE):
        found = [row(outcome, name) for outcome in results["sizes"].values()]
        if any(each is None for each in found):
            verdicts[name] = None
        else:
            verdicts[name] = len({(each["commands_min"], each["commands_max"]) for each in found}) == 1
    return verdicts


def inspected_requests(outcome):
    """Yield (name, details) of every request inspected in-process at one size."""
    inspection = outcome["inspection"]
    yield PRODUCT_PAGE, inspection[PRODUCT_PAGE]
    yield from (inspection.get("cart flow") or {}).items()
    yield CATALOG_PAGE, inspection[CATALOG_PAGE]

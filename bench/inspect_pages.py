"""Look inside one request of the catalog and product pages: their commands, plans and profile.

    python -m bench.inspect_pages --slug SLUG --out FILE    # DJANGO_SETTINGS_MODULE=bench.settings

Runs in-process through Django's test Client against the benchmark database. For each page it
records every command the request sends (pymongo command monitoring), asks the embedded engine
to `explain` each read, works out which index of the collection serves its filter and sort, and
profiles one request with cProfile.
"""

import argparse
import copy
import cProfile
import io
import json
import pstats
import time
from pathlib import Path

from pymongo import monitoring

from bench.indexes import index_for_query, query_shape

READ_COMMANDS = {"find", "aggregate", "count", "distinct"}
# Driver bookkeeping that is not part of the query and that `explain` must not see.
DRIVER_KEYS = {
    "$db",
    "lsid",
    "$clusterTime",
    "$readPreference",
    "txnNumber",
    "autocommit",
    "startTransaction",
}


class CommandRecorder(monitoring.CommandListener):
    def __init__(self):
        self.commands = []

    def started(self, event):
        self.commands.append(copy.deepcopy(dict(event.command)))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def explain(database, command):
    """Return the embedded engine's plan for a read command, reduced to what the report shows."""
    query = {key: value for key, value in command.items() if key not in DRIVER_KEYS}
    try:
        plan = database.command("explain", query)
    except Exception as error:
        return {"error": str(error)}
    # An aggregate's plan is the engine plan of the stages pushed down, then the stages left over.
    engine_plan = plan.get("engine_plan", plan)
    return {
        "strategy": engine_plan.get("strategy"),
        "operations": [step.get("operation") for step in engine_plan.get("physical_plan") or []],
        "remaining_stages": [next(iter(stage)) for stage in plan.get("remaining_pipeline") or []],
        "hinted_index": engine_plan.get("hinted_index"),
        "details": engine_plan.get("details"),
    }


def inspect_page(client, url, recorder, database, indexes):
    """Record one request's commands, their shapes and indexes, the engine's plans and a profile.

    When the page fails (the engine gave up on a command), its commands so far are still recorded,
    but nothing more is asked of the engine: it is still busy with the command the page abandoned.
    """
    recorder.commands.clear()
    began = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - began
    commands = list(recorder.commands)
    succeeded = response.status_code == 200
    reads = []
    for command in commands:
        name = next(iter(command))
        if name not in READ_COMMANDS:
            continue
        collection = command[name]
        shape = query_shape(command)
        reads.append(
            {
                "command": name,
                "collection": collection,
                "shape": shape,
                "index": index_for_query(shape, indexes[collection]) if collection in indexes else None,
                "embedded_plan": explain(database, command) if succeeded else {"error": "not asked"},
            }
        )
    return {
        "url": url,
        "status": response.status_code,
        "seconds": seconds,
        "commands": [next(iter(command)) for command in commands],
        "reads": reads,
        # The first request opened the connection and compiled the templates: profile a second one.
        "profile": profile_request(client, url) if succeeded else None,
    }


def profile_request(client, url, *, lines=12):
    """Return the top functions by own time of one request, and its total time."""
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url)
    profiler.disable()
    return top_functions(pstats.Stats(profiler, stream=io.StringIO()), lines=lines)


def top_functions(stats, *, lines):
    """Return {"total_seconds", "rows": [{"function", "calls", "own_seconds", "cumulative_seconds"}]}."""
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():
        rows.append(
            {
                "function": f"{short_path(filename)}:{line}({function})",
                "calls": calls,
                "own_seconds": own,
                "cumulative_seconds": cumulative,
            }
        )
    rows.sort(key=lambda row: row["own_seconds"], reverse=True)
    return {"total_seconds": stats.total_tt, "rows": rows[:lines]}


def short_path(filename):
    """Shorten a source path to what follows site-packages/ or the Python library folder."""
    for marker in ("site-packages/", "/lib/python3.13/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slug", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    recorder = CommandRecorder()
    # Registered before Django opens its MongoClient, which picks up global listeners at creation.
    monitoring.register(recorder)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    client = Client(SERVER_NAME="127.0.0.1", raise_request_exception=False)
    database = connection.database
    indexes = {name: database[name].index_information() for name in ("catalog_product", "catalog_price")}
    # The product page first: a catalog page that fails leaves the engine busy for minutes.
    pages = {
        "product page": reverse("catalog:product_detail", kwargs={"slug": args.slug}),
        "catalog page": reverse("catalog:product_list"),
    }
    report = {name: inspect_page(client, url, recorder, database, indexes) for name, url in pages.items()}
    args.out.write_text(json.dumps(report, default=str))


if __name__ == "__main__":
    main()

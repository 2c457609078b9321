"""Look inside one request of each page: its commands and their time, plans and profile.

    python -m bench.inspect_pages --slug SLUG --out FILE    # DJANGO_SETTINGS_MODULE=bench.settings

Runs in-process through Django's test Client against the benchmark database. For each request it
records every command sent and its round-trip time (pymongo command monitoring). For the catalog
and product pages it also asks the embedded engine to `explain` each read, works out which index
of the collection serves its filter and sort, and profiles one request with cProfile. The add to
cart and the cart page are the guest flow of the load test, submitted from the product page's form.
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
from bench.server import BASE_DIR

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
    """Keep every command sent, and how long each took to answer."""

    def __init__(self):
        self.commands = []
        self.milliseconds = {}

    def clear(self):
        self.commands.clear()
        self.milliseconds.clear()

    def started(self, event):
        self.commands.append((event.request_id, copy.deepcopy(dict(event.command))))

    def succeeded(self, event):
        self.milliseconds[event.request_id] = event.duration_micros / 1000

    def failed(self, event):
        self.milliseconds[event.request_id] = event.duration_micros / 1000

    def timed_commands(self):
        """Return [{"command", "collection", "ms", "stages"}] in the order they were sent."""
        timed = []
        for request_id, command in self.commands:
            name = next(iter(command))
            stages = [next(iter(stage)) for stage in command.get("pipeline", []) if isinstance(stage, dict)]
            timed.append(
                {
                    "command": name,
                    "collection": command[name] if isinstance(command[name], str) else "",
                    "ms": self.milliseconds.get(request_id),
                    "stages": stages,
                }
            )
        return timed


def explain(database, command):
    """Return the embedded engine's plan for a read command, reduced to what the report shows."""
    query = {key: value for key, value in command.items() if key not in DRIVER_KEYS}
    try:
        plan = database.command("explain", query)
    except Exception as error:  # an engine that cannot explain a command is itself worth reporting
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
    recorder.clear()
    began = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - began
    commands = [command for _, command in recorder.commands]
    timed = recorder.timed_commands()
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
        "timed_commands": timed,
        "reads": reads,
        # The first request opened the connection and compiled the templates: profile a second one.
        "profile": profile_request(client, url) if succeeded else None,
    }


def inspect_cart_flow(client, product_url, recorder):
    """Submit the product page's first add-to-cart form, then open the cart; time both requests' commands."""
    from bench.forms import find_form

    form = find_form(client.get(product_url).content.decode(), action_contains="/cart/")
    if form is None:
        return {}
    flow = {}
    for name, send in (
        ("add to cart (POST)", lambda: client.post(form.action, form.fields)),
        ("cart page", lambda: client.get("/cart/")),
    ):
        recorder.clear()
        began = time.perf_counter()
        response = send()
        flow[name] = {
            "status": response.status_code,
            "seconds": time.perf_counter() - began,
            "timed_commands": recorder.timed_commands(),
        }
    return flow


# Where a sample's time goes: to the innermost frame whose file one of these names, else the shop's
# own code (this repository), else what called it (a socket wait inside the driver is the database's).
TIME_SHARES = [
    ("database", ("pymongo/", "bson/", "django/db/", "django_mongodb_backend/", "shop/cache.py")),
    ("templates", ("django/template/", "django/templatetags/", "sorl/", "babel/")),
    ("forms", ("django/forms/",)),
    ("URLs", ("django/urls/",)),
    ("other Django", ("django/",)),
]
SHOP_CODE = "shop code"
TIME_SHARE_REQUESTS = 30


def time_shares(client, url, *, states=("not kept", "kept")):
    """Profile TIME_SHARE_REQUESTS sequential requests with pyinstrument, the page not kept (the
    catalog changed before each) and kept; return, for each, ms per request and the share of
    each of TIME_SHARES and of the shop's own code."""
    from pyinstrument import Profiler

    from catalog.page_cache import catalog_changed

    names = [name for name, _ in TIME_SHARES] + [SHOP_CODE]
    shares = {}
    for state in states:
        client.get(url)
        profiler = Profiler(interval=0.0002, async_mode="disabled")
        profiler.start()
        for _ in range(TIME_SHARE_REQUESTS):
            if state == "not kept":
                catalog_changed()
            client.get(url)
        session = profiler.stop()
        seconds = dict.fromkeys(names, 0.0)
        root = session.root_frame()
        frames = [(root, SHOP_CODE)] if root else []
        while frames:
            frame, inherited = frames.pop()
            name = frame_share(frame.file_path or "", inherited)
            seconds[name] += frame.total_self_time
            frames.extend((child, name) for child in frame.children if not child.is_synthetic)
        total = sum(seconds.values())
        shares[state] = {
            "ms_per_request": session.duration * 1000 / TIME_SHARE_REQUESTS,
            "shares": {name: value / total if total else 0 for name, value in seconds.items()},
        }
    return shares


def frame_share(path, inherited):
    share = next((name for name, parts in TIME_SHARES if any(part in path for part in parts)), None)
    if share is not None:
        return share
    if path.startswith(str(BASE_DIR)) and "/.venv/" not in path and "site-packages" not in path:
        return SHOP_CODE
    return inherited


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
    parser.add_argument("--time-shares", action="store_true", help="also profile each page with pyinstrument")
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
    # Read up front: after a failed page the engine answers nothing for minutes.
    indexes = {name: database[name].index_information() for name in database.list_collection_names()}
    # The product page first: a catalog page that fails leaves the engine busy for minutes.
    pages = {
        "product page": reverse("catalog:product_detail", kwargs={"slug": args.slug}),
        "catalog page": reverse("catalog:product_list"),
    }
    report = {"product page": inspect_page(client, pages["product page"], recorder, database, indexes)}
    # A guest of its own, as in the load test: the catalog page below stays an anonymous visit.
    report["cart flow"] = inspect_cart_flow(
        Client(SERVER_NAME="127.0.0.1", raise_request_exception=False), pages["product page"], recorder
    )
    report["catalog page"] = inspect_page(client, pages["catalog page"], recorder, database, indexes)
    pages["cart page"] = reverse("cart:detail")
    if args.time_shares:
        report["time shares"] = {
            page: time_shares(
                client,
                url,
                states=("not kept by this cache",) if page == "cart page" else ("not kept", "kept"),
            )
            for page, url in pages.items()
        }
    args.out.write_text(json.dumps(report, default=str))


if __name__ == "__main__":
    main()

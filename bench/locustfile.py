"""The load scenarios, one locust user class each, run by bench/load.py in its own process.

    locust -f bench/locustfile.py --headless --host URL -u USERS -t 12s CatalogUser

Environment: BENCH_CATALOG (catalog.json of bench/catalog_data.py), BENCH_WEBHOOK_SECRET,
BENCH_RESULTS (where to write the samples as JSON), BENCH_WARMUP_SECONDS (samples of the first
seconds are dropped: workers open connections and fill template caches then), BENCH_SECONDS (how
long to measure once warmed up and set up; the run then stops), BENCH_WATCH_PIDS
(JSON {"label": [pid, ...]}: processes whose CPU time is measured over the same window, along
with the whole machine's, so that other work on the machine shows).
Every sample keeps the latency, the error if any, and the database commands the server reported.
"""

import json
import os
import random
import time
from pathlib import Path
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, constant, events, task

from bench.db_commands import COMMAND_NAMES_HEADER, COMMANDS_HEADER, DB_MILLISECONDS_HEADER
from bench.forms import find_form
from bench.scenarios import (
    ADD_TO_CART,
    CART_FLOW_PAGE,
    CART_PAGE,
    CART_PAGE_LINES,
    CART_PRODUCT_PAGE,
    CATALOG_PAGE,
    FLOOR,
    PRODUCT_PAGE,
    WEBHOOK,
)
from bench.server import cpu_seconds, machine_busy_seconds
from bench.webhooks import signed_delivery

CATALOG = json.loads(Path(os.environ["BENCH_CATALOG"]).read_text())
WEBHOOK_SECRET = os.environ["BENCH_WEBHOOK_SECRET"]
STRIPE_CUSTOMER = os.environ["BENCH_STRIPE_CUSTOMER"]
RESULTS_PATH = Path(os.environ["BENCH_RESULTS"])
WARMUP_SECONDS = float(os.environ.get("BENCH_WARMUP_SECONDS", "2"))
MEASURE_SECONDS = float(os.environ.get("BENCH_SECONDS", "12"))
WATCHED_PIDS = {**json.loads(os.environ.get("BENCH_WATCH_PIDS", "{}")), "load tool": [os.getpid()]}
ADDS_PER_CART = 5
# Requests that build the cart page scenario's cart: sent at the start, before measuring.
CART_VIEW_SETUP = "cart page: filling the cart"

_run = {"measure_from": None, "cpu_from": None, "samples": {}, "users_setting_up": 0}


def random_product_path():
    return f"/products/{random.choice(CATALOG['slugs'])}/"  # noqa: S311 - picks a page, not a secret


class ShopUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    # A request still unanswered after this counts as an error rather than hiding past the window.
    network_timeout = 30.0


class FloorUser(ShopUser):
    @task
    def floor(self):
        self.client.get("/bench/floor/", name=FLOOR)


class CatalogUser(ShopUser):
    @task
    def catalog_page(self):
        self.client.get("/", name=CATALOG_PAGE)


class ProductUser(ShopUser):
    @task
    def product_page(self):
        self.client.get(random_product_path(), name=PRODUCT_PAGE)


class CartUser(ShopUser):
    """A guest opens a product, submits its add-to-cart form, looks at the cart; a new guest every 5 adds."""

    def on_start(self):
        self.adds = 0

    @task
    def add_to_cart_then_view_cart(self):
        if self.adds == ADDS_PER_CART:
            self.client.cookiejar.clear()
            self.adds = 0
        add_random_product(self.client, product_page_name=CART_PRODUCT_PAGE, add_name=ADD_TO_CART)
        self.client.get("/cart/", name=CART_FLOW_PAGE)
        self.adds += 1


class CartViewUser(ShopUser):
    """A guest fills a cart with a few products once, then views the cart page again and again."""

    def on_start(self):
        _run["users_setting_up"] += 1
        try:
            for _ in range(CART_PAGE_LINES):
                add_random_product(self.client, product_page_name=CART_VIEW_SETUP, add_name=CART_VIEW_SETUP)
        finally:
            _run["users_setting_up"] -= 1

    @task
    def cart_page(self):
        self.client.get("/cart/", name=CART_PAGE)


def add_random_product(client, *, product_page_name, add_name):
    """Open a random product page and submit its first add-to-cart form (redirect not followed)."""
    page = client.get(random_product_path(), name=product_page_name)
    form = find_form(page.text or "", action_contains="/cart/")
    if form is None:
        events.request.fire(
            request_type="POST",
            name=add_name,
            response_time=0,
            response_length=0,
            response=None,
            context={},
            exception=RuntimeError("the product page has no add-to-cart form"),
        )
        return
    client.post(
        form.action,
        data=urlencode(form.fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        name=add_name,
        allow_redirects=False,
    )


class WebhookUser(ShopUser):
    @task
    def deliver_event(self):
        body, headers = signed_delivery(secret=WEBHOOK_SECRET, customer_id=STRIPE_CUSTOMER)
        self.client.post("/payments/webhook/", data=body, headers=headers, name=WEBHOOK)


def cpu_snapshot():
    snapshot = {label: sum(cpu_seconds(pid) for pid in pids) for label, pids in WATCHED_PIDS.items()}
    return {**snapshot, "machine": machine_busy_seconds()}


def start_measuring():
    _run["cpu_from"] = cpu_snapshot()
    _run["measure_from"] = time.monotonic()


def measure_once_set_up(environment):
    # A user still filling its cart would put that work into the measured window, and on a busy
    # machine the filling can outlast a short run: the window starts after it and has its full length.
    while _run["users_setting_up"]:
        gevent.sleep(0.05)
    start_measuring()
    gevent.sleep(MEASURE_SECONDS)
    environment.runner.quit()


@events.test_start.add_listener
def schedule_measuring(environment, **kwargs):
    gevent.spawn_later(WARMUP_SECONDS, measure_once_set_up, environment)


@events.request.add_listener
def record_sample(name, response_time, response, exception, **kwargs):
    if _run["measure_from"] is None or time.monotonic() < _run["measure_from"] or name == CART_VIEW_SETUP:
        return
    headers = getattr(response, "headers", None) or {}
    commands = headers.get(COMMANDS_HEADER)
    status = getattr(response, "status_code", 0)
    error = repr(exception) if exception else (f"HTTP {status}" if status >= 400 else None)
    _run["samples"].setdefault(name, []).append(
        {
            "ms": response_time,
            "status": status,
            "error": error,
            "commands": int(commands) if commands is not None else None,
            "command_names": headers.get(COMMAND_NAMES_HEADER),
            "db_ms": float(headers[DB_MILLISECONDS_HEADER]) if DB_MILLISECONDS_HEADER in headers else None,
        }
    )


@events.test_stop.add_listener
def write_results(environment, **kwargs):
    duration = time.monotonic() - _run["measure_from"]
    cpu_until = cpu_snapshot()
    cpu = {label: cpu_until[label] - _run["cpu_from"][label] for label in cpu_until}
    RESULTS_PATH.write_text(
        json.dumps({"duration_seconds": duration, "cpu_seconds": cpu, "samples": _run["samples"]})
    )

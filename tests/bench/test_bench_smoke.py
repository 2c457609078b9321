"""The benchmark's pure helpers: statistics, forms, signed webhooks, index choice, the report. No load."""

import json

import pytest
import stripe

from bench import analysis, console, report
from bench.forms import find_form
from bench.indexes import index_for_query, query_shape
from bench.scenarios import ADD_TO_CART, CART_FLOW_PAGE, CART_PRODUCT_PAGE
from bench.stats import percentile, ratio, summarize, typical_commands
from bench.webhooks import signed_delivery

PRODUCT_INDEXES = {
    "_id_": {"key": [("_id", 1)], "unique": True},
    "catalog_product_slug_uniq": {
        "key": [("slug", 1)],
        "unique": True,
        "partialFilterExpression": {"slug": {"$gte": ""}},
    },
    "product_available_newest": {"key": [("active", 1), ("deleted_at", 1), ("created_at", -1)]},
}
AVAILABLE = [{"active": True}, {"$or": [{"deleted_at": {"$exists": False}}, {"deleted_at": None}]}]


def test_percentiles_are_nearest_rank():
    latencies = list(range(1, 101))
    assert percentile(latencies, 0.50) == 50
    assert percentile(latencies, 0.95) == 95
    assert percentile(latencies, 0.99) == 99
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None


def test_ratio_to_the_floor_needs_a_floor():
    assert ratio(30.0, 3.0) == 10.0
    assert ratio(30.0, 0) is None
    assert ratio(None, 3.0) is None


def test_summary_counts_errors_throughput_and_commands():
    samples = [
        {"ms": 10.0, "error": None, "commands": 2, "command_names": "aggregate,aggregate", "db_ms": 4.0},
        {
            "ms": 30.0,
            "error": "HTTP 500",
            "commands": 3,
            "command_names": "aggregate,aggregate,update",
            "db_ms": 9,
        },
        {"ms": 20.0, "error": None, "commands": 2, "command_names": "aggregate,aggregate", "db_ms": 5.0},
    ]
    summary = summarize(samples, duration_seconds=2.0)
    assert summary.requests == 3
    assert summary.errors == 1
    assert summary.requests_per_second == 1.5
    assert summary.p50_ms == 20.0
    assert (summary.commands_min, summary.commands_max) == (2, 3)
    assert summary.commands_per_request == pytest.approx(7 / 3)
    assert summary.typical_commands == "aggregate×2"


def test_typical_commands_names_repeats_once_with_a_count():
    assert typical_commands(["find,insert,find", "find,insert,find", "find"]) == "find×2, insert"
    assert typical_commands([]) == ""


def test_the_add_to_cart_form_is_submitted_as_a_browser_would():
    html = """
      <form method="get" action="/search/"><input name="q" value=""></form>
      <form method="post" action="/cart/add/" class="add-to-cart">
        <input type="hidden" name="csrfmiddlewaretoken" value="token123">
        <input type="hidden" name="price_id" value="p1">
        <input type="number" name="quantity" value="1">
        <select name="interval">
          <option value="month">Monthly</option><option value="year" selected>Yearly</option>
        </select>
        <button type="submit">Add to cart</button>
      </form>"""
    form = find_form(html, action_contains="/cart/")
    assert form.action == "/cart/add/"
    assert form.fields == {
        "csrfmiddlewaretoken": "token123",
        "price_id": "p1",
        "quantity": "1",
        "interval": "year",
    }
    assert find_form(html, action_contains="/checkout/") is None


def test_webhook_deliveries_verify_like_stripe_and_are_unique():
    secret = "whsec_smoke"
    first_body, first_headers = signed_delivery(secret=secret, customer_id="cus_smoke")
    second_body, _ = signed_delivery(secret=secret, customer_id="cus_smoke")
    event = stripe.Webhook.construct_event(
        first_body, first_headers["Stripe-Signature"], secret, tolerance=300
    )
    assert event["type"] == "customer.updated"
    assert json.loads(first_body)["id"] != json.loads(second_body)["id"]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            first_body, first_headers["Stripe-Signature"], "whsec_other", tolerance=300
        )


def test_the_catalog_sort_is_served_by_the_compound_index():
    command = {
        "aggregate": "catalog_product",
        "pipeline": [
            {"$match": {"$and": AVAILABLE}},
            {"$addFields": {"created_at": "$created_at"}},
            {"$sort": {"created_at": -1}},
            {"$limit": 24},
        ],
    }
    shape = query_shape(command)
    assert shape["equality"] == {"active": True, "deleted_at": None}
    assert shape["sort"] == [["created_at", -1]]
    index = index_for_query(shape, PRODUCT_INDEXES)
    assert index["name"] == "product_available_newest"
    assert index["sort_covered"]


def test_a_product_by_slug_uses_the_partial_unique_index_and_a_missing_index_is_reported():
    by_slug = {
        "aggregate": "catalog_product",
        "pipeline": [{"$match": {"$and": [*AVAILABLE, {"slug": "mug"}]}}],
    }
    assert index_for_query(query_shape(by_slug), PRODUCT_INDEXES)["name"] == "catalog_product_slug_uniq"
    by_name = {"find": "catalog_product", "filter": {"name": "Mug"}, "sort": {"price": 1}}
    assert index_for_query(query_shape(by_name), PRODUCT_INDEXES) is None


def _summary(requests):
    return {
        "requests_per_second": requests / 10.0,
        "p50_ms": 10.0,
        "p95_ms": 20.0,
        "p99_ms": 30.0,
        "errors": 0,
        "requests": requests,
        "commands_per_request": 2.0,
        "commands_min": 2,
        "commands_max": 2,
        "db_ms_p50": 4.0,
        "typical_commands": "aggregate×2",
    }


def _outcome(runs):
    return {"runs": runs, "missing": {}}


def test_cpu_per_request_divides_each_process_group_by_every_request_of_the_scenario():
    cart = {
        "duration_seconds": 10.0,
        "cpu_seconds": {"app (2 workers)": 3.0, "database": 1.5, "load tool": 2.0, "machine": 8.0},
        "summaries": {
            ADD_TO_CART: _summary(100),
            CART_FLOW_PAGE: _summary(40),
            CART_PRODUCT_PAGE: _summary(10),
        },
    }
    rows = analysis.rows(_outcome({"cart": cart}))
    assert [row["name"] for row in rows] == [ADD_TO_CART, CART_FLOW_PAGE, CART_PRODUCT_PAGE]
    assert [row["app_cpu_ms"] for row in rows] == pytest.approx([20.0, 20.0, 20.0])
    assert [row["engine_cpu_ms"] for row in rows] == pytest.approx([10.0, 10.0, 10.0])


def test_app_cpu_per_request_is_compared_with_the_floor():
    floor = {
        "duration_seconds": 10.0,
        "cpu_seconds": {"app (2 workers)": 1.0, "database": 0.1},
        "summaries": {"floor": _summary(500)},
    }
    product = {
        "duration_seconds": 10.0,
        "cpu_seconds": {"app (2 workers)": 2.0, "database": 4.0},
        "summaries": {"product page": _summary(100)},
    }
    outcome = _outcome({"floor": floor, "product": product})
    ratios = analysis.floor_ratios(analysis.row(outcome, "product page"), analysis.row(outcome, "floor"))
    assert ratios["app_cpu_ms"] == pytest.approx(10.0)
    assert ratios["p50_ms"] == pytest.approx(1.0)


def test_cpu_per_request_is_unknown_without_requests_or_a_measurement():
    idle = {"duration_seconds": 10.0, "cpu_seconds": {"database": 1.0}, "summaries": {"floor": _summary(0)}}
    missing = {"duration_seconds": 10.0, "cpu_seconds": {}, "summaries": {"product page": _summary(10)}}
    rows = analysis.rows(_outcome({"floor": idle, "product": missing}))
    assert [(row["app_cpu_ms"], row["engine_cpu_ms"]) for row in rows] == [(None, None), (None, None)]
    assert analysis.floor_ratios(rows[1], rows[0])["app_cpu_ms"] is None


def test_the_report_renders_tables_ratios_and_a_chart(tmp_path):
    def run(name, p50, commands, app_cpu):
        summary = {
            "requests_per_second": 100.0 / p50,
            "p50_ms": p50,
            "p95_ms": p50 * 2,
            "p99_ms": p50 * 3,
            "errors": 0,
            "requests": 50,
            "commands_per_request": commands,
            "commands_min": commands,
            "commands_max": commands,
            "db_ms_p50": p50 / 2,
            "typical_commands": "aggregate×2" if commands else "",
        }
        return {
            "title": name,
            "duration_seconds": 10.0,
            "cpu_seconds": {"database": 5.0, "app (2 workers)": app_cpu},
            "summaries": {name: summary},
        }

    def outcome(product_p50):
        page = {"status": 200, "seconds": 0.1, "commands": ["aggregate"], "reads": [], "profile": None}
        return {
            "setup": {
                "migrate_seconds": 1.0,
                "generate_seconds": 1.0,
                "load_seconds": 1.0,
                "render_product_pages_seconds": 1.0,
                "documents": {"p": 1},
            },
            "runs": {
                "floor": run("floor", 2.0, 0, app_cpu=0.1),
                "product": run("product page", product_p50, 2, app_cpu=0.5),
            },
            "missing": {"catalog": "a single request took 30.0 s"},
            "inspection": {"product page": page, "catalog page": {**page, "status": 500}},
            "database_profiles": {},
        }

    results = {
        "machine": {
            "cpu": "Test CPU",
            "cores": 2,
            "memory": "1 GiB",
            "os": "Linux",
            "python": "3.13",
            "packages": {},
        },
        "load_average_after": [0.5, 0.5, 0.5],
        "settings": {"seconds": 12, "warmup": 2, "users": 4, "workers": 2},
        "command": "python -m bench",
        "elapsed_seconds": 60.0,
        "sizes": {100: outcome(20.0), 5000: outcome(200.0)},
        "engine_checks": {"in_seconds": {250: 0.5, 1000: 8.0}, "insert_ms": {0: 1.0, 5000: 50.0}},
    }
    markdown, chart = tmp_path / "performance.md", tmp_path / "performance.png"
    report.write(results, markdown=markdown, chart=chart)
    text = markdown.read_text()
    assert "| product page | 5.0 | 0.100 | 20.0 | ×10.0 |" in text
    assert "| DB time p50 ms | app CPU ms/request | engine CPU ms/request | app CPU × floor |" in text
    assert "| aggregate×2 | 10.0 | 10.0 | 100 | ×5.00 |" in text
    assert "app CPU ms/request" in text.split("## Method")[1].split("## Results")[0]
    assert "the 2 workers 5 %; CPU per request: app 10.0 ms, engine 100 ms." in text
    assert "**not load-tested** — a single request took 30.0 s" in text
    assert "product page: database commands per request are **the same** at 100 and 5,000 products" in text
    assert "catalog page: commands per request cannot be compared; not load-tested at 100" in text
    assert "| product page | 2.0 | 2.0 | 20.0 | 200 | ×10.0 |" in text
    assert "4× the ids and documents took 16× the time" in text
    assert chart.read_bytes().startswith(b"\x89PNG")
    product_line = console.render_summary(results).splitlines()[2]
    assert product_line.startswith("  product page")
    assert product_line.endswith("CPU ms/request app 10.0 engine 100")

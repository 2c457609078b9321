"""Turn a benchmark's results into docs/performance.md (tables, scale analysis) and a PNG chart."""

import datetime
from dataclasses import asdict

from bench.scenarios import CATALOG_PAGE, FLOOR, PRODUCT_PAGE, SCENARIOS

CART_WINDOW_FACTOR = next(scenario.window_factor for scenario in SCENARIOS if scenario.key == "cart")
CHARTED = ["floor", "catalog page", "product page", "add to cart (POST)", "cart page", "webhook (POST)"]


def run_as_dict(run):
    return {
        "title": run.scenario.title,
        "duration_seconds": run.duration_seconds,
        "cpu_seconds": run.cpu_seconds,
        "summaries": {name: asdict(summary) for name, summary in run.summaries.items()},
        "check": run.check,
    }


def one_line(run):
    parts = []
    for name, summary in run.summaries.items():
        parts.append(
            f"{name}: {summary.requests_per_second:.1f} req/s, p50 {_ms(summary.p50_ms)} ms, "
            f"{summary.errors} errors, {_number(summary.commands_per_request)} commands"
        )
    return "; ".join(parts)


def render_summary(results):
    lines = []
    for size, outcome in results["sizes"].items():
        lines.append(f"catalog of {size} products")
        for row in _rows(outcome):
            lines.append(
                f"  {row['name']:<26} {row['rps']:>8.1f} req/s  p50 {_ms(row['p50_ms']):>7} ms  "
                f"p95 {_ms(row['p95_ms']):>7} ms  p99 {_ms(row['p99_ms']):>7} ms  errors {row['errors']}  "
                f"commands {_number(row['commands'])}"
            )
        for key, reason in outcome["missing"].items():
            lines.append(f"  {key}: not load-tested, {reason}")
    return "\n".join(lines)


def _rows(outcome):
    """Return one flat row per measured request name, in scenario order."""
    rows = []
    for scenario in SCENARIOS:
        run = outcome["runs"].get(scenario.key)
        if run is None:
            continue
        for name in scenario.request_names:
            summary = run["summaries"][name]
            rows.append(
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
                }
            )
    return rows


def _row(outcome, name):
    return next((row for row in _rows(outcome) if row["name"] == name), None)


def _ms(value):
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _number(value, digits=1):
    return "–" if value is None else f"{value:.{digits}f}"


def _times(value):
    return "–" if value is None else f"×{value:,.1f}" if value >= 10 else f"×{value:.2f}"


def _ratio(value, floor):
    return None if value is None or not floor else value / floor


def _commands(row):
    if row["commands"] is None:
        return "–"
    spread = (
        ""
        if row["commands_min"] == row["commands_max"]
        else f" ({row['commands_min']}–{row['commands_max']})"
    )
    return f"{row['commands']:.1f}{spread}"


def _cpu(row):
    """Return the CPU each process group, and the rest of the machine, used while the scenario ran."""
    if not row["duration"]:
        return "–"
    used = [row["cpu"].get(label, 0) for label in CPU_LABELS]
    if "machine" in row["cpu"]:
        used.append(max(0.0, row["cpu"]["machine"] - sum(used)))
    return " / ".join(f"{100 * seconds / row['duration']:.0f}" for seconds in used)


CPU_LABELS = ["database", "app (2 workers)", "load tool"]


def results_table(outcome):
    floor = _row(outcome, FLOOR)
    header = (
        "| request | req/s | req/s ÷ floor | p50 ms | p50 ÷ floor | p95 ms | p95 ÷ floor "
        "| p99 ms | p99 ÷ floor "
        "| errors / requests | DB commands per request | typical commands | DB time p50 ms "
        "| CPU % of a core: DB / app / load tool / other processes |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"
    )
    lines = [header]
    for row in _rows(outcome):
        ratios = {
            key: _ratio(row[key], floor[key] if floor else None)
            for key in ("rps", "p50_ms", "p95_ms", "p99_ms")
        }
        lines.append(
            f"| {row['name']} | {row['rps']:,.1f} | {_number(ratios['rps'], 3)} | {_ms(row['p50_ms'])} "
            f"| {_times(ratios['p50_ms'])} | {_ms(row['p95_ms'])} | {_times(ratios['p95_ms'])} "
            f"| {_ms(row['p99_ms'])} | {_times(ratios['p99_ms'])} | {row['errors']} / {row['requests']} "
            f"| {_commands(row)} | {row['typical_commands'] or '–'} | {_number(row['db_ms_p50'])} "
            f"| {_cpu(row)} |"
        )
    titles = {scenario.key: scenario.title for scenario in SCENARIOS}
    for key, reason in outcome["missing"].items():
        lines.append(f"| {titles[key]}: **not load-tested** — {reason} |" + " |" * 13)
    return "\n".join(lines)


def scale_table(results):
    sizes = sorted(results["sizes"])
    small, large = results["sizes"][sizes[0]], results["sizes"][sizes[-1]]
    lines = [
        f"| request | DB commands at {sizes[0]:,} | DB commands at {sizes[-1]:,} | p50 ms at {sizes[0]:,} "
        f"| p50 ms at {sizes[-1]:,} | p50 growth | p95 growth | DB time p50 growth |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in _rows(large):
        before = _row(small, row["name"])
        if before is None:
            continue
        lines.append(
            f"| {row['name']} | {_commands(before)} | {_commands(row)} | {_ms(before['p50_ms'])} "
            f"| {_ms(row['p50_ms'])} | {_times(_ratio(row['p50_ms'], before['p50_ms']))} "
            f"| {_times(_ratio(row['p95_ms'], before['p95_ms']))} "
            f"| {_times(_ratio(row['db_ms_p50'], before['db_ms_p50']))} |"
        )
    return "\n".join(lines)


def commands_stay_the_same(results):
    """Return {page: True/False, or None unless it was load-tested at every size} for both pages."""
    verdicts = {}
    for name in (CATALOG_PAGE, PRODUCT_PAGE):
        rows = [_row(outcome, name) for outcome in results["sizes"].values()]
        if any(row is None for row in rows):
            verdicts[name] = None
        else:
            verdicts[name] = len({(row["commands_min"], row["commands_max"]) for row in rows}) == 1
    return verdicts


def index_table(inspection):
    lines = [
        "| page | command | collection | equality filter | range | sort | index serving it (ESR) "
        "| embedded engine's plan |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for page, details in inspection.items():
        for read in details["reads"]:
            shape = read["shape"]
            index = read["index"]
            if index is None:
                serving = "**none**"
            else:
                gaps = []
                if index["equality_not_covered"]:
                    gaps.append(f"filters {', '.join(index['equality_not_covered'])} after the index")
                if not index["sort_covered"]:
                    gaps.append("sorts the matches in memory")
                serving = f"`{index['name']}` {_key(index['key'])}" + (
                    f" ({'; '.join(gaps)})" if gaps else ""
                )
            plan = read["embedded_plan"]
            steps = [op for op in plan.get("operations") or [] if op] + plan.get("remaining_stages", [])
            engine = plan.get("error") or " → ".join(steps) or "–"
            sort = ", ".join(
                f"{field} {'asc' if direction == 1 else 'desc'}" for field, direction in shape["sort"]
            )
            lines.append(
                f"| {page} | {read['command']} | {read['collection']} "
                f"| {', '.join(shape['equality']) or '–'} "
                f"| {', '.join(shape['range']) or '–'} | {sort or '–'} | {serving} | {engine} |"
            )
    return "\n".join(lines)


def _key(key):
    return "(" + ", ".join(f"{field} {direction}" for field, direction in key) + ")"


def profile_table(profile):
    lines = [
        "| function | calls | own s | cumulative s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in profile["rows"]:
        lines.append(
            f"| `{row['function']}` | {row['calls']:,} | {row['own_seconds']:.3f} "
            f"| {row['cumulative_seconds']:.3f} |"
        )
    return "\n".join(lines)


def write(results, *, markdown, chart):
    write_chart(results, chart)
    markdown.write_text(render_markdown(results, chart_name=chart.name))


def write_chart(results, path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    sizes = sorted(results["sizes"])
    names = [name for name in CHARTED if any(_row(results["sizes"][size], name) for size in sizes)]
    figure, axes = pyplot.subplots(figsize=(11, 5.5), dpi=110)
    width = 0.8 / (2 * len(sizes))
    colors = ["#9ecae1", "#3182bd", "#fdae6b", "#e6550d"]
    for size_index, size in enumerate(sizes):
        for stat_index, stat in enumerate(("p50_ms", "p95_ms")):
            offset = (2 * size_index + stat_index) * width - 0.4 + width / 2
            values = []
            for name in names:
                row = _row(results["sizes"][size], name)
                values.append(row[stat] if row and row[stat] else 0)
            bars = axes.bar(
                [i + offset for i in range(len(names))],
                values,
                width,
                label=f"{stat[:3]} at {size:,} products",
                color=colors[(2 * size_index + stat_index) % len(colors)],
            )
            axes.bar_label(
                bars, labels=[_ms(value) if value else "" for value in values], fontsize=7, rotation=90
            )
    for size_index, size in enumerate(sizes):
        for name_index, name in enumerate(names):
            if _row(results["sizes"][size], name) is None:
                x = name_index + 2 * size_index * width - 0.4 + width
                axes.text(x, 3, f"not served at {size:,}", rotation=90, fontsize=7, ha="center", va="bottom")
    axes.set_yscale("log")
    axes.set_ylim(top=axes.get_ylim()[1] * 4)
    axes.set_ylabel("latency, ms (log scale)")
    axes.set_xticks(range(len(names)), names, rotation=15)
    users = results["settings"]["users"]
    axes.set_title(
        f"Latency per request, {users} concurrent users, gunicorn 2 workers, embedded MongoDB (memory)"
    )
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def render_markdown(results, *, chart_name):
    machine = results["machine"]
    settings = results["settings"]
    sizes = sorted(results["sizes"])
    load_average = " → ".join(
        ", ".join(f"{value:.2f}" for value in results[key])
        for key in ("load_average_before", "load_average_after")
        if key in results
    )
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
    today = datetime.date.today().isoformat()
    sections = [
        "# Performance",
        "",
        f"Generated by `make bench` on {today} in {results['elapsed_seconds'] / 60:.1f} minutes "
        "(bench/report.py writes this file; edit the generator, not the file).",
        "",
        "## How to run",
        "",
        "```sh",
        "make bench                       # installs the locked packages, runs `.venv/bin/python -m bench`",
        ".venv/bin/python -m bench --sizes 100 --seconds 5 --no-report    # a quick look; docs/ untouched",
        "```",
        "",
        f"This run: `{results['command']}`. Logs, raw samples and profiles: `bench/results/`.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        f"| CPU | {machine['cpu']}, {machine['cores']} cores |",
        f"| memory | {machine['memory']} |",
        f"| OS | {machine['os']} |",
        f"| Python | {machine['python']} |",
        f"| packages | {packages} |",
        f"| load average before → after the run (1, 5, 15 min) | {load_average} |",
        "",
        "## Method",
        "",
        METHOD.format(
            users=settings["users"],
            cart_seconds=settings["seconds"] * CART_WINDOW_FACTOR,
            seconds=settings["seconds"],
            warmup=settings["warmup"],
            sizes=", ".join(f"{s:,}" for s in sizes),
        ),
    ]
    for size in sizes:
        outcome = results["sizes"][size]
        setup = outcome["setup"]
        documents = ", ".join(f"{count:,} {name}" for name, count in setup["documents"].items())
        sections += [
            "",
            f"## Results: catalog of {size:,} products",
            "",
            f"Setup: migrate {setup['migrate_seconds']:.1f} s, generate {setup['generate_seconds']:.1f} s, "
            f"load {documents} in {setup['load_seconds']:.1f} s.",
            "",
            results_table(outcome),
        ]
        checks = [f"- {run['title']}: {run['check']}" for run in outcome["runs"].values() if run.get("check")]
        if checks:
            sections += ["", *checks]
    sections += [
        "",
        "## Chart",
        "",
        f"![p50 and p95 latency per request at each catalog size]({chart_name})",
        "",
    ]
    sections += scale_section(results)
    return "\n".join(sections) + "\n"


def scale_section(results):
    sizes = sorted(results["sizes"])
    verdicts = commands_stay_the_same(results)
    lines = [f"## Scale: {sizes[0]:,} → {sizes[-1]:,} products", "", scale_table(results), ""]
    for page, verdict in verdicts.items():
        if verdict is None:
            failed = [
                f"{size:,} ({results['sizes'][size]['missing'].get(page.split()[0], 'not measured')})"
                for size in sizes
                if _row(results["sizes"][size], page) is None
            ]
            lines.append(
                f"- {page}: commands per request cannot be compared; not load-tested at {', '.join(failed)}."
            )
        else:
            lines.append(
                f"- {page}: database commands per request are "
                f"**{'the same' if verdict else 'not the same'}** "
                f"at {' and '.join(f'{size:,}' for size in sizes)} products."
            )
    lines += ["", "### Indexes behind the catalog and product pages", "", INDEX_INTRO, ""]
    lines += inspection_lines(results)
    lines += ["", "### Where the time goes", ""]
    lines += bottleneck_lines(results)
    lines += slow_command_lines(results)
    lines += profile_lines(results)
    lines += engine_check_lines(results["engine_checks"])
    lines += ["## Findings", "", *findings_lines(results), ""]
    return lines


def bottleneck_lines(results):
    """Say, per load-tested page at the largest size, how much of its time the database took."""
    size = max(results["sizes"])
    outcome = results["sizes"][size]
    lines = [f"At {size:,} products, while each scenario ran:", ""]
    for row in _rows(outcome):
        if row["name"] == FLOOR or not row["p50_ms"] or row["db_ms_p50"] is None:
            continue
        database_cpu = 100 * row["cpu"].get("database", 0) / row["duration"] if row["duration"] else 0
        app_cpu = 100 * row["cpu"].get("app (2 workers)", 0) / row["duration"] if row["duration"] else 0
        lines.append(
            f"- {row['name']}: median time in database commands {row['db_ms_p50']:,.1f} ms, median latency "
            f"{row['p50_ms']:,.1f} ms ({100 * row['db_ms_p50'] / row['p50_ms']:.0f} %; the rest is mostly "
            "waiting for a worker or for the database while it serves another request); "
            f"the database process used {database_cpu:.0f} % of a core, the 2 workers {app_cpu:.0f} %."
        )
    return [*lines, ""]


def _inspected_requests(outcome):
    """Yield (name, details) of every request inspected in-process at one size."""
    inspection = outcome["inspection"]
    yield PRODUCT_PAGE, inspection[PRODUCT_PAGE]
    yield from (inspection.get("cart flow") or {}).items()
    yield CATALOG_PAGE, inspection[CATALOG_PAGE]


def slow_command_lines(results, *, per_request=3):
    """Table of the slowest commands of one request of each page, in-process at the largest size."""
    size = max(results["sizes"])
    lines = [
        f"The slowest commands of one request of each page, in-process at {size:,} products "
        "(round-trip time as the driver saw it):",
        "",
        "| request | status, total | command | collection | stages | ms |",
        "| --- | --- | --- | --- | --- | ---: |",
    ]
    for name, details in _inspected_requests(results["sizes"][size]):
        timed = [command for command in details.get("timed_commands", []) if command["ms"] is not None]
        for command in sorted(timed, key=lambda command: command["ms"], reverse=True)[:per_request]:
            stages = " → ".join(command["stages"]) or "–"
            lines.append(
                f"| {name} | {details['status']}, {details['seconds'] * 1000:,.0f} ms | {command['command']} "
                f"| {command['collection']} | {stages} | {command['ms']:,.1f} |"
            )
    return [*lines, ""]


def findings_lines(results):
    """Facts the data shows about the catalog and product pages, largest catalog first."""
    lines = []
    for size in sorted(results["sizes"], reverse=True):
        outcome = results["sizes"][size]
        for page in (CATALOG_PAGE, PRODUCT_PAGE):
            details = outcome["inspection"][page]
            for read in details["reads"]:
                longest = max(
                    (len(value) for value in read["shape"]["equality"].values() if isinstance(value, list)),
                    default=0,
                )
                if longest >= 0.9 * size:
                    lines.append(
                        f"- At {size:,} products the {page} sends `{read['command']}` to "
                        f"{read['collection']} with an `$in` list of {longest:,} ids, one per listed "
                        "product. The command grows with the catalog on any MongoDB, and the embedded "
                        "engine compares every document with every id in the list (the `$in` check above)."
                    )
                elif set(read["shape"]["equality"]) <= {"active", "deleted_at"} and not read["shape"]["sort"]:
                    lines.append(
                        f"- At {size:,} products the {page} sends `{read['command']}` to "
                        f"{read['collection']} filtered only by availability (active, not deleted): it reads "
                        "every available row of that collection on each request."
                    )
                elif 0 < longest <= 3:
                    lines.append(
                        f"- At {size:,} products the {page} sends `{read['command']}` to "
                        f"{read['collection']} with an `$in` of {longest} value(s). MongoDB serves it from "
                        "the index named above; the embedded engine uses an index only for `field: value` "
                        "equality (and `_id` lookups), so this `$in` reads the whole collection."
                    )
        if lines:
            break
    lines = lines or ["- No read of the catalog or product page grows with the catalog beyond its index."]
    return lines + join_first_findings(results) + engine_findings(results["engine_checks"])


def join_first_findings(results):
    """Point at pipelines that join ($lookup) before they filter ($match), at the largest size."""
    size = max(results["sizes"])
    lines = []
    for name, details in _inspected_requests(results["sizes"][size]):
        for command in details.get("timed_commands", []):
            stages = command["stages"]
            if (
                "$lookup" in stages
                and "$match" in stages
                and stages.index("$lookup") < stages.index("$match")
            ):
                took = f"{command['ms']:,.0f} ms" if command["ms"] is not None else "no answer"
                lines.append(
                    f"- The {name} sends `{command['command']}` to {command['collection']} with `$lookup` "
                    f"before `$match`: the embedded engine runs the stages in that order, joining every "
                    f"document of {command['collection']} before keeping the one asked for ({took} at "
                    f"{size:,} products)."
                )
    return lines


def engine_findings(checks):
    in_sizes = sorted(checks["in_seconds"], key=int)
    insert_sizes = sorted(checks["insert_ms"], key=int)
    small, large = in_sizes[0], in_sizes[-1]
    empty, full = insert_sizes[0], insert_sizes[-1]
    return [
        f"- The embedded engine's `$in` is quadratic: {int(large) // int(small)}× the ids and documents took "
        f"{checks['in_seconds'][large] / checks['in_seconds'][small]:.0f}× the time "
        f"({checks['in_seconds'][small]:.2f} s → {checks['in_seconds'][large]:.2f} s). A command that runs "
        "longer than the driver's 20 s heartbeat timeout is cancelled (`operation cancelled`, HTTP 500) "
        "while the server, one Python event loop, keeps computing it and answers nothing else.",
        f"- Each insert on the embedded engine costs more as its collection grows "
        f"({checks['insert_ms'][empty]:.1f} ms into an empty collection, {checks['insert_ms'][full]:.1f} ms "
        f"into one of {int(full):,} documents): mongoeco 4.11.0 compares the new `_id` with every stored "
        "document on a single-document insert. Sessions, carts and webhook events are such inserts.",
    ]


def inspection_lines(results):
    """Index table of each page at the largest size where one request of it succeeded in-process."""
    lines = []
    sizes = sorted(results["sizes"], reverse=True)
    for page in (PRODUCT_PAGE, CATALOG_PAGE):
        for size in sizes:
            details = results["sizes"][size]["inspection"][page]
            if details["status"] != 200:
                lines.append(
                    f"- One {page} request in-process at {size:,} products answered {details['status']} "
                    f"after {details['seconds']:.1f} s; commands sent before it gave up: "
                    f"{', '.join(details['commands'])}."
                )
                continue
            lines += [
                "",
                f"{page.capitalize()} at {size:,} products ({details['seconds'] * 1000:,.0f} ms in-process, "
                f"commands: {', '.join(details['commands'])}):",
                "",
                index_table({page: details}),
                "",
            ]
            break
    return lines


def profile_lines(results):
    lines = []
    sizes = sorted(results["sizes"], reverse=True)
    for page in (PRODUCT_PAGE, CATALOG_PAGE):
        size = next((size for size in sizes if page in results["sizes"][size]["database_profiles"]), None)
        if size is None:
            continue
        profile = results["sizes"][size]["database_profiles"][page]
        lines += [
            f"Database server, cProfile over {profile['requests']} sequential {page} requests at {size:,} "
            f"products ({profile['wall_seconds']:.1f} s of wall time; {profile['total_seconds']:.1f} s "
            "profiled in the server's event loop), top functions by own time:",
            "",
            profile_table(profile),
            "",
        ]
    for page in (PRODUCT_PAGE, CATALOG_PAGE):
        size = next((s for s in sizes if results["sizes"][s]["inspection"][page]["profile"]), None)
        if size is None:
            continue
        profile = results["sizes"][size]["inspection"][page]["profile"]
        lines += [
            f"Django side, cProfile of one {page} request in-process at {size:,} products "
            f"({profile['total_seconds'] * 1000:,.0f} ms), top functions by own time:",
            "",
            profile_table(profile),
            "",
        ]
    return lines


def engine_check_lines(checks):
    in_rows = " | ".join(
        f"{int(size):,} ids: {seconds:.2f} s" for size, seconds in checks["in_seconds"].items()
    )
    insert_rows = " | ".join(
        f"{int(size):,} documents: {ms:.1f} ms" for size, ms in checks["insert_ms"].items()
    )
    return [
        "### The embedded engine, measured on its own",
        "",
        "Over the wire, on a fresh in-memory server (`bench/engine_checks.py`):",
        "",
        f"- `$match: {{_id: {{$in: [M ids]}}}}` over the M documents: {in_rows}.",
        f"- one `insert_one` into a collection already holding: {insert_rows}.",
        "",
    ]


METHOD = """\
- **What is served.** For each catalog size ({sizes} products) the bench starts a fresh embedded
  database (mongoeco's in-memory engine with the shop's compatibility fixes, `bench/dbserver.py`),
  migrates, generates the catalog (each product has a one-time and a monthly price; documents built
  by the models' own fields and loaded in one engine batch) and serves the shop with gunicorn, 2 sync
  workers, `bench.settings`: the production settings with DEBUG off, a throwaway SECRET_KEY, a webhook
  secret known to the bench, Stripe pointed at a closed local port, and plain HTTP (no HTTPS redirect,
  no secure-only cookies) because everything runs on 127.0.0.1.
- **Load.** locust, in its own process on the same 2 cores, {users} concurrent users with no think time
  (closed loop: throughput is what the server sustains), {warmup:g} s of warm-up dropped, then {seconds:g} s
  measured per scenario ({cart_seconds:g} s for the cart flow, one round of which takes seconds).
  Scenarios: the floor; the catalog page (`/`, first page of 24); a random product page; a guest
  who opens a random product page, submits its first add-to-cart form (CSRF cookie and token from
  the page, redirect not followed) and then views `/cart/`, starting a new guest after 5 adds; the
  Stripe webhook receiving a new `customer.updated` event each time, signed like Stripe
  (`t=<ts>,v1=<HMAC-SHA256>`), for a customer the shop does not know, so each event is stored and
  processed.
- **Figures.** req/s = requests completed in the measured window ÷ its length. Percentiles are
  nearest-rank over every measured request. An error is a failed connection or an HTTP status ≥ 400.
  Each figure is also given as a ratio to the **floor**: `bench/floor/`, a view that returns a constant
  through the same middleware stack (`bench/urls.py`), measured in the same run.
- **Database commands per request** are counted on every measured request by the server itself: a
  pymongo `CommandListener` handed to the MongoClient and an outermost middleware
  (`bench/db_commands.py`) that sends the count, the command names and their summed round-trip time
  back in response headers, which the load tool records. Mean, with (min–max) when they differ; the
  floor sends none, so that column has no ratio. "DB time" is the request's summed command
  round-trip time as the driver saw it.
- **CPU** is the CPU time each process group used during the measured window, as % of one core
  (the machine has 2): the embedded database (one Python process), the 2 gunicorn workers, locust,
  and everything else on the machine (other work running at the same time disturbs the figures).
- **Single request first.** Before a scenario is load-tested, one round of it is sent alone; a
  scenario whose single request fails or takes over 5 s is reported as not load-tested, with why.
- **Noise.** The load tool shares the 2 cores with the server, and the machine may run other work
  (the load average after the run is in the machine table): differences of a few per cent between
  runs mean nothing; the ratios and the growth between sizes are what to read."""

INDEX_INTRO = """\
Every read the page sends (captured with command monitoring on one request through Django's test
client at the largest size), the fields it filters and sorts on, and the index of the collection that
serves them by MongoDB's equality-sort-range rule (`bench/indexes.py`). The last column is what the
embedded engine's `explain` says it does: mongoeco's memory engine scans in Python and only ever
narrows a scan with a single-field index on an equality, so on it these pages cost time in proportion
to the collection, whatever the indexes; MongoDB uses the index named."""

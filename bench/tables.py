"""The Markdown tables of docs/performance.md: results per size, scale, indexes, profiles."""

from bench import analysis
from bench.formatting import commands, ms, number, times
from bench.scenarios import FLOOR, SCENARIOS

RESULT_COLUMNS = [
    ("request", "---"),
    ("req/s", "---:"),
    ("req/s ÷ floor", "---:"),
    ("p50 ms", "---:"),
    ("p50 ÷ floor", "---:"),
    ("p95 ms", "---:"),
    ("p95 ÷ floor", "---:"),
    ("p99 ms", "---:"),
    ("p99 ÷ floor", "---:"),
    ("errors / requests", "---:"),
    ("DB commands per request", "---:"),
    ("typical commands", "---"),
    ("DB time p50 ms", "---:"),
    ("app CPU ms/request", "---:"),
    ("engine CPU ms/request", "---:"),
    ("app CPU × floor", "---:"),
    ("CPU % of a core: DB / app / load tool / other processes", "---:"),
]


def _table_head(columns):
    return [
        "| " + " | ".join(title for title, _ in columns) + " |",
        "| " + " | ".join(align for _, align in columns) + " |",
    ]


def _cpu(row):
    percent = analysis.cpu_percent(row)
    if percent is None:
        return "–"
    return " / ".join(f"{value:.0f}" for value in percent.values())


def results_table(outcome):
    floor = analysis.row(outcome, FLOOR)
    lines = _table_head(RESULT_COLUMNS)
    for row in analysis.rows(outcome):
        ratios = analysis.floor_ratios(row, floor)
        lines.append(
            f"| {row['name']} | {row['rps']:,.1f} | {number(ratios['rps'], 3)} | {ms(row['p50_ms'])} "
            f"| {times(ratios['p50_ms'])} | {ms(row['p95_ms'])} | {times(ratios['p95_ms'])} "
            f"| {ms(row['p99_ms'])} | {times(ratios['p99_ms'])} | {row['errors']} / {row['requests']} "
            f"| {commands(row)} | {row['typical_commands'] or '–'} | {number(row['db_ms_p50'])} "
            f"| {ms(row['app_cpu_ms'])} | {ms(row['engine_cpu_ms'])} | {times(ratios['app_cpu_ms'])} "
            f"| {_cpu(row)} |"
        )
    titles = {scenario.key: scenario.title for scenario in SCENARIOS}
    for key, reason in outcome["missing"].items():
        lines.append(f"| {titles[key]}: **not load-tested** — {reason} |" + " |" * (len(RESULT_COLUMNS) - 1))
    return "\n".join(lines)


def scale_table(results):
    sizes = sorted(results["sizes"])
    small, large = results["sizes"][sizes[0]], results["sizes"][sizes[-1]]
    lines = [
        f"| request | DB commands at {sizes[0]:,} | DB commands at {sizes[-1]:,} | p50 ms at {sizes[0]:,} "
        f"| p50 ms at {sizes[-1]:,} | p50 growth | p95 growth | DB time p50 growth |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in analysis.rows(large):
        before = analysis.row(small, row["name"])
        if before is None:
            continue
        grew = analysis.growth(before, row)
        lines.append(
            f"| {row['name']} | {commands(before)} | {commands(row)} | {ms(before['p50_ms'])} "
            f"| {ms(row['p50_ms'])} | {times(grew['p50_ms'])} | {times(grew['p95_ms'])} "
            f"| {times(grew['db_ms_p50'])} |"
        )
    return "\n".join(lines)


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

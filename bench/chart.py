"""The PNG chart of docs/performance.md: p50 and p95 latency per request at each catalog size."""

from bench.analysis import row
from bench.formatting import ms
from bench.scenarios import ADD_TO_CART, CART_PAGE, CATALOG_PAGE, FLOOR, PRODUCT_PAGE, WEBHOOK

CHARTED = [FLOOR, CATALOG_PAGE, PRODUCT_PAGE, ADD_TO_CART, CART_PAGE, WEBHOOK]


def write_chart(results, path):
    # Imported here so that a run with --no-report needs no plotting library.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    sizes = sorted(results["sizes"])
    names = [name for name in CHARTED if any(row(results["sizes"][size], name) for size in sizes)]
    figure, axes = pyplot.subplots(figsize=(11, 5.5), dpi=110)
    width = 0.8 / (2 * len(sizes))
    colors = ["#9ecae1", "#3182bd", "#fdae6b", "#e6550d"]
    for size_index, size in enumerate(sizes):
        for stat_index, stat in enumerate(("p50_ms", "p95_ms")):
            offset = (2 * size_index + stat_index) * width - 0.4 + width / 2
            values = []
            for name in names:
                found = row(results["sizes"][size], name)
                values.append(found[stat] if found and found[stat] else 0)
            bars = axes.bar(
                [i + offset for i in range(len(names))],
                values,
                width,
                label=f"{stat[:3]} at {size:,} products",
                color=colors[(2 * size_index + stat_index) % len(colors)],
            )
            axes.bar_label(
                bars, labels=[ms(value) if value else "" for value in values], fontsize=7, rotation=90
            )
    for size_index, size in enumerate(sizes):
        for name_index, name in enumerate(names):
            if row(results["sizes"][size], name) is None:
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

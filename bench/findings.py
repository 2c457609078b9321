"""The Findings section: what the inspected reads and the engine checks show, as sentences."""

from bench.analysis import inspected_requests
from bench.scenarios import CATALOG_PAGE, PRODUCT_PAGE


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
                # A few _ids are looked up by key on the embedded engine too (its gap 10): no finding.
                elif 0 < longest <= 3 and not isinstance(read["shape"]["equality"].get("_id"), list):
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
    for name, details in inspected_requests(results["sizes"][size]):
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

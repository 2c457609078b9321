"""Summaries of the samples the load tool records: throughput, latency percentiles, errors, commands."""

import math
from collections import Counter
from dataclasses import dataclass


def percentile(values, fraction):
    """Return the nearest-rank percentile (fraction in (0, 1]) of values; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def ratio(value, floor):
    """Return value / floor, or None when either is missing or the floor is zero."""
    if value is None or not floor:
        return None
    return value / floor


def typical_commands(command_names):
    """Return the most frequent command list of the requests, each command named once with its count."""
    if not command_names:
        return ""
    most_common, _ = Counter(command_names).most_common(1)[0]
    counts = Counter(name for name in most_common.split(",") if name)
    return ", ".join(f"{name}×{count}" if count > 1 else name for name, count in counts.items())


@dataclass
class Summary:
    requests: int
    errors: int
    requests_per_second: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    commands_per_request: float | None
    commands_min: int | None
    commands_max: int | None
    db_ms_p50: float | None
    typical_commands: str


def summarize(samples, *, duration_seconds):
    """Summarize the samples of one request name.

    Each sample is a dict with "ms" (latency), "error" (a string or None), and, when the server
    reported them, "commands" (count), "command_names" and "db_ms".
    """
    latencies = [sample["ms"] for sample in samples]
    commands = [sample["commands"] for sample in samples if sample.get("commands") is not None]
    db_ms = [sample["db_ms"] for sample in samples if sample.get("db_ms") is not None]
    return Summary(
        requests=len(samples),
        errors=sum(1 for sample in samples if sample.get("error")),
        requests_per_second=len(samples) / duration_seconds if duration_seconds else 0.0,
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        commands_per_request=sum(commands) / len(commands) if commands else None,
        commands_min=min(commands) if commands else None,
        commands_max=max(commands) if commands else None,
        db_ms_p50=percentile(db_ms, 0.50),
        typical_commands=typical_commands([s["command_names"] for s in samples if s.get("command_names")]),
    )

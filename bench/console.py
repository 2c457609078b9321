"""What the bench prints while it runs and when it is done."""

from bench import analysis
from bench.formatting import ms, number


def one_line(run):
    """Return one scenario's figures on one line; `run` as in the results (ScenarioRun.as_dict())."""
    parts = [
        f"{name}: {summary['requests_per_second']:.1f} req/s, p50 {ms(summary['p50_ms'])} ms, "
        f"{summary['errors']} errors, {number(summary['commands_per_request'])} commands"
        for name, summary in run["summaries"].items()
    ]
    parts.append(
        f"CPU per request: app {ms(analysis.cpu_ms_per_request(run, analysis.APP))} ms, "
        f"engine {ms(analysis.cpu_ms_per_request(run, analysis.DATABASE))} ms"
    )
    return "; ".join(parts)


def render_summary(results):
    lines = []
    for size, outcome in results["sizes"].items():
        lines.append(f"catalog of {size} products")
        for row in analysis.rows(outcome):
            lines.append(
                f"  {row['name']:<26} {row['rps']:>8.1f} req/s  p50 {ms(row['p50_ms']):>7} ms  "
                f"p95 {ms(row['p95_ms']):>7} ms  p99 {ms(row['p99_ms']):>7} ms  errors {row['errors']}  "
                f"commands {number(row['commands'])}  "
                f"CPU ms/request app {ms(row['app_cpu_ms'])} engine {ms(row['engine_cpu_ms'])}"
            )
        for key, reason in outcome["missing"].items():
            lines.append(f"  {key}: not load-tested, {reason}")
    return "\n".join(lines)

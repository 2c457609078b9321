"""HTML of the test clocks page: each clock's time, with buttons that advance it (for a person
trying renewals by hand; code uses the API)."""

from datetime import UTC, datetime
from html import escape

from .checkout_page import page

ADVANCE_STEPS = {"day": "one day", "week": "one week", "month": "one month"}


def render_test_clocks(clocks: list[dict], *, error: str | None = None) -> str:
    parts = ["<h1>Test clocks</h1>"]
    if error:
        parts.append(f'<p class="error" role="alert">{escape(error)}</p>')
    if not clocks:
        parts.append(
            "<p>No test clock yet. Create one with <code>POST /v1/test_helpers/test_clocks</code>.</p>"
        )
    for clock in clocks:
        name = clock["name"] or clock["id"]
        frozen = datetime.fromtimestamp(clock["frozen_time"], UTC).strftime("%-d %B %Y, %H:%M UTC")
        buttons = "".join(
            f'<button type="submit" name="by" value="{step}">Advance {label}</button>'
            for step, label in ADVANCE_STEPS.items()
        )
        parts.append(
            f'<section aria-label="{escape(name)}"><h2>{escape(name)}</h2>'
            f"<p>Time: {frozen} ({escape(clock['status'])})</p>"
            f'<form method="post" action="/test_clocks/{escape(clock["id"])}/advance">'
            f'<div class="actions">{buttons}</div></form></section>'
        )
    return page("Test clocks", parts)

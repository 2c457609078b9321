"""HTML of the customer portal page: the customer's subscriptions and invoices, with forms to
cancel at the period end (or now), resume, switch plan, and change the card, as far as the
session's configuration enables them."""

from datetime import UTC, datetime
from html import escape

from .checkout_page import page, text_input
from .money import format_money
from .subscriptions import add_interval, period_end

_STATUS = {
    "active": "Active",
    "trialing": "Free trial",
    "past_due": "Past due: the last payment failed",
    "unpaid": "Unpaid",
    "canceled": "Canceled",
    "incomplete": "Incomplete",
    "paused": "Paused",
}


# What a plan switch costs, by the configuration's proration_behavior.
_SWITCH_HINTS = {
    "create_prorations": "The change is prorated: the difference for the rest of this period is on your "
    "next invoice.",
    "always_invoice": "The change is prorated: the difference for the rest of this period is charged "
    "at once.",
    "none": "The new plan is billed from your next invoice.",
}


def render_portal(
    session: dict,
    subscriptions: list[dict],
    invoices: list[dict],
    products: dict[str, str],
    card_last4: str | None,
    plan_choices: dict[str, list[dict]],
    features: dict,
    business_profile: dict,
    *,
    message: str | None = None,
    error: str | None = None,
) -> str:
    """`products`: product id -> name; `card_last4`: the card the customer pays with;
    `plan_choices`: subscription id -> the prices it can switch to; `features` and
    `business_profile`: the session's configuration's."""
    action = f"/billing_portal/{escape(session['id'])}"
    parts = ["<h1>Your subscriptions</h1>"]
    if business_profile["headline"]:
        parts.append(f"<p>{escape(business_profile['headline'])}</p>")
    if error:
        parts.append(f'<p class="error" role="alert">{escape(error)}</p>')
    if message:
        parts.append(f'<p role="status">{escape(message)}</p>')
    if not subscriptions:
        parts.append("<p>You have no subscriptions.</p>")
    cancel = features["subscription_cancel"]
    cancel_label = (
        ("Cancel now" if cancel["mode"] == "immediately" else "Cancel at period end")
        if cancel["enabled"]
        else None
    )
    switch_hint = _SWITCH_HINTS[features["subscription_update"]["proration_behavior"]]
    for subscription in subscriptions:
        choices = plan_choices.get(subscription["id"], [])
        parts.append(_subscription(subscription, products, action, choices, cancel_label, switch_hint))
    parts += [
        "<h2>Payment method</h2>",
        f"<p>Card ending in {escape(card_last4)}</p>" if card_last4 else "<p>No card on file.</p>",
    ]
    if features["payment_method_update"]["enabled"]:
        parts += [
            f'<form method="post" action="{action}">',
            text_input("card", "New card number", "", autocomplete="cc-number", inputmode="numeric"),
            '<div class="actions"><button type="submit" name="action" value="update_card" class="primary">'
            "Update card</button></div>",
            '<p class="hint">Use a test card: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined. '
            "An unpaid invoice is charged to the new card at once.</p>",
            "</form>",
        ]
    parts.append(_invoices(invoices))
    for name, url in (
        ("Privacy policy", business_profile["privacy_policy_url"]),
        ("Terms of service", business_profile["terms_of_service_url"]),
    ):
        if url:
            parts.append(f'<p><a href="{escape(url)}">{name}</a></p>')
    if session["return_url"]:
        parts.append(f'<p><a href="{escape(session["return_url"])}">&larr; Return to the shop</a></p>')
    return page("Customer portal", parts)


def render_portal_not_found(session_id: str) -> str:
    return page(
        "Portal session not found",
        ["<h1>Portal session not found</h1>", f"<p>No such portal session: {escape(session_id)}</p>"],
    )


def _subscription(
    subscription: dict,
    products: dict[str, str],
    action: str,
    choices: list[dict],
    cancel_label: str | None,
    switch_hint: str,
) -> str:
    """`cancel_label`: the cancel button's, None when the portal offers no cancellation."""
    items = subscription["items"]["data"]
    currency = subscription["currency"]
    recurring = items[0]["price"]["recurring"]
    amount = sum(item["price"]["unit_amount"] * item["quantity"] for item in items)
    per = (
        recurring["interval"]
        if recurring["interval_count"] == 1
        else (f"{recurring['interval_count']} {recurring['interval']}s")
    )
    names = ", ".join(f"{item['quantity']} × {products[item['price']['product']]}" for item in items)
    status = subscription["status"]
    lines = [f"<h2>{escape(names)}</h2>", f"<p>{format_money(amount, currency)} / {escape(per)}</p>"]
    label = _STATUS.get(status, status)
    if status == "trialing":
        label += f" until {_date(subscription['trial_end'])}"
    lines.append(f"<p>Status: {escape(label)}</p>")
    buttons = ""
    if status != "canceled":
        if subscription["cancel_at"]:
            lines.append(f"<p>Cancels on {_date(subscription['cancel_at'])}; no further charge.</p>")
            buttons = '<button type="submit" name="action" value="resume" class="primary">Resume</button>'
        else:
            next_charge = _next_charge(subscription)
            if subscription["pause_collection"]:
                resumes_at = subscription["pause_collection"]["resumes_at"]
                until = f" until {_date(resumes_at)}" if resumes_at else ""
                lines.append(f"<p>Payment collection paused{until}</p>")
            if next_charge:
                lines.append(f"<p>Next charge: {format_money(amount, currency)} on {_date(next_charge)}</p>")
            if cancel_label:
                buttons = f'<button type="submit" name="action" value="cancel">{cancel_label}</button>'
    else:
        lines.append(f"<p>Ended on {_date(subscription['ended_at'])}</p>")
    if buttons:
        lines += [
            f'<form method="post" action="{action}">',
            f'<input type="hidden" name="subscription" value="{escape(subscription["id"])}">',
            f'<div class="actions">{buttons}</div>',
            "</form>",
        ]
    if choices:
        options = "".join(
            f'<option value="{escape(price["id"])}">{escape(_price_label(price, products))}</option>'
            for price in choices
        )
        lines += [
            f'<form method="post" action="{action}">',
            f'<input type="hidden" name="subscription" value="{escape(subscription["id"])}">',
            f'<label for="price-{escape(subscription["id"])}">New plan</label>',
            f'<select name="price" id="price-{escape(subscription["id"])}">{options}</select>',
            '<div class="actions"><button type="submit" name="action" value="switch_plan">'
            "Switch plan</button></div>",
            f'<p class="hint">{switch_hint}</p>',
            "</form>",
        ]
    return f'<section aria-label="{escape(names)}">{"".join(lines)}</section>'


def _next_charge(subscription: dict) -> int | None:
    """When the customer is charged next: the period's end, or while collection is paused (its
    invoices voided) the first renewal on or after it resumes; None while paused until resumed."""
    end = period_end(subscription)
    pause = subscription["pause_collection"]
    if not pause:
        return end
    if pause["resumes_at"] is None:
        return None
    # Renewals fall whole intervals from the billing cycle anchor (months clamped from it).
    recurring = subscription["items"]["data"][0]["price"]["recurring"]
    anchor, periods, renewal = subscription["billing_cycle_anchor"], 0, end
    while renewal < pause["resumes_at"] or renewal < end:
        periods += 1
        renewal = add_interval(anchor, recurring["interval"], recurring["interval_count"] * periods)
    return renewal


def _price_label(price: dict, products: dict[str, str]) -> str:
    recurring = price["recurring"]
    per = (
        recurring["interval"]
        if recurring["interval_count"] == 1
        else f"{recurring['interval_count']} {recurring['interval']}s"
    )
    name = price["nickname"] or products.get(price["product"], "")
    return f"{name}: {format_money(price['unit_amount'], price['currency'])} / {per}"


def _invoices(invoices: list[dict]) -> str:
    if not invoices:
        return ""
    rows = "".join(
        f"<tr><td>{_date(invoice['created'])}</td>"
        f'<td class="num">{format_money(invoice["total"], invoice["currency"])}</td>'
        f"<td>{escape(invoice['status'])}</td></tr>"
        for invoice in invoices
    )
    return (
        "<table><caption>Invoices</caption>"
        '<thead><tr><th scope="col">Date</th><th scope="col" class="num">Amount</th>'
        '<th scope="col">Status</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%-d %B %Y")

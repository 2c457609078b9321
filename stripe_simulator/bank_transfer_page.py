"""HTML of the page a bank transfer's `hosted_instructions_url` opens: what to send where, with
the reference; and, standing in for the customer's bank, a form that sends money to it."""

from html import escape

from .checkout_page import page, text_input
from .money import format_money

# How each kind of account is read out, in the order a bank's form asks for it.
_FIELDS = {
    "iban": (("IBAN", "iban"), ("BIC", "bic"), ("Country", "country")),
    "sort_code": (("Sort code", "sort_code"), ("Account number", "account_number")),
    "aba": (
        ("Routing number", "routing_number"),
        ("Account number", "account_number"),
        ("Bank", "bank_name"),
    ),
    "swift": (("SWIFT code", "swift_code"), ("Account number", "account_number"), ("Bank", "bank_name")),
}


def render_bank_transfer(intent: dict, *, message: str | None = None, error: str | None = None) -> str:
    action = intent["next_action"] or {}
    instructions = action.get("display_bank_transfer_instructions")
    parts = ["<h1>Bank transfer</h1>"]
    if error:
        parts.append(f'<p class="error" role="alert">{escape(error)}</p>')
    if message:
        parts.append(f'<p role="status">{escape(message)}</p>')
    if instructions is None:
        done = "received in full" if intent["status"] == "succeeded" else intent["status"]
        parts.append(f"<p>This payment is {escape(done)}: there is nothing to transfer.</p>")
        return page("Bank transfer", parts)
    remaining = format_money(instructions["amount_remaining"], instructions["currency"])
    parts += [
        f"<p>Transfer <strong>{escape(remaining)}</strong> with the reference "
        f"<strong>{escape(instructions['reference'])}</strong> to:</p>",
    ]
    for address in instructions["financial_addresses"]:
        details = address[address["type"]]
        rows = "".join(
            f"<tr><th>{escape(label)}</th><td>{escape(details[key])}</td></tr>"
            for label, key in _FIELDS[address["type"]]
        )
        holder = escape(details["account_holder_name"])
        parts.append(f"<table><tr><th>Account holder</th><td>{holder}</td></tr>{rows}</table>")
    parts += [
        f'<form method="post" action="/bank_transfers/{escape(intent["id"])}">',
        text_input("amount", "Send (in minor units, e.g. cents)", str(instructions["amount_remaining"])),
        '<div class="actions"><button type="submit" class="primary">Send the transfer</button></div>',
        '<p class="hint">Standing in for the customer\'s bank: less than the amount due is a partial '
        "transfer, and the payment waits for the rest.</p>",
        "</form>",
    ]
    return page("Bank transfer", parts)


def render_bank_transfer_not_found(intent_id: str) -> str:
    return page("Not found", ["<h1>Not found</h1>", f"<p>No such payment: {escape(intent_id)}</p>"])

"""HTML of Stripe's hosted invoice page (an invoice's `hosted_invoice_url`): what is due, and for
an open invoice a button that pays it with the customer there (so 3-D Secure is answered)."""

from html import escape

from .checkout_page import page
from .money import format_money


def render_invoice(invoice: dict, *, message: str | None = None, error: str | None = None) -> str:
    number = invoice["number"] or invoice["id"]
    parts = [f"<h1>Invoice {escape(number)}</h1>"]
    if error:
        parts.append(f'<p class="error" role="alert">{escape(error)}</p>')
    if message:
        parts.append(f'<p role="status">{escape(message)}</p>')
    parts.append("<table>")
    for line in invoice["lines"]["data"]:
        amount = format_money(line["amount"], line["currency"])
        parts.append(f"<tr><td>{escape(line['description'] or '')}</td><td>{escape(amount)}</td></tr>")
    currency = invoice["currency"]
    parts += [
        "</table>",
        f"<p>Total: {escape(format_money(invoice['total'], currency))}</p>",
        f"<p>Amount due: {escape(format_money(invoice['amount_remaining'], currency))}</p>",
    ]
    if invoice["status"] == "open":
        parts += [
            f'<form method="post" action="/invoices/{escape(invoice["id"])}">',
            '<div class="actions"><button type="submit" name="action" value="pay" class="primary">'
            "Pay with the saved card</button></div>",
            '<p class="hint">You are paying in person: a card that asks for 3-D Secure is confirmed.</p>',
            "</form>",
        ]
    else:
        parts.append(f"<p>This invoice is {escape(invoice['status'])}.</p>")
    return page(f"Invoice {number}", parts)


def render_invoice_not_found(invoice_id: str) -> str:
    return page(
        "Invoice not found", ["<h1>Invoice not found</h1>", f"<p>No such invoice: {escape(invoice_id)}</p>"]
    )

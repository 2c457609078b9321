"""HTML of the hosted checkout page, plus reading back the form it posts."""

from datetime import UTC, datetime
from html import escape

from .charges import DEFAULT_CARD
from .money import format_money
from .store import now
from .subscriptions import add_interval

BANNER = "Simulated Stripe Checkout — test mode"
CARD_DECLINED = "Your card was declined."

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f6f8fa;color:#1a1f36}
.banner{background:#ffde92;color:#5a3e00;text-align:center;padding:.5rem;font-weight:600}
main{max-width:32rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
table{width:100%;border-collapse:collapse;margin:1rem 0}
th,td{padding:.4rem 0;text-align:left;border-bottom:1px solid #e3e8ee}
td.num,th.num{text-align:right}
tfoot th,tfoot td{font-weight:700;border-bottom:0}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input,select{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #8792a2;
border-radius:4px;font:inherit}
.choice input{width:auto}.choice label{display:inline;font-weight:400}
.actions{display:flex;flex-direction:column;gap:.5rem;margin-top:1.5rem}
button{padding:.75rem;font:inherit;font-weight:600;border-radius:4px;border:1px solid #635bff;
background:#fff;color:#3f37c9;cursor:pointer}
button.primary{background:#635bff;color:#fff}
button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible{
outline:3px solid #1a1f36;outline-offset:2px}
.error{background:#fde8e8;color:#8a1c1c;border:1px solid #e5a3a3;padding:.75rem;border-radius:4px}
.hint{color:#4f566b;font-size:.875rem}
a{color:#3f37c9}
"""


def needs_email(known_email: str | None) -> bool:
    """Whether the page asks for an email: Checkout does unless the session's customer, or its
    `customer_email`, gives one (Checkout.known_email)."""
    return not known_email


def needs_address(session: dict) -> bool:
    return bool(
        session["shipping_address_collection"]
        or session["billing_address_collection"] == "required"
        # Automatic tax needs the customer's address.
        or session["automatic_tax"]["enabled"]
    )


def form_error(session: dict, form: dict, *, known_email: str | None) -> str | None:
    """What is missing from a submitted form, in words for the customer."""
    if needs_email(known_email) and not form.get("email"):
        return "Enter your email address."
    address = form.get("address") or {}
    if needs_address(session):
        required = {"name": form.get("name"), **{f: address.get(f) for f in _REQUIRED_ADDRESS}}
        missing = [_LABELS[field] for field, value in required.items() if not value]
        if missing:
            return "Fill in: " + ", ".join(missing) + "."
    return None


def card_from_form(form: dict) -> str:
    """The test card number typed in, or 4242... when the form has no card field."""
    return form.get("card") or DEFAULT_CARD


def details_from_form(form: dict) -> dict:
    """The customer details a submitted form carries, as Checkout.pay takes them."""
    address = form.get("address")
    return {
        "email": form.get("email"),
        "name": form.get("name"),
        "address": address if isinstance(address, dict) else None,
    }


def render_checkout(
    session: dict,
    lines: list[dict],
    *,
    known_email: str | None,
    trial_days: int | None = None,
    error: str | None = None,
    form: dict | None = None,
    shipping_rates: list[dict] = (),
) -> str:
    """The payment page of an open session; `trial_days` of the subscription it starts, if any;
    `shipping_rates` are the ones it offers."""
    form = form or {}
    total = format_money(session["amount_total"], session["currency"])
    parts = [
        _back_link(session),
        "<h1>Checkout</h1>",
        _summary(session, lines),
        _recurring_note(session, lines, trial_days),
    ]
    if error:
        parts.append(f'<p class="error" role="alert">{escape(error)}</p>')
    parts.append(f'<form method="post" action="/checkout/{escape(session["id"])}">')
    if needs_email(known_email):
        parts.append(text_input("email", "Email", form.get("email"), type="email", autocomplete="email"))
    if needs_address(session):
        parts.append(_address_fields(session, form))
    parts.append(shipping_rate_block(session, shipping_rates))
    parts.append(
        text_input("card", "Card number", form.get("card") or _spaced(DEFAULT_CARD), autocomplete="cc-number")
    )
    pay_label = f"Pay {total}" if session["mode"] == "payment" else "Subscribe"
    buttons = [
        f'<button type="submit" name="action" value="pay" class="primary">{pay_label}</button>',
        '<button type="submit" name="action" value="decline">Decline</button>',
    ]
    if session["mode"] == "payment":
        buttons.append('<button type="submit" name="action" value="pay_async">Pay by bank transfer</button>')
        buttons.append(
            '<button type="submit" name="action" value="pay_bank_transfer">'
            "Pay by bank transfer to Stripe's account</button>"
        )
    parts += [
        '<div class="actions">',
        *buttons,
        "</div>",
        _custom_text(session, "submit"),
        promotion_code_block(session, form),
        '<p class="hint">Pay with one of Stripe\'s test cards: 4242 4242 4242 4242 succeeds, '
        "4000 0000 0000 0002 is declined (as Decline), 4000 0027 6000 3184 asks for 3-D Secure, "
        "4000 0000 0000 5126 is refunded and the refund fails, 4000 0000 0000 0259 is disputed, "
        "4000 0099 9900 0006 pays now and declines every renewal. "
        "A bank transfer completes the session now and is paid later: by itself, or (to Stripe's "
        "account) once the money is sent from the page of its instructions.</p>",
        "</form>",
    ]
    if session["cancel_url"]:
        parts.append(f'<p><a href="{escape(session["cancel_url"])}">Cancel</a></p>')
    return page("Checkout", parts)


def render_authenticate(session: dict) -> str:
    """The 3-D Secure challenge of the card just entered, as the card's bank would show it."""
    total = format_money(session["amount_total"], session["currency"])
    parts = [
        "<h1>Authenticate your payment</h1>",
        f"<p>Your bank asks you to confirm the payment of {total}. This is a test 3-D Secure page.</p>",
        f'<form method="post" action="/checkout/{escape(session["id"])}">',
        '<div class="actions">',
        '<button type="submit" name="action" value="authenticate" class="primary">'
        "Complete authentication</button>",
        '<button type="submit" name="action" value="fail_authentication">Fail authentication</button>',
        "</div>",
        "</form>",
    ]
    return page("Authenticate your payment", parts)


def render_closed(session: dict) -> str:
    """The page shown instead of the form once a session is complete or expired."""
    if session["status"] == "expired":
        parts = [
            "<h1>This checkout session has expired</h1>",
            "<p>Return to the shop to start a new checkout.</p>",
            _back_link(session),
        ]
        return page("Checkout expired", parts)
    if session["payment_status"] == "unpaid":
        message = "Your bank transfer is being processed. You will be notified once it clears."
    else:
        message = "Your payment is complete."
    parts = ["<h1>Thank you</h1>", f"<p>{message}</p>"]
    if session["success_url"]:
        target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
        parts.append(f'<p><a href="{escape(target)}">Return to the shop</a></p>')
    return page("Checkout complete", parts)


def render_not_found(session_id: str) -> str:
    return page(
        "Checkout not found",
        ["<h1>Checkout not found</h1>", f"<p>No such Checkout Session: {escape(session_id)}</p>"],
    )


_REQUIRED_ADDRESS = ("line1", "city", "postal_code", "country")
_LABELS = {
    "name": "Full name",
    "line1": "Address line 1",
    "line2": "Address line 2 (optional)",
    "city": "City",
    "postal_code": "Postal code",
    "state": "State or region (optional)",
    "country": "Country",
}
# Browser autofill tokens of the address fields.
_AUTOCOMPLETE = {
    "line1": "address-line1",
    "line2": "address-line2",
    "city": "address-level2",
    "postal_code": "postal-code",
    "state": "address-level1",
}


def page(title: str, parts: list[str]) -> str:
    body = "\n".join(parts)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — {BANNER}</title>
<style>{_STYLE}</style>
</head>
<body>
<div class="banner" role="note">{BANNER}</div>
<main>
{body}
</main>
</body>
</html>
"""


def _custom_text(session: dict, place: str) -> str:
    """The session's custom_text message for `place` ("submit": under the pay button), if any."""
    message = (session["custom_text"].get(place) or {}).get("message")
    return f'<p class="custom-text">{escape(message)}</p>' if message else ""


def _spaced(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def _back_link(session: dict) -> str:
    if not session["cancel_url"]:
        return ""
    return f'<p><a href="{escape(session["cancel_url"])}">&larr; Back</a></p>'


def _summary(session: dict, lines: list[dict]) -> str:
    currency = session["currency"]
    rows = []
    for line in lines:
        recurring = line["price"]["recurring"]
        amount = format_money(line["amount_total"], currency)
        if recurring:
            count, interval = recurring["interval_count"], recurring["interval"]
            amount += f" / {interval}" if count == 1 else f" every {count} {interval}s"
        rows.append(
            f"<tr><td>{escape(line['description'])}</td>"
            f'<td class="num">{line["quantity"]}</td><td class="num">{amount}</td></tr>'
        )
    total_label = "Total due today" if session["mode"] == "subscription" else "Total"
    total = format_money(session["amount_total"], currency)
    return (
        "<table><caption>Order summary</caption>"
        '<thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th>'
        '<th scope="col" class="num">Amount</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody>"
        f"<tfoot>{_adjustment_rows(session)}"
        f'<tr><th scope="row" colspan="2">{total_label}</th>'
        f'<td class="num">{total}</td></tr></tfoot></table>'
    )


def _recurring_note(session: dict, lines: list[dict], trial_days: int | None) -> str:
    """Stripe's line under the total of a subscription: "Then $9.00 per month starting January 15, 2027"."""
    if session["mode"] != "subscription":
        return ""
    amounts: dict[tuple[str, int], int] = {}
    for line in lines:
        if recurring := line["price"]["recurring"]:
            key = (recurring["interval"], recurring["interval_count"])
            amounts[key] = amounts.get(key, 0) + line["amount_subtotal"]
    notes = []
    for (interval, count), amount in amounts.items():
        # A trial delays every recurring item to its end; without one they renew an interval on.
        starts = now() + trial_days * 86_400 if trial_days else add_interval(now(), interval, count)
        day = datetime.fromtimestamp(starts, UTC)
        every = f"per {interval}" if count == 1 else f"every {count} {interval}s"
        notes.append(
            f"Then {format_money(amount, session['currency'])} {every} "
            f"starting {day:%B} {day.day}, {day.year}"
        )
    return "".join(f'<p class="hint">{escape(note)}</p>' for note in notes)


def _adjustment_rows(session: dict) -> str:
    """Subtotal, discount, shipping and tax rows, for a session that has any of them."""
    totals = session["total_details"]
    currency = session["currency"]
    adjustments = [
        ("Discount", -totals["amount_discount"]),
        ("Shipping", totals["amount_shipping"]),
        ("Tax", totals["amount_tax"]),
    ]
    rows = [(label, amount) for label, amount in adjustments if amount]
    if not rows:
        return ""
    rows.insert(0, ("Subtotal", session["amount_subtotal"]))
    return "".join(
        f'<tr><th scope="row" colspan="2">{label}</th>'
        f'<td class="num">{"−" if amount < 0 else ""}{format_money(abs(amount), currency)}</td></tr>'
        for label, amount in rows
    )


def promotion_code_block(session: dict, form: dict) -> str:
    """The promotion code field of a session that allows codes; its Apply button skips the
    browser's checks of the payment fields, which are not needed to apply a code."""
    if not session["allow_promotion_codes"]:
        return ""
    applied = '<p class="hint">Promotion code applied.</p>' if session["discounts"] else ""
    return (
        "<fieldset><legend>Promotion code</legend>"
        + text_input(
            "promotion_code", "Promotion code", form.get("promotion_code"), required=False, autocomplete="off"
        )
        + '<div class="actions"><button type="submit" name="action" value="apply_promotion_code" '
        "formnovalidate>Apply</button></div>" + applied + "</fieldset>"
    )


def shipping_rate_block(session: dict, shipping_rates: list[dict]) -> str:
    """The shipping rates to choose from, the chosen one checked (the first, until the customer picks),
    and a button that shows the total for the choice and for the address typed (its tax)."""
    if not shipping_rates and not session["automatic_tax"]["enabled"]:
        return ""
    chosen = (session["shipping_cost"] or {}).get("shipping_rate")
    choices = []
    for rate in shipping_rates:
        amount = format_money(rate["fixed_amount"]["amount"], rate["fixed_amount"]["currency"])
        field_id = f"shipping-rate-{rate['id']}"
        checked = " checked" if rate["id"] == chosen else ""
        choices.append(
            f'<div class="choice"><input type="radio" id="{escape(field_id)}" name="shipping_rate" '
            f'value="{escape(rate["id"])}"{checked}> <label for="{escape(field_id)}">'
            f"{escape(rate['display_name'])} — {amount}{escape(_delivery_estimate(rate))}</label></div>"
        )
    legend = "<legend>Shipping method</legend>" if shipping_rates else "<legend>Total</legend>"
    return (
        f"<fieldset>{legend}{''.join(choices)}"
        '<div class="actions"><button type="submit" name="action" value="update_totals" formnovalidate>'
        "Update total</button></div></fieldset>"
    )


def _delivery_estimate(rate: dict) -> str:
    estimate = rate["delivery_estimate"] or {}
    bounds = [estimate.get("minimum"), estimate.get("maximum")]
    values = [bound["value"] for bound in bounds if bound]
    if not values:
        return ""
    if len(values) == 2 and values[0] != values[1]:
        return f" ({values[0]}–{values[1]} business days)"
    return f" ({values[0]} business day{'s' if values[0] > 1 else ''})"


def text_input(name: str, label: str, value: str | None, *, required: bool = True, **attrs) -> str:
    field_id = name.replace("[", "-").replace("]", "")
    extra = "".join(f' {key}="{escape(attr)}"' for key, attr in attrs.items())
    return (
        f'<label for="{field_id}">{escape(label)}</label>'
        f'<input id="{field_id}" name="{name}" value="{escape(value or "")}"'
        f"{' required' if required else ''}{extra}>"
    )


def _address_fields(session: dict, form: dict) -> str:
    address = form.get("address") or {}
    fields = [
        text_input("name", _LABELS["name"], form.get("name"), autocomplete="name"),
        *(
            text_input(
                f"address[{field}]",
                _LABELS[field],
                address.get(field),
                required=field in _REQUIRED_ADDRESS,
                autocomplete=token,
            )
            for field, token in _AUTOCOMPLETE.items()
        ),
    ]
    collection = session["shipping_address_collection"]
    if collection:
        chosen = address.get("country")
        options = "".join(
            f'<option value="{escape(code)}"{" selected" if code == chosen else ""}>{escape(code)}</option>'
            for code in collection["allowed_countries"]
        )
        fields.append(
            '<label for="address-country">Country</label>'
            f'<select id="address-country" name="address[country]" required autocomplete="country">'
            f"{options}</select>"
        )
    else:
        fields.append(
            text_input(
                "address[country]", "Country (2-letter code)", address.get("country"), autocomplete="country"
            )
        )
    legend = "Shipping address" if collection else "Billing address"
    return f"<fieldset><legend>{legend}</legend>{''.join(fields)}</fieldset>"

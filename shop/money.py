"""Money is integer minor units (cents) plus an ISO 4217 code; this module turns it into text."""

from decimal import Decimal

# Currencies Stripe charges in whole units (https://docs.stripe.com/currencies#zero-decimal).
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$", "chf": "CHF "}


def minor_unit_exponent(currency):
    return 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2


def to_major_units(amount, currency):
    """Return the amount in major units as an exact Decimal (1999 usd -> Decimal("19.99"))."""
    return Decimal(amount).scaleb(-minor_unit_exponent(currency))


def format_money(amount, currency):
    """Return "$19.99", "€5.00", "¥500" or "19.99 SEK" for an amount in minor units."""
    if amount is None:
        return ""
    currency = (currency or "usd").lower()
    exponent = minor_unit_exponent(currency)
    sign = "-" if amount < 0 else ""
    major = to_major_units(abs(amount), currency)
    number = f"{major:,.{exponent}f}"
    if currency in SYMBOLS:
        return f"{sign}{SYMBOLS[currency]}{number}"
    return f"{sign}{number} {currency.upper()}"

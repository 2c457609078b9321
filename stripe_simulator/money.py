"""Formatting integer minor-unit amounts the way Stripe shows them."""

# Currencies whose amounts Stripe counts in whole units (no cents).
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf"}
    | {"xof", "xpf"}
)
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$"}


def format_money(amount: int, currency: str) -> str:
    """``4498, "usd"`` → ``"$44.98"``; unknown currencies get their ISO code as prefix."""
    currency = currency.lower()
    symbol = _SYMBOLS.get(currency, currency.upper() + " ")
    sign = "-" if amount < 0 else ""
    if currency in ZERO_DECIMAL_CURRENCIES:
        return f"{sign}{symbol}{abs(amount):,}"
    units, cents = divmod(abs(amount), 100)
    return f"{sign}{symbol}{units:,}.{cents:02d}"

"""Money is integer minor units plus an ISO 4217 code; this module turns it into text and back.

Babel (CLDR) knows each currency's decimals and how the shop's locale writes amounts.
"""

import re
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, get_group_symbol
from django.conf import settings
from django.core.exceptions import ValidationError

# Stripe kept two decimals in its API amounts for these after they became whole-unit currencies,
# so 100 means 1 króna or 1 forint there, while CLDR gives them no decimals.
_STRIPE_TWO_DECIMAL_AMOUNTS = frozenset({"HUF", "ISK"})


def currency_decimals(currency):
    """Return how many decimals an amount in `currency` is written with (usd 2, jpy 0, kwd 3)."""
    return get_currency_precision(currency.upper())


def minor_unit_exponent(currency):
    """Return the power of ten between the stored integer amount and one unit of `currency`."""
    code = currency.upper()
    return 2 if code in _STRIPE_TWO_DECIMAL_AMOUNTS else get_currency_precision(code)


def to_major_units(amount, currency):
    """Return the amount in major units as an exact Decimal (1999 usd -> Decimal("19.99")).

    It has the currency's decimals when they hold it exactly (150000 isk -> Decimal("1500")).
    """
    major = Decimal(amount).scaleb(-minor_unit_exponent(currency))
    written = major.quantize(Decimal(1).scaleb(-currency_decimals(currency)))
    return written if written == major else major


def format_money(amount, currency):
    """Return "$19.99", "€5.00", "¥500" or "SEK19.99" (in the shop's locale) for minor units."""
    if amount is None:
        return ""
    return _format_money_in_locale(amount, (currency or "usd").upper(), settings.SHOP_LOCALE)


# A catalog page writes dozens of amounts and CLDR formatting is slow; few amounts recur.
@lru_cache(maxsize=4096)
def _format_money_in_locale(amount, code, locale):
    return format_currency(to_major_units(amount, code), code, locale=locale)


def _typed_amount_pattern(group):
    """Return the pattern of an amount typed in major units: digits, grouped by threes with `group`
    or not at all, then an optional decimal point and decimals; nothing else."""
    units = r"\d+" if group is None else rf"\d+|\d{{1,3}}(?:{re.escape(group)}\d{{3}})+"
    return re.compile(rf"(?P<units>{units})(?:\.(?P<fraction>\d+))?")


def minor_units_from_text(text: str, currency: str) -> int:
    """Return the exact minor units of an amount typed in major units ("12.34" usd -> 1234, "500" jpy -> 500).

    Thousands may be grouped as the shop's locale groups them ("1,299.00" in en_US); the decimal
    separator is always a point, so a locale that groups with a point groups nothing here. Raise
    ValidationError for anything else (a currency sign, letters, a misplaced separator), or for more
    decimals than the currency has (a cent cannot be split; a yen has none).
    """
    group = get_group_symbol(settings.SHOP_LOCALE)
    group = None if group == "." else group
    match = _typed_amount_pattern(group).fullmatch(text.strip())
    if match is None:
        example = "12.50" if group is None else f"12.50 or 1{group}299.00"
        raise ValidationError(f"Enter an amount such as {example}, without a currency sign.", code="invalid")
    decimals = currency_decimals(currency)
    fraction = match["fraction"] or ""
    if len(fraction) > decimals:
        if decimals == 0:
            message = f"{currency.upper()} has no decimals: enter a whole amount."
        else:
            message = f"{currency.upper()} has {decimals} decimals at most."
        raise ValidationError(message, code="too_many_decimals")
    units = match["units"] if group is None else match["units"].replace(group, "")
    return int(Decimal(f"{units}.{fraction or '0'}").scaleb(minor_unit_exponent(currency)))

"""Postal addresses as Stripe collects them (line1, line2, city, state, postal_code, country),
written as the post of their country reads them."""

import re

import babel
from django.conf import settings

# The lines after the street, per country; the rest of the world writes "97201 City", then the state.
_NORTH_AMERICA = ("{city}, {state} {postal_code}",)
_LOCALITY_LINES = {
    "US": _NORTH_AMERICA,
    "CA": _NORTH_AMERICA,
    "AU": ("{city} {state} {postal_code}",),
    "GB": ("{city}", "{postal_code}"),
    "IE": ("{city}", "{state}", "{postal_code}"),
    "JP": ("{postal_code}", "{state} {city}"),
}
_DEFAULT_LOCALITY_LINES = ("{postal_code} {city}", "{state}")


def address_lines(address: dict) -> list[str]:
    """Return the address's lines, the country's name last ("Portland, OR 97201", "United States")."""
    if not address:
        return []
    parts = {name: str(address.get(name) or "").strip() for name in ("city", "state", "postal_code")}
    country = str(address.get("country") or "").strip().upper()
    lines = [str(address.get("line1") or ""), str(address.get("line2") or "")]
    for template in _LOCALITY_LINES.get(country, _DEFAULT_LOCALITY_LINES):
        # A missing part leaves neither a double space nor a dangling comma.
        lines.append(re.sub(r"\s+", " ", template.format(**parts)).strip(" ,"))
    if country:
        territories = babel.Locale.parse(settings.SHOP_LOCALE).territories
        lines.append(territories.get(country, country))
    return [line.strip() for line in lines if line.strip()]

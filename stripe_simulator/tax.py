"""Stripe Tax, simulated: one rate per customer country, added on top of the prices (exclusive).

Stripe Tax works out the tax from the customer's address: the shipping address when the session
collects one, else the billing address. The simulator keeps a small fixed table instead of real
registrations and product tax codes; a country not listed (the United States included, where the
rate would depend on the state) is taxed at 0%. The same rate applies to the items and to shipping.
"""

# Percent, by ISO country code.
TAX_RATES = {"GB": 20, "DE": 19, "FR": 20, "IE": 23, "NL": 21}


def tax_rate(country: str | None) -> int:
    """The percentage taxed on a sale to `country` (0 when unknown or not listed)."""
    return TAX_RATES.get((country or "").upper(), 0)


def tax_amount(amount: int, rate: int) -> int:
    """The tax on `amount` (minor units) at `rate` percent, rounded half up to the minor unit."""
    return (amount * rate + 50) // 100

"""Shipping rates (``/v1/shipping_rates``): fixed amounts a Checkout Session offers to choose from.

As on Stripe, a rate's amount, currency, name and delivery estimate never change once created;
only ``active`` and ``metadata`` do. Stripe sends no events for shipping rates.
"""

from .errors import StripeError, parameter_missing
from .params import Params
from .store import Store, list_object, new_id, now

_UNITS = ("business_day", "day", "hour", "month", "week")


class ShippingRates:
    """The shipping rate endpoints."""

    def __init__(self, store: Store):
        self.store = store

    def create_shipping_rate(self, params: Params) -> dict:
        return self.new_rate(params)

    def retrieve_shipping_rate(self, params: Params, rate_id: str) -> dict:
        return self.store.get("shipping_rate", rate_id)

    def update_shipping_rate(self, params: Params, rate_id: str) -> dict:
        params.allow("active", "metadata")
        rate = self.store.get("shipping_rate", rate_id)
        changes = {"metadata": params.metadata(rate["metadata"])}
        if params.has("active"):
            changes["active"] = params.boolean("active")
        self.store.update(rate, changes)
        return rate

    def list_shipping_rates(self, params: Params) -> dict:
        params.allow("active", "currency", "limit", "starting_after", "ending_before")
        rates = self.store.all("shipping_rate")
        if params.has("active"):
            rates = [rate for rate in rates if rate["active"] == params.boolean("active")]
        if params.has("currency"):
            currency = params.string("currency").lower()
            rates = [rate for rate in rates if rate["fixed_amount"]["currency"] == currency]
        return list_object(rates, params, "/v1/shipping_rates", "shipping_rate")

    def new_rate(self, data: Params) -> dict:
        """A rate from the parameters of the create endpoint (or a session's ``shipping_rate_data``)."""
        data.allow(
            "display_name",
            "type",
            "fixed_amount",
            "delivery_estimate",
            "metadata",
            "tax_behavior",
            "tax_code",
        )
        data.string("type", choices=("fixed_amount",))
        fixed_amount = data.hash("fixed_amount")
        if fixed_amount is None:
            raise parameter_missing(data.path("fixed_amount"))
        fixed_amount.allow("amount", "currency")
        return self.store.add(
            {
                "id": new_id("shr_"),
                "object": "shipping_rate",
                "active": True,
                "created": now(),
                "delivery_estimate": _delivery_estimate(data.hash("delivery_estimate")),
                "display_name": data.string("display_name", required=True),
                "fixed_amount": {
                    "amount": fixed_amount.integer("amount", required=True, minimum=0),
                    "currency": fixed_amount.string("currency", required=True).lower(),
                },
                "livemode": False,
                "metadata": data.metadata(),
                "tax_behavior": data.string("tax_behavior", choices=("exclusive", "inclusive", "unspecified"))
                or "unspecified",
                "tax_code": data.string("tax_code"),
                "type": "fixed_amount",
            }
        )


def _delivery_estimate(estimate: Params | None) -> dict | None:
    if estimate is None:
        return None
    estimate.allow("minimum", "maximum")
    bounds = {}
    for name in ("minimum", "maximum"):
        bound = estimate.hash(name)
        if bound is None:
            bounds[name] = None
            continue
        bound.allow("unit", "value")
        bounds[name] = {
            "unit": bound.string("unit", required=True, choices=_UNITS),
            "value": bound.integer("value", required=True, minimum=1),
        }
    if all(bounds.values()) and _in_hours(bounds["minimum"]) > _in_hours(bounds["maximum"]):
        raise StripeError(
            "The delivery estimate's minimum must not be greater than its maximum.",
            param=estimate.path("minimum"),
        )
    return bounds


def _in_hours(bound: dict) -> int:
    hours = {"hour": 1, "day": 24, "business_day": 24, "week": 7 * 24, "month": 30 * 24}
    return bound["value"] * hours[bound["unit"]]

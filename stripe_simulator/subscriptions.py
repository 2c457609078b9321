"""Subscriptions created by Checkout Sessions in subscription mode.

Billing itself (invoices, renewals) is not simulated: a subscription starts
trialing or active and keeps the period it was created with.
"""

import calendar
from datetime import UTC, datetime

from .params import Params
from .store import Store, new_id, now

_DAY = 86_400


def add_interval(timestamp: int, interval: str, count: int) -> int:
    """`timestamp` moved by ``count`` times ``interval``, months clamped like Stripe
    (Jan 31 + 1 month = Feb 28/29)."""
    if interval in ("day", "week"):
        return timestamp + count * _DAY * (7 if interval == "week" else 1)
    start = datetime.fromtimestamp(timestamp, UTC)
    months = start.month - 1 + count * (12 if interval == "year" else 1)
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


class Subscriptions:
    """Creation and retrieval of subscriptions."""

    def __init__(self, store: Store):
        self.store = store

    def create(
        self,
        *,
        customer: str,
        prices: list[tuple[dict, int]],
        trial_days: int | None,
        metadata: dict,
    ) -> dict:
        """A subscription to the recurring `prices` (price, quantity pairs)."""
        start = now()
        trial_end = start + trial_days * _DAY if trial_days else None
        recurring = prices[0][0]["recurring"]
        period_end = trial_end or add_interval(start, recurring["interval"], recurring["interval_count"])
        subscription_id = new_id("sub_")
        items = [
            {
                "id": new_id("si_", 14),
                "object": "subscription_item",
                "created": start,
                "current_period_end": period_end,
                "current_period_start": start,
                "metadata": {},
                "price": price,
                "quantity": quantity,
                "subscription": subscription_id,
            }
            for price, quantity in prices
        ]
        subscription = self.store.add(
            {
                "id": subscription_id,
                "object": "subscription",
                "billing_cycle_anchor": period_end,
                "cancel_at": None,
                "cancel_at_period_end": False,
                "canceled_at": None,
                "collection_method": "charge_automatically",
                "created": start,
                "currency": prices[0][0]["currency"],
                "current_period_end": period_end,
                "current_period_start": start,
                "customer": customer,
                "default_payment_method": new_id("pm_"),
                "ended_at": None,
                "items": {
                    "object": "list",
                    "data": items,
                    "has_more": False,
                    "total_count": len(items),
                    "url": f"/v1/subscription_items?subscription={subscription_id}",
                },
                "latest_invoice": None,
                "livemode": False,
                "metadata": metadata,
                "start_date": start,
                "status": "trialing" if trial_end else "active",
                "trial_end": trial_end,
                "trial_start": start if trial_end else None,
            }
        )
        self.store.emit("customer.subscription.created", subscription)
        return subscription

    def retrieve_subscription(self, params: Params, subscription_id: str) -> dict:
        return self.store.get("subscription", subscription_id)

"""Subscriptions created by Checkout Sessions in subscription mode.

Billing itself (invoices, renewals) is not simulated: a subscription starts
trialing or active and keeps the period it was created with; its `latest_invoice`
is the id of that first invoice, which cannot be retrieved.
"""

import calendar
from datetime import UTC, datetime

from .params import Params
from .store import Store, new_id, now

_DAY = 86_400

# Fields of Billing features the simulator has no part in: Stripe sends them, null.
_SUBSCRIPTION_UNUSED = dict.fromkeys(
    (
        "application",
        "application_fee_percent",
        "billing_cycle_anchor_config",
        "billing_thresholds",
        "cancellation_details",
        "customer_account",
        "days_until_due",
        "default_source",
        "default_tax_rates",
        "description",
        "managed_payments",
        "next_pending_invoice_item_invoice",
        "on_behalf_of",
        "pause_collection",
        "payment_settings",
        "pending_invoice_item_interval",
        "pending_setup_intent",
        "pending_update",
        "presentment_details",
        "schedule",
        "status_details",
        "test_clock",
        "transfer_data",
        "trial_settings",
    )
)


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
        default_payment_method: str,
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
        # Since API version 2025-03-31 the billing period belongs to each item.
        items = [
            {
                "id": new_id("si_", 14),
                "object": "subscription_item",
                "billed_until": period_end,
                "billing_thresholds": None,
                "created": start,
                "current_period_end": period_end,
                "current_period_start": start,
                "current_trial": None,
                "discounts": [],
                "metadata": {},
                "plan": _plan(price),
                "price": price,
                "quantity": quantity,
                "subscription": subscription_id,
                "tax_rates": [],
            }
            for price, quantity in prices
        ]
        subscription = self.store.add(
            {
                **_SUBSCRIPTION_UNUSED,
                "id": subscription_id,
                "object": "subscription",
                "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
                "billing_cycle_anchor": period_end,
                "billing_mode": {
                    "flexible": {"proration_discounts": "included"},
                    "type": "flexible",
                    "updated_at": None,
                },
                "billing_schedules": [],
                "cancel_at": None,
                "cancel_at_period_end": False,
                "canceled_at": None,
                "collection_method": "charge_automatically",
                "created": start,
                "currency": prices[0][0]["currency"],
                "customer": customer,
                "default_payment_method": default_payment_method,
                "discounts": [],
                "ended_at": None,
                "invoice_settings": {
                    "account_tax_ids": None,
                    "custom_fields": None,
                    "description": None,
                    "footer": None,
                    "issuer": {"type": "self"},
                },
                "items": {
                    "object": "list",
                    "data": items,
                    "has_more": False,
                    "url": f"/v1/subscription_items?subscription={subscription_id}",
                },
                "latest_invoice": new_id("in_"),
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


def _plan(price: dict) -> dict:
    """The legacy Plan view of a recurring price, which subscription items still carry."""
    recurring = price["recurring"]
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": price["metadata"],
        "meter": None,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": recurring["trial_period_days"],
        "usage_type": recurring["usage_type"],
    }

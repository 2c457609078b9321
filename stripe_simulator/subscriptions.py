"""Subscriptions: created by Checkout Sessions in subscription mode, listed, set to cancel at
the period end (or a date), resumed and canceled. Their invoices and renewals are `billing`'s.
"""

import calendar
from datetime import UTC, datetime

from .discounts import subscription_discount
from .errors import StripeError
from .params import Params
from .store import Store, clock_time, embedded_list, list_object, new_id, now

_DAY = 86_400
_NO_CANCELLATION = {"comment": None, "feedback": None, "reason": None}
# Why a customer cancelled, as Stripe's cancellation_details and the portal's reasons name it.
CANCELLATION_FEEDBACK = (
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
)
# What `status` filters a list by; Stripe lists every subscription but canceled ones by default.
_LISTED_STATUSES = {
    "active": ("active",),
    "canceled": ("canceled",),
    "ended": ("canceled", "incomplete_expired"),
    "incomplete": ("incomplete",),
    "incomplete_expired": ("incomplete_expired",),
    "past_due": ("past_due",),
    "paused": ("paused",),
    "trialing": ("trialing",),
    "unpaid": ("unpaid",),
}

# Fields of Billing features the simulator has no part in: Stripe sends them, null.
_SUBSCRIPTION_UNUSED = dict.fromkeys(
    (
        "application",
        "application_fee_percent",
        "billing_cycle_anchor_config",
        "billing_thresholds",
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
    """Subscriptions and the customer's or merchant's changes to them."""

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
        automatic_tax: bool = False,
        discounts: tuple[dict, ...] = (),
    ) -> dict:
        """A subscription to the recurring `prices` (price, quantity pairs), taxed by Stripe Tax
        with `automatic_tax`, keeping the coupons its checkout applied (`discounts`, the session's);
        its first invoice is `Billing.first_invoice`'s."""
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
                "automatic_tax": {
                    "disabled_reason": None,
                    "enabled": automatic_tax,
                    "liability": {"account": None, "type": "self"} if automatic_tax else None,
                },
                # Periods are counted from the anchor, so Jan 31 renews on Feb 28, then Mar 31.
                "billing_cycle_anchor": trial_end or start,
                "billing_mode": {
                    "flexible": {"proration_discounts": "included"},
                    "type": "flexible",
                    "updated_at": None,
                },
                "billing_schedules": [],
                "cancel_at": None,
                "cancel_at_period_end": False,
                "canceled_at": None,
                "cancellation_details": dict(_NO_CANCELLATION),
                "collection_method": "charge_automatically",
                "created": start,
                "currency": prices[0][0]["currency"],
                "customer": customer,
                "default_payment_method": default_payment_method,
                "discounts": [
                    discount["id"]
                    for discount in _discounts_kept(self.store, discounts, customer, subscription_id, start)
                ],
                "ended_at": None,
                "invoice_settings": {
                    "account_tax_ids": None,
                    "custom_fields": None,
                    "description": None,
                    "footer": None,
                    "issuer": {"type": "self"},
                },
                "items": embedded_list(items, f"/v1/subscription_items?subscription={subscription_id}"),
                # The first invoice, which `Billing.first_invoice` makes right after.
                "latest_invoice": new_id("in_"),
                "livemode": False,
                "metadata": metadata,
                "start_date": start,
                "status": "trialing" if trial_end else "active",
                "test_clock": self.store.get("customer", customer)["test_clock"],
                "trial_end": trial_end,
                "trial_start": start if trial_end else None,
            }
        )
        self.store.emit("customer.subscription.created", subscription)
        return subscription

    def retrieve_subscription(self, params: Params, subscription_id: str) -> dict:
        return self.store.get("subscription", subscription_id)

    def list_subscriptions(self, params: Params) -> dict:
        params.allow("customer", "price", "status", "test_clock", "limit", "starting_after", "ending_before")
        status = params.string("status", choices=("all", *_LISTED_STATUSES))
        subscriptions = self.store.all("subscription")
        if status != "all":
            wanted = _LISTED_STATUSES[status] if status else ()
            subscriptions = [
                s
                for s in subscriptions
                if s["status"] in wanted or (not status and s["status"] != "canceled")
            ]
        for field in ("customer", "test_clock"):
            if params.has(field):
                subscriptions = [s for s in subscriptions if s[field] == params.string(field)]
        if params.has("price"):
            price = params.string("price")
            subscriptions = [
                s for s in subscriptions if any(i["price"]["id"] == price for i in s["items"]["data"])
            ]
        return list_object(subscriptions, params, "/v1/subscriptions", "subscription")

    def update_subscription(self, params: Params, subscription_id: str) -> dict:
        """Stripe's update, for what the simulator bills: cancelling at the period end or at a
        date (`cancel_at`), undoing that, metadata and the default payment method."""
        subscription = self.store.get("subscription", subscription_id)
        with clock_time(customer_time(self.store, subscription["customer"])):
            return self.update(params, subscription)

    def update(self, params: Params, subscription: dict, more_changes: dict | None = None) -> dict:
        """Apply the update `params` ask (at the customer's clock time) and `more_changes` (those
        of `subscription_changes`), in one customer.subscription.updated."""
        params.allow(
            "cancel_at_period_end", "cancel_at", "cancellation_details", "metadata", "default_payment_method"
        )
        if subscription["status"] == "canceled" and params.names() - {
            "metadata",
            "cancellation_details",
            "expand",
        }:
            raise StripeError(
                "A canceled subscription can only update its cancellation_details and metadata."
            )
        if params.has("cancel_at") and params.has("cancel_at_period_end"):
            raise StripeError(
                "You may only specify one of these parameters: cancel_at, cancel_at_period_end.",
                code="parameters_exclusive",
            )
        changes = {"metadata": params.metadata(subscription["metadata"])}
        details = _cancellation_feedback(params, subscription["cancellation_details"])
        if params.has("cancel_at_period_end"):
            at_period_end = params.boolean("cancel_at_period_end")
            changes.update(
                _cancellation(period_end(subscription) if at_period_end else None, details),
                cancel_at_period_end=at_period_end,
            )
        elif params.has("cancel_at"):
            cancel_at = params.integer("cancel_at")
            if cancel_at is not None and cancel_at <= now():
                raise StripeError("Invalid cancel_at: must be in the future.", param="cancel_at")
            changes.update(_cancellation(cancel_at, details), cancel_at_period_end=False)
        elif params.has("cancellation_details"):
            changes["cancellation_details"] = details
        if params.has("default_payment_method"):
            method = self.store.get(
                "payment_method",
                params.string("default_payment_method", required=True),
                param="default_payment_method",
                status=400,
            )
            changes["default_payment_method"] = method["id"]
        changes.update(more_changes or {})
        self.store.update(subscription, changes, "customer.subscription.updated")
        return subscription

    def cancel_subscription(self, params: Params, subscription_id: str) -> dict:
        """Cancel now (DELETE /v1/subscriptions/{id})."""
        params.allow("cancellation_details", "invoice_now", "prorate")
        subscription = self.store.get("subscription", subscription_id)
        if subscription["status"] == "canceled":
            raise StripeError(
                f"This subscription ({subscription_id}) has already been canceled.",
                code="resource_missing",
                status=404,
            )
        details = _cancellation_feedback(params, subscription["cancellation_details"])
        with clock_time(customer_time(self.store, subscription["customer"])):
            self.end(subscription, {**details, "reason": "cancellation_requested"})
        return subscription

    def end(self, subscription: dict, cancellation_details: dict) -> None:
        """The subscription is canceled now: customer.subscription.deleted. Its open invoices
        are no longer collected, as on Stripe."""
        at = now()
        changes = {
            "status": "canceled",
            "ended_at": at,
            "canceled_at": subscription["canceled_at"] or at,
            "cancellation_details": cancellation_details,
        }
        previous = {key: subscription[key] for key, value in changes.items() if subscription[key] != value}
        subscription.update(changes)
        self.store.emit("customer.subscription.deleted", subscription, previous)
        for invoice in self.store.all("invoice"):
            if invoice["status"] == "open" and _subscription_of(invoice) == subscription["id"]:
                self.store.update(invoice, {"next_payment_attempt": None}, "invoice.updated")


def _discounts_kept(
    store: Store, applied: tuple[dict, ...], customer: str, subscription_id: str, start: int
) -> list[dict]:
    """The Discounts a new subscription keeps of its checkout's coupons: a coupon of ``repeating``
    ends its months after the start; ``once`` and ``forever`` have no end (``once`` is dropped
    after the first invoice)."""
    kept = []
    for discount in applied:
        coupon = store.get("coupon", discount["coupon"])
        months = coupon["duration_in_months"]
        end = add_interval(start, "month", months) if coupon["duration"] == "repeating" else None
        kept.append(
            subscription_discount(
                store, discount, customer=customer, subscription=subscription_id, start=start, end=end
            )
        )
    return kept


def customer_time(store: Store, customer_id: str | None) -> int | None:
    """The frozen time of the customer's test clock; None when the customer is on none."""
    if not customer_id:
        return None
    clock_id = store.get("customer", customer_id)["test_clock"]
    return clock_id and store.get("test_helpers.test_clock", clock_id)["frozen_time"]


def period_end(subscription: dict) -> int:
    """When the current period ends (the same for every item the simulator makes)."""
    return subscription["items"]["data"][0]["current_period_end"]


def _subscription_of(invoice: dict) -> str | None:
    parent = invoice["parent"]
    return parent and parent["subscription_details"]["subscription"]


def _cancellation(cancel_at: int | None, details: dict) -> dict:
    """The fields a scheduled cancellation (or its undoing, `cancel_at` None) sets."""
    if cancel_at is None:
        return {"cancel_at": None, "canceled_at": None, "cancellation_details": dict(_NO_CANCELLATION)}
    return {
        "cancel_at": cancel_at,
        "canceled_at": now(),
        "cancellation_details": {**details, "reason": "cancellation_requested"},
    }


def _cancellation_feedback(params: Params, current: dict) -> dict:
    """`current` cancellation_details with the comment and feedback the request gives."""
    given = params.hash("cancellation_details")
    if given is None:
        return dict(current)
    given.allow("comment", "feedback")
    details = dict(current)
    if given.has("comment"):
        details["comment"] = given.string("comment")
    if given.has("feedback"):
        details["feedback"] = given.string("feedback", choices=CANCELLATION_FEEDBACK)
    return details


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

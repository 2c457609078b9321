"""Changes to what a subscription bills: its items (price, quantity) with prorations, paused
collection, and the invoice preview of such a change (POST /v1/invoices/create_preview).

A change of price or quantity within a period is prorated to the second, as Stripe does: the
unused time of the old items is credited and the remaining time of the new ones charged.
`proration_behavior` says where those lines go: on an invoice made and charged now
(``always_invoice``), pending until the next renewal (``create_prorations``, the default), or
nowhere (``none``: the new price applies from the next period). A credit larger than the charge
becomes customer balance, which the next invoices use up.
"""

import copy
from datetime import UTC, datetime

from .billing import Billing, _line
from .errors import StripeError, resource_missing
from .params import Params
from .store import Store, clock_time, list_object, new_id, now
from .subscriptions import Subscriptions, _plan, add_interval, customer_time, period_end

PRORATION_BEHAVIORS = ("always_invoice", "create_prorations", "none")
PAYMENT_BEHAVIORS = ("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete")
# What an update with payment_behavior=pending_if_incomplete may pass: the parameters Stripe's
# pending updates support that the simulator knows.
PENDING_UPDATE_PARAMS = ("expand", "items", "payment_behavior", "proration_behavior", "proration_date")
# A pending update is dropped after 23 hours at most (sooner at the period's or trial's end).
PENDING_UPDATE_LIFETIME = 23 * 3_600
PAUSE_BEHAVIORS = ("keep_as_draft", "mark_uncollectible", "void")
# The parameters of a subscription update this module answers for.
CHANGE_PARAMS = ("items", "proration_behavior", "proration_date", "pause_collection", "payment_behavior")


class SubscriptionChanges:
    def __init__(self, store: Store, subscriptions: Subscriptions, billing: Billing):
        self.store = store
        self.subscriptions = subscriptions
        self.billing = billing

    # POST /v1/subscriptions/{id}

    def update_subscription(self, params: Params, subscription_id: str) -> dict:
        """Stripe's update: what `Subscriptions` handles (cancellation, metadata, payment method)
        and the changes of items and of collection, in one customer.subscription.updated."""
        subscription = self.store.get("subscription", subscription_id)
        with clock_time(customer_time(self.store, subscription["customer"])):
            given = params.names() & set(CHANGE_PARAMS)
            if given and subscription["status"] == "canceled":
                raise StripeError(
                    "A canceled subscription can only update its cancellation_details and metadata."
                )
            behavior = params.string("proration_behavior", choices=PRORATION_BEHAVIORS) or "create_prorations"
            if_paid = params.string("payment_behavior", choices=PAYMENT_BEHAVIORS) == "pending_if_incomplete"
            unsupported = sorted(params.names() - set(PENDING_UPDATE_PARAMS)) if if_paid else []
            if unsupported:
                raise StripeError(
                    f"`{unsupported[0]}` cannot be updated with payment_behavior=pending_if_incomplete: "
                    "pending updates support only items, proration_behavior and proration_date here.",
                    param=unsupported[0],
                )
            items = self._new_items(params, subscription) if params.has("items") else None
            at = self._proration_date(params, subscription, behavior)
            changes = {}
            if params.has("pause_collection"):
                changes["pause_collection"] = _pause_collection(params)
            prorations = []
            new_cycle = items is not None and self._starts_new_cycle(subscription, items)
            if new_cycle:
                # Another billing interval: the period restarts now and is invoiced at once, less
                # the unused time of the old one.
                at = now()
                prorations = self._prorations(subscription, items, at, credits_only=True)
                prorations = prorations if behavior != "none" else []
                end = add_interval(at, *_interval(items[0]))
                for item in items:
                    item.update(current_period_start=at, current_period_end=end, billed_until=end)
                changes["billing_cycle_anchor"] = at
            elif items is not None:
                prorations = self._prorations(subscription, items, at) if behavior != "none" else []
            if items is not None:
                changes["items"] = copy.deepcopy(subscription["items"]) | {"data": items}
            invoiced_now = new_cycle or (prorations and behavior == "always_invoice")
            if if_paid and invoiced_now:
                changed = {**subscription, **changes}
                cycle = self.billing._cycle_lines(changed, at) if new_cycle else []
                self._invoice_now(subscription, prorations + cycle, at, changes_if_paid=changes)
                return subscription
            rest = params.without(*CHANGE_PARAMS)
            self.subscriptions.update(rest, subscription, changes)
            if new_cycle:
                self._invoice_now(subscription, prorations + self.billing._cycle_lines(subscription, at), at)
            elif prorations and behavior == "always_invoice":
                self._invoice_now(subscription, prorations, at)
            elif prorations:
                self.billing.pending_lines(subscription["id"]).extend(prorations)
            return subscription

    @staticmethod
    def _starts_new_cycle(subscription: dict, items: list[dict]) -> bool:
        """Whether the items are billed at another interval, which restarts the billing cycle
        (not during a trial, whose end stays the anchor)."""
        if subscription["status"] == "trialing":
            return False
        return _interval(items[0]) != _interval(subscription["items"]["data"][0])

    def _new_items(self, params: Params, subscription: dict) -> list[dict]:
        """The subscription's items as `items` leaves them (given ids are changed or deleted,
        others added), each item a copy."""
        items = {item["id"]: copy.deepcopy(item) for item in subscription["items"]["data"]}
        for given in params.hashes("items"):
            given.allow("id", "price", "quantity", "deleted", "metadata")
            quantity = given.integer("quantity", minimum=0)
            price = None
            if given.has("price"):
                price = self.store.get("price", given.string("price"), param=given.path("price"), status=400)
                if not price["recurring"]:
                    raise StripeError(
                        "The price specified is set to `type=one_time` but this field only accepts "
                        "prices with `type=recurring`.",
                        param=given.path("price"),
                    )
                if price["currency"] != subscription["currency"]:
                    raise StripeError(
                        "Currency of the price must match the currency of the subscription.",
                        param=given.path("price"),
                    )
            if given.has("id"):
                item_id = given.string("id")
                if item_id not in items:
                    raise StripeError(
                        f"Invalid subscription_item id: {item_id}",
                        param=given.path("id"),
                        code="resource_missing",
                    )
                if given.boolean("deleted"):
                    del items[item_id]
                    continue
                item = items[item_id]
            else:
                if price is None:
                    raise StripeError(
                        "You must specify a price (or an id) for each item.", param=given.path("price")
                    )
                item = _new_item(subscription, price)
                items[item["id"]] = item
            if price is not None:
                item.update(price=price, plan=_plan(price))
            if quantity is not None:
                item["quantity"] = quantity
            item["metadata"] = given.metadata(item["metadata"])
        if not items:
            raise StripeError("A subscription must keep at least one item.", param="items")
        intervals = {
            (i["price"]["recurring"]["interval"], i["price"]["recurring"]["interval_count"])
            for i in items.values()
        }
        if len(intervals) > 1:
            raise StripeError(
                "Currency and interval fields must match across all plans on a subscription.", param="items"
            )
        return list(items.values())

    def _proration_date(self, params: Params, subscription: dict, behavior: str) -> int:
        at = params.integer("proration_date")
        if at is None:
            return now()
        if behavior == "none":
            raise StripeError(
                "proration_date cannot be set when proration_behavior is none.", param="proration_date"
            )
        start = subscription["items"]["data"][0]["current_period_start"]
        if not start <= at <= period_end(subscription):
            raise StripeError(
                "The proration_date must be within the current billing period.", param="proration_date"
            )
        return at

    def _prorations(
        self, subscription: dict, new_items: list[dict], at: int, *, credits_only: bool = False
    ) -> list[dict]:
        """Credit for the unused time of each item the change removes or alters, charge for the
        remaining time of each it adds or alters (unless `credits_only`); nothing for a
        subscription in its trial."""
        if subscription["status"] == "trialing":
            return []
        start, end = subscription["items"]["data"][0]["current_period_start"], period_end(subscription)
        old = {item["id"]: item for item in subscription["items"]["data"]}
        new = {item["id"]: item for item in new_items}
        after = datetime.fromtimestamp(at, UTC).strftime("%d %b %Y")
        lines = []

        def prorated(item: dict, sign: int, words: str) -> None:
            full = item["price"]["unit_amount"] * item["quantity"]
            amount = sign * round(full * (end - at) / (end - start))
            name = self.store.get("product", item["price"]["product"])["name"]
            what = name if item["quantity"] == 1 else f"{item['quantity']} × {name}"
            line = _line(
                subscription,
                item["price"],
                item["quantity"],
                amount,
                f"{words} time on {what} after {after}",
                (at, end),
                item=item,
            )
            details = line["parent"]["subscription_item_details"]
            details.update(invoice_item=new_id("ii_"), proration=True)
            if sign < 0:
                details["proration_details"] = {"credited_items": self._credited_items(subscription, item)}
            line["discountable"] = False
            lines.append(line)

        for item_id, item in old.items():
            changed = new.get(item_id)
            if changed and (changed["price"]["id"], changed["quantity"]) == (
                item["price"]["id"],
                item["quantity"],
            ):
                continue
            prorated(item, -1, "Unused")
        for item_id, item in () if credits_only else new.items():
            was = old.get(item_id)
            if was and (was["price"]["id"], was["quantity"]) == (item["price"]["id"], item["quantity"]):
                continue
            prorated(item, 1, "Remaining")
        return lines

    def _next_to_renew(self, params: Params) -> dict:
        """The customer's subscription that renews first, as Stripe previews a customer's next
        invoice when no subscription is named."""
        customer = params.string("customer")
        if not customer:
            raise StripeError(
                "You must specify one of `customer`, `subscription` or `subscription_details[items]`.",
                param="customer",
            )
        self.store.get("customer", customer, param="customer", status=400)
        live = [
            s
            for s in self.store.all("subscription")
            if s["customer"] == customer and s["status"] in ("active", "trialing", "past_due")
        ]
        if not live:
            raise StripeError(
                f"No upcoming invoices for customer: {customer}", code="invoice_upcoming_none", status=404
            )
        return min(live, key=period_end)

    def _credited_items(self, subscription: dict, item: dict) -> dict | None:
        """The line of the last invoice that billed `item`'s period, which its credit refunds."""
        for invoice in self.store.all("invoice"):
            details = invoice["parent"] and invoice["parent"]["subscription_details"]
            if not details or details["subscription"] != subscription["id"]:
                continue
            for line in invoice["lines"]["data"]:
                billed = line["parent"]["subscription_item_details"]
                if billed and billed["subscription_item"] == item["id"] and not billed["proration"]:
                    return {"invoice": invoice["id"], "invoice_line_items": [line["id"]]}
        return None

    def _invoice_now(
        self, subscription: dict, lines: list[dict], at: int, *, changes_if_paid: dict | None = None
    ) -> dict:
        """The subscription_update invoice of `lines` (and any pending ones), charged now.

        `changes_if_paid` (payment_behavior=pending_if_incomplete) are applied only once the
        invoice is paid (`Billing._paid`); until then, or until they expire, the subscription
        carries them as its `pending_update` and bills as before.
        """
        lines = self.billing.pending_lines(subscription["id"]) + lines
        self.billing.pending_lines(subscription["id"]).clear()
        invoice = self.billing._invoice(
            subscription, lines, billing_reason="subscription_update", period=(at, at)
        )
        invoice["parent"]["subscription_details"]["subscription_proration_date"] = at
        self.store.update(subscription, {"latest_invoice": invoice["id"]}, "customer.subscription.updated")
        if changes_if_paid is not None:
            self.billing.updates_if_paid()[invoice["id"]] = changes_if_paid
        self.billing._open(invoice)
        self.billing.collect(invoice)
        if invoice["id"] in self.billing.updates_if_paid():
            self.store.update(
                subscription,
                {"pending_update": _pending_update(subscription, changes_if_paid, at)},
                "customer.subscription.updated",
            )
        return invoice

    # /v1/subscription_items

    def list_items(self, params: Params) -> dict:
        params.allow("subscription", "limit", "starting_after", "ending_before")
        subscription = self.store.get(
            "subscription", params.string("subscription", required=True), param="subscription", status=400
        )
        return list_object(
            subscription["items"]["data"], params, "/v1/subscription_items", "subscription_item"
        )

    def retrieve_item(self, params: Params, item_id: str) -> dict:
        return self._item(item_id)[1]

    def update_item(self, params: Params, item_id: str) -> dict:
        """A change of one item (price, quantity, metadata), as `update_subscription` makes it
        with ``items[0][id]``."""
        params.allow(
            "price", "quantity", "metadata", "proration_behavior", "proration_date", "payment_behavior"
        )
        subscription, _ = self._item(item_id)
        item = params.without("proration_behavior", "proration_date", "payment_behavior").data()
        change = params.without("price", "quantity", "metadata").data()
        self.update_subscription(Params({**change, "items": [{**item, "id": item_id}]}), subscription["id"])
        return self._item(item_id)[1]

    def _item(self, item_id: str) -> tuple[dict, dict]:
        """The live subscription holding the item, and the item."""
        for subscription in self.store.all("subscription"):
            for item in subscription["items"]["data"]:
                if item["id"] == item_id:
                    return subscription, item
        raise resource_missing("subscription_item", item_id, "id", 404)

    # POST /v1/invoices/create_preview

    def create_preview(self, params: Params) -> dict:
        """The invoice a change would make: with ``always_invoice`` the one charged at once, else
        the next renewal's (pending prorations, then the next period at the new prices)."""
        params.allow("customer", "subscription", "subscription_details", "automatic_tax", "currency")
        subscription_id = params.string("subscription")
        if subscription_id:
            subscription = self.store.get("subscription", subscription_id, param="subscription", status=400)
            if params.has("customer") and params.string("customer") != subscription["customer"]:
                raise StripeError("The subscription does not belong to this customer.", param="customer")
        else:
            subscription = self._next_to_renew(params)
        details = params.hash("subscription_details") or Params({}, "subscription_details")
        details.allow("items", "proration_behavior", "proration_date")
        with clock_time(customer_time(self.store, subscription["customer"])):
            behavior = (
                details.string("proration_behavior", choices=PRORATION_BEHAVIORS) or "create_prorations"
            )
            items = (
                self._new_items(details, subscription)
                if details.has("items")
                else subscription["items"]["data"]
            )
            at = self._proration_date(details, subscription, behavior)
            prorations = self._prorations(subscription, items, at) if behavior != "none" else []
            pending = copy.deepcopy(self.billing.pending_lines(subscription["id"]))
            if details.has("items") and self._starts_new_cycle(subscription, items):
                at = now()
                credits = self._prorations(subscription, items, at, credits_only=True)
                changed = {
                    **subscription,
                    "billing_cycle_anchor": at,
                    "items": {**subscription["items"], "data": items},
                }
                invoice = self.billing._invoice(
                    changed,
                    pending
                    + (credits if behavior != "none" else [])
                    + self.billing._cycle_lines(changed, at),
                    invoice_id=new_id("upcoming_in_"),
                    preview=True,
                    billing_reason="subscription_update",
                    period=(at, at),
                )
            elif behavior == "always_invoice":
                invoice = self.billing._invoice(
                    subscription,
                    pending + prorations,
                    invoice_id=new_id("upcoming_in_"),
                    preview=True,
                    billing_reason="subscription_update",
                    period=(at, at),
                )
            else:
                changed = {**subscription, "items": {**subscription["items"], "data": items}}
                end = period_end(subscription)
                cycle = self.billing._cycle_lines(changed, end)
                invoice = self.billing._invoice(
                    changed,
                    pending + prorations + cycle,
                    invoice_id=new_id("upcoming_in_"),
                    preview=True,
                    billing_reason="upcoming",
                    period=(subscription["items"]["data"][0]["current_period_start"], end),
                    # The renewal's coupons, as the renewal itself takes them off.
                    discounts=self.billing._discounts_due(subscription, end),
                )
                invoice["created"] = end
            if prorations:
                invoice["parent"]["subscription_details"]["subscription_proration_date"] = at
            self.billing.apply_balance(invoice, preview=True)
            return invoice


def _new_item(subscription: dict, price: dict) -> dict:
    first = subscription["items"]["data"][0]
    return {
        **copy.deepcopy(first),
        "id": new_id("si_", 14),
        "created": now(),
        "discounts": [],
        "metadata": {},
        "price": price,
        "plan": _plan(price),
        "quantity": 1,
    }


def _pending_update(subscription: dict, changes: dict, at: int) -> dict:
    """The subscription's `pending_update`: the changes waiting for their invoice to be paid,
    dropped at `expires_at` (23 hours on, or the end of the period or trial if sooner)."""
    ends = [at + PENDING_UPDATE_LIFETIME, period_end(subscription)]
    if subscription["status"] == "trialing" and subscription["trial_end"]:
        ends.append(subscription["trial_end"])
    return {
        "billing_cycle_anchor": changes.get("billing_cycle_anchor"),
        "cancel_at_period_end": None,
        "discount": None,
        "discounts": None,
        "expires_at": min(ends),
        "metadata": None,
        "subscription_items": copy.deepcopy(changes["items"]["data"]) if "items" in changes else None,
        "trial_end": None,
        "trial_from_plan": None,
    }


def _pause_collection(params: Params) -> dict | None:
    """``pause_collection[behavior]`` (and ``resumes_at``), or ``""`` to resume collecting."""
    pause = params.hash("pause_collection")
    if pause is None:
        return None
    pause.allow("behavior", "resumes_at")
    behavior = pause.string("behavior", required=True, choices=PAUSE_BEHAVIORS)
    resumes_at = pause.integer("resumes_at")
    if resumes_at is not None and resumes_at <= now():
        raise StripeError("Invalid resumes_at: must be in the future.", param="pause_collection[resumes_at]")
    return {"behavior": behavior, "resumes_at": resumes_at}


def _interval(item: dict) -> tuple[str, int]:
    recurring = item["price"]["recurring"]
    return recurring["interval"], recurring["interval_count"]

"""The customer portal (``stripe.billing_portal.Session``): a session names a customer, its page
lets them cancel a subscription at the period end, resume it, switch its plan to another price of
the product, and change their card, which also retries any unpaid invoice at once."""

import re
from collections.abc import Callable

from .billing import Billing
from .charges import Payments, card_method, magic_card
from .errors import StripeError
from .params import Params
from .store import Store, clock_time, new_id, now
from .subscription_changes import SubscriptionChanges
from .subscriptions import Subscriptions, customer_time

_URL = re.compile(r"^https?://\S+$")
_KIND = "billing_portal.session"


class Portal:
    def __init__(
        self,
        store: Store,
        payments: Payments,
        subscriptions: Subscriptions,
        billing: Billing,
        changes: SubscriptionChanges,
        *,
        page_url: Callable[[str], str],
    ):
        self.store = store
        self.payments = payments
        self.subscriptions = subscriptions
        self.billing = billing
        self.changes = changes
        self._page_url = page_url

    def _configuration(self) -> str:
        """The account's default portal configuration, named once (it is not served)."""
        internal = self.store.internal.setdefault("portal", {})
        return internal.setdefault("configuration", new_id("bpc_"))

    # API endpoint

    def create_session(self, params: Params) -> dict:
        params.allow("customer", "return_url", "configuration", "locale", "on_behalf_of")
        customer = self.store.get(
            "customer", params.string("customer", required=True), param="customer", status=400
        )
        return_url = params.string("return_url")
        if return_url is not None and not _URL.match(return_url):
            raise StripeError("Not a valid URL", param="return_url")
        session_id = new_id("bps_")
        return self.store.add(
            {
                "id": session_id,
                "object": _KIND,
                "after_expiration": None,
                "configuration": params.string("configuration") or self._configuration(),
                "created": now(),
                "customer": customer["id"],
                "customer_account": None,
                "flow": None,
                "livemode": False,
                "locale": params.string("locale"),
                "on_behalf_of": params.string("on_behalf_of"),
                "return_url": return_url,
                "url": self._page_url(session_id),
            }
        )

    # What the page shows and does

    def session(self, session_id: str) -> dict:
        return self.store.get(_KIND, session_id)

    def customer_subscriptions(self, session: dict) -> list[dict]:
        return [s for s in self.store.all("subscription") if s["customer"] == session["customer"]]

    def invoices(self, session: dict) -> list[dict]:
        return [i for i in self.store.all("invoice") if i["customer"] == session["customer"]]

    def product_names(self, subscriptions: list[dict]) -> dict[str, str]:
        ids = {item["price"]["product"] for s in subscriptions for item in s["items"]["data"]}
        return {product_id: self.store.get("product", product_id)["name"] for product_id in ids}

    def card_last4(self, session: dict) -> str | None:
        """The last digits of the card the customer pays with: their default, else the newest
        subscription's."""
        customer = self.store.get("customer", session["customer"])
        method_id = customer["invoice_settings"]["default_payment_method"]
        for subscription in self.customer_subscriptions(session):
            method_id = method_id or subscription["default_payment_method"]
        if not method_id:
            return None
        method = self.store.get("payment_method", method_id)
        return method["card"]["last4"] if method["type"] == "card" else None

    def unpaid(self, session: dict) -> bool:
        """Whether an invoice of the customer still waits for payment."""
        return any(invoice["status"] == "open" for invoice in self.invoices(session))

    def cancel_at_period_end(self, session: dict, subscription_id: str, cancel: bool) -> dict:
        """Cancel at the end of the period (`cancel`), or undo that."""
        subscription = self._own_subscription(session, subscription_id)
        if subscription["status"] == "canceled":
            raise StripeError("This subscription has already ended.")
        return self.subscriptions.update_subscription(
            Params({"cancel_at_period_end": "true" if cancel else "false"}), subscription["id"]
        )

    def plan_choices(self, subscription: dict) -> list[dict]:
        """The prices the portal offers to switch a one-item subscription to: the product's other
        active recurring prices, in its currency and billed as often."""
        items = subscription["items"]["data"]
        if subscription["status"] == "canceled" or len(items) != 1:
            return []
        current = items[0]["price"]
        return [
            price
            for price in reversed(self.store.all("price"))
            if price["active"]
            and price["id"] != current["id"]
            and price["product"] == current["product"]
            and price["currency"] == current["currency"]
            and price["recurring"]
            and (price["recurring"]["interval"], price["recurring"]["interval_count"])
            == (current["recurring"]["interval"], current["recurring"]["interval_count"])
        ]

    def switch_plan(self, session: dict, subscription_id: str, price_id: str) -> dict:
        """Move the subscription to another of its product's prices, prorated onto the next
        invoice, as the portal's default configuration does."""
        subscription = self._own_subscription(session, subscription_id)
        if price_id not in [price["id"] for price in self.plan_choices(subscription)]:
            raise StripeError("Choose one of the plans offered.", param="price")
        item = subscription["items"]["data"][0]
        return self.changes.update_subscription(
            Params(
                {
                    "items": [{"id": item["id"], "price": price_id}],
                    "proration_behavior": "create_prorations",
                }
            ),
            subscription["id"],
        )

    def update_card(self, session: dict, number: str) -> None:
        """The typed card becomes the default payment method of the customer and of each of their
        subscriptions; unpaid invoices are charged to it at once."""
        card = magic_card(number)
        customer = self.store.get("customer", session["customer"])
        with clock_time(customer_time(self.store, customer["id"])):
            billing_details = {
                "address": customer["address"],
                "email": customer["email"],
                "name": customer["name"],
                "phone": customer["phone"],
            }
            method = self.payments.new_payment_method(customer["id"], billing_details, card_method(card))
            self.store.update(
                customer,
                {
                    "invoice_settings": {
                        **customer["invoice_settings"],
                        "default_payment_method": method["id"],
                    }
                },
                "customer.updated",
            )
            for subscription in self.customer_subscriptions(session):
                if subscription["status"] == "canceled":
                    continue
                self.store.update(
                    subscription, {"default_payment_method": method["id"]}, "customer.subscription.updated"
                )
                self.billing.retry_open_invoices(subscription)

    def _own_subscription(self, session: dict, subscription_id: str) -> dict:
        subscription = self.store.get("subscription", subscription_id or "", param="subscription", status=400)
        if subscription["customer"] != session["customer"]:
            raise StripeError("This subscription belongs to another customer.", param="subscription")
        return subscription

"""The customer portal (``stripe.billing_portal.Session``): a session names a customer and a
configuration (see `portal_configurations`); its page offers what the configuration enables: cancel
a subscription at the period end (or now), resume it, switch its plan to another price of the
product, change the card, which also retries any unpaid invoice at once, and the invoices."""

import re
from collections.abc import Callable

from .billing import Billing
from .charges import Payments, card_method, magic_card
from .errors import StripeError
from .params import Params
from .portal_configurations import CONFIGURATION_KIND, PortalConfigurations
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
        self.configurations = PortalConfigurations(store)
        self._page_url = page_url

    # API endpoint

    def create_session(self, params: Params) -> dict:
        params.allow("customer", "return_url", "configuration", "locale", "on_behalf_of")
        customer = self.store.get(
            "customer", params.string("customer", required=True), param="customer", status=400
        )
        return_url = params.string("return_url")
        if return_url is not None and not _URL.match(return_url):
            raise StripeError("Not a valid URL", param="return_url")
        configuration = self.configurations.for_session(params.string("configuration"))
        session_id = new_id("bps_")
        return self.store.add(
            {
                "id": session_id,
                "object": _KIND,
                "after_expiration": None,
                "configuration": configuration["id"],
                "created": now(),
                "customer": customer["id"],
                "customer_account": None,
                "flow": None,
                "livemode": False,
                "locale": params.string("locale"),
                "on_behalf_of": params.string("on_behalf_of"),
                "return_url": return_url or configuration["default_return_url"],
                "url": self._page_url(session_id),
            }
        )

    # What the page shows and does

    def session(self, session_id: str) -> dict:
        return self.store.get(_KIND, session_id)

    def features(self, session: dict) -> dict:
        """What the session's configuration lets the customer do (its ``features``)."""
        return self.store.get(CONFIGURATION_KIND, session["configuration"])["features"]

    def business_profile(self, session: dict) -> dict:
        return self.store.get(CONFIGURATION_KIND, session["configuration"])["business_profile"]

    def customer_subscriptions(self, session: dict) -> list[dict]:
        return [s for s in self.store.all("subscription") if s["customer"] == session["customer"]]

    def invoices(self, session: dict) -> list[dict]:
        """The customer's invoices, if the configuration shows the invoice history."""
        if not self.features(session)["invoice_history"]["enabled"]:
            return []
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

    def cancel(self, session: dict, subscription_id: str) -> dict:
        """Cancel at the end of the period, or now, as the configuration says."""
        cancel = self.features(session)["subscription_cancel"]
        if not cancel["enabled"]:
            raise StripeError("This portal does not offer cancellation.")
        subscription = self._live_subscription(session, subscription_id)
        if cancel["mode"] == "immediately":
            return self.subscriptions.cancel_subscription(Params({}), subscription["id"])
        return self.subscriptions.update_subscription(
            Params({"cancel_at_period_end": "true"}), subscription["id"]
        )

    def resume(self, session: dict, subscription_id: str) -> dict:
        """Undo a cancellation at the end of the period."""
        subscription = self._live_subscription(session, subscription_id)
        return self.subscriptions.update_subscription(
            Params({"cancel_at_period_end": "false"}), subscription["id"]
        )

    def plan_choices(self, session: dict, subscription: dict) -> list[dict]:
        """The prices the portal offers to switch a one-item subscription to: the product's other
        active recurring prices, in its currency and billed as often, among those the
        configuration lists for the product (any, on the default configuration)."""
        update = self.features(session)["subscription_update"]
        items = subscription["items"]["data"]
        if (
            not update["enabled"]
            or "price" not in update["default_allowed_updates"]
            or subscription["status"] == "canceled"
            or len(items) != 1
        ):
            return []
        current = items[0]["price"]
        if update["products"] is None:
            listed = None
        else:
            listed = {
                p
                for entry in update["products"]
                if entry["product"] == current["product"]
                for p in entry["prices"]
            }
        return [
            price
            for price in reversed(self.store.all("price"))
            if price["active"]
            and price["id"] != current["id"]
            and price["product"] == current["product"]
            and (listed is None or price["id"] in listed)
            and price["currency"] == current["currency"]
            and price["recurring"]
            and (price["recurring"]["interval"], price["recurring"]["interval_count"])
            == (current["recurring"]["interval"], current["recurring"]["interval_count"])
        ]

    def switch_plan(self, session: dict, subscription_id: str, price_id: str) -> dict:
        """Move the subscription to another of its product's prices, prorated as the
        configuration says (onto the next invoice, on the default configuration)."""
        update = self.features(session)["subscription_update"]
        if not update["enabled"]:
            raise StripeError("This portal does not offer plan changes.")
        subscription = self._own_subscription(session, subscription_id)
        if price_id not in [price["id"] for price in self.plan_choices(session, subscription)]:
            raise StripeError("Choose one of the plans offered.", param="price")
        item = subscription["items"]["data"][0]
        return self.changes.update_subscription(
            Params(
                {
                    "items": [{"id": item["id"], "price": price_id}],
                    "proration_behavior": update["proration_behavior"],
                }
            ),
            subscription["id"],
        )

    def update_card(self, session: dict, number: str) -> None:
        """The typed card becomes the default payment method of the customer and of each of their
        subscriptions; unpaid invoices are charged to it at once."""
        if not self.features(session)["payment_method_update"]["enabled"]:
            raise StripeError("This portal does not offer card updates.")
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

    def _live_subscription(self, session: dict, subscription_id: str) -> dict:
        subscription = self._own_subscription(session, subscription_id)
        if subscription["status"] == "canceled":
            raise StripeError("This subscription has already ended.")
        return subscription

    def _own_subscription(self, session: dict, subscription_id: str) -> dict:
        subscription = self.store.get("subscription", subscription_id or "", param="subscription", status=400)
        if subscription["customer"] != session["customer"]:
            raise StripeError("This subscription belongs to another customer.", param="subscription")
        return subscription

"""Checkout Sessions: creation, the API around them, and what the customer
does on the hosted page (pay with a test card, authenticate, decline, pay by
bank transfer, let it expire)."""

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from .billing import Billing
from .catalog import Catalog
from .charges import DECLINED_CARD, DEFAULT_CARD, Payments, bank_method_for, card_method, magic_card
from .discounts import Discounts, discount_amount, discount_shares
from .errors import StripeError, parameter_missing
from .params import Params
from .shipping import ShippingRates
from .store import Store, clock_time, list_object, new_id, now
from .subscriptions import Subscriptions, customer_time
from .tax import tax_amount, tax_rate

_URL = re.compile(r"^https?://\S+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_MIN_LIFETIME, _MAX_LIFETIME = 30 * 60, 24 * 60 * 60
_ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
# Stripe's limit on a session's shipping_options.
MAX_SHIPPING_OPTIONS = 5
# Where Checkout shows a session's custom_text, and the most each message may hold.
_CUSTOM_TEXT_PLACES = ("after_submit", "shipping_address", "submit", "terms_of_service_acceptance")
_CUSTOM_TEXT_MAX_LENGTH = 1200

# Fields of Checkout features the simulator has no part in: Stripe sends them, null.
_SESSION_UNUSED = dict.fromkeys(
    (
        "after_expiration",
        "allowed_payment_method_types",
        "branding_settings",
        "client_secret",
        "consent",
        "consent_collection",
        "currency_conversion",
        "customer_account",
        "excluded_payment_method_types",
        "integration_identifier",
        "managed_payments",
        "name_collection",
        "optional_items",
        "origin_context",
        "payment_link",
        "payment_method_configuration_details",
        "permissions",
        "presentment_details",
        "recovered_from",
        "redirect_on_completion",
        "return_url",
        "saved_payment_method_options",
        "setup_intent",
        "submit_type",
        "wallet_options",
    )
)
_NO_INVOICE = {
    "enabled": False,
    "invoice_data": {
        "account_tax_ids": None,
        "custom_fields": None,
        "description": None,
        "footer": None,
        "issuer": None,
        "metadata": {},
        "rendering_options": None,
    },
}

# What a tester "types" when a control endpoint or Python call gives no details.
DEFAULT_EMAIL = "jenny.rosen@example.com"
DEFAULT_NAME = "Jenny Rosen"
DEFAULT_ADDRESS = {
    "city": "South San Francisco",
    "country": "US",
    "line1": "354 Oyster Point Blvd",
    "line2": None,
    "postal_code": "94080",
    "state": "CA",
}


@dataclass
class _Plan:
    """What a session will create once paid; not part of the session object."""

    line_items: list[dict]
    intent_metadata: dict
    trial_days: int | None
    subscription_metadata: dict
    # `customer_update`: which of what the shopper enters is saved to the session's customer.
    customer_update: dict = field(default_factory=dict)


class Checkout:
    """The Checkout Session endpoints and the customer's actions on a session."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        payments: Payments,
        subscriptions: Subscriptions,
        billing: Billing,
        discounts: Discounts,
        *,
        page_url: Callable[[str], str],
        transfer_url: Callable[[str], str],
        on_bank_debit_started: Callable[[str], None],
    ):
        self.store = store
        self.catalog = catalog
        self.payments = payments
        self.subscriptions = subscriptions
        self.billing = billing
        self.discounts = discounts
        self.shipping_rates = ShippingRates(store)
        self._page_url = page_url
        self._transfer_url = transfer_url
        self._on_bank_debit_started = on_bank_debit_started
        store.register_expander(
            "checkout.session", "line_items", lambda s: self.line_items(Params({}), s["id"])
        )

    def _plans(self) -> dict[str, dict]:
        # Kept in the store so that it is saved with the sessions.
        return self.store.internal.setdefault("checkout_plans", {})

    def _plan_of(self, session_id: str) -> _Plan:
        return _Plan(**self._plans()[session_id])

    def _tax_countries(self) -> dict[str, str]:
        """Session id -> the country of the address entered so far, which automatic tax taxes for."""
        return self.store.internal.setdefault("checkout_tax_countries", {})

    def _authenticating(self) -> dict[str, dict]:
        """Session id -> the details entered with a card that awaits 3-D Secure."""
        return self.store.internal.setdefault("checkout_authenticating", {})

    # API endpoints

    def create_session(self, params: Params) -> dict:
        params.allow(
            "mode",
            "line_items",
            "customer",
            "customer_email",
            "customer_creation",
            "success_url",
            "cancel_url",
            "metadata",
            "client_reference_id",
            "subscription_data",
            "payment_intent_data",
            "payment_method_types",
            "shipping_address_collection",
            "billing_address_collection",
            "expires_at",
            "allow_promotion_codes",
            "discounts",
            "automatic_tax",
            "shipping_options",
            "customer_update",
            "custom_text",
        )
        mode = params.string("mode", required=True, choices=("payment", "subscription"))
        customer = self._customer_param(params)
        automatic_tax = self._automatic_tax(params)
        customer_update = self._customer_update(params, customer, automatic_tax)
        lines = self._lines(params, mode)
        currency = lines[0][1]["currency"]
        discounts = self._discounts(params, currency)
        shipping_options = self._shipping_options(params, currency)
        plan = self._plan(params, mode, lines)
        # Checkout preselects the first shipping option.
        shipping_cost = None
        if shipping_options:
            shipping_cost = {"shipping_rate": shipping_options[0]["shipping_rate"]}
        created = now()
        session_id = new_id("cs_test_", 58)
        session = self.store.add(
            {
                **_SESSION_UNUSED,
                "id": session_id,
                "object": "checkout.session",
                "adaptive_pricing": {"enabled": False},
                "allow_promotion_codes": params.boolean("allow_promotion_codes"),
                # Both set by _retotal below.
                "amount_subtotal": 0,
                "amount_total": 0,
                "automatic_tax": automatic_tax,
                "billing_address_collection": params.string(
                    "billing_address_collection", choices=("auto", "required")
                ),
                "cancel_url": self._url(params, "cancel_url"),
                "client_reference_id": params.string("client_reference_id"),
                "collected_information": None,
                "created": created,
                "currency": currency,
                "custom_fields": [],
                "custom_text": self._custom_text(params),
                "customer": customer["id"] if customer else None,
                "customer_creation": self._customer_creation(params, mode, customer),
                "customer_details": None,
                "customer_email": params.string("customer_email"),
                "discounts": discounts,
                "expires_at": self._expires_at(params, created),
                "invoice": None,
                "invoice_creation": _NO_INVOICE if mode == "payment" else None,
                "livemode": False,
                "locale": None,
                "metadata": params.metadata(),
                "mode": mode,
                "payment_intent": None,
                "payment_method_collection": "if_required" if mode == "payment" else "always",
                "payment_method_options": {},
                "payment_method_types": params.strings("payment_method_types")
                or ["card", bank_method_for(currency)],
                "payment_status": "unpaid",
                "phone_number_collection": {"enabled": False},
                "shipping_address_collection": self._shipping_collection(params),
                "shipping_cost": shipping_cost,
                "shipping_options": shipping_options,
                "status": "open",
                "subscription": None,
                "success_url": self._url(params, "success_url"),
                "tax_id_collection": {"enabled": False, "required": "never"},
                "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
                "ui_mode": "hosted_page",
                "url": self._page_url(session_id),
            }
        )
        plan.customer_update = customer_update
        self._plans()[session_id] = asdict(plan)
        if customer and customer.get("address"):
            self._tax_countries()[session_id] = customer["address"].get("country")
        self._retotal(session)
        return session

    def _retotal(self, session: dict) -> None:
        """Bring the session's line items and totals in line with its discount and shipping."""
        plan = self._plans()[session["id"]]
        # With a trial only one-time items are due today, exactly like Stripe's first invoice.
        due = [
            line
            for line in plan["line_items"]
            if not (plan["trial_days"] and self.store.get("price", line["price"])["recurring"])
        ]
        subtotal = sum(line["amount_subtotal"] for line in due)
        discount = 0
        for applied in session["discounts"]:
            discount += discount_amount(self.store.get("coupon", applied["coupon"]), subtotal - discount)
        shares = discount_shares([line["amount_subtotal"] for line in due], discount)
        for line, share in zip(due, shares, strict=True):
            line.update(amount_discount=share, amount_total=line["amount_subtotal"] - share)
        rate = self._tax_rate(session)
        for line in due:
            line["amount_tax"] = tax_amount(line["amount_total"], rate)
            line["amount_total"] += line["amount_tax"]
        shipping_cost = session["shipping_cost"]
        shipping = shipping_tax = 0
        if shipping_cost:
            shipping = self.store.get("shipping_rate", shipping_cost["shipping_rate"])["fixed_amount"][
                "amount"
            ]
            shipping_tax = tax_amount(shipping, rate)
            shipping_cost.update(
                amount_subtotal=shipping, amount_tax=shipping_tax, amount_total=shipping + shipping_tax
            )
        tax = sum(line["amount_tax"] for line in due) + shipping_tax
        self.store.update(
            session,
            {
                "amount_subtotal": subtotal,
                "amount_total": subtotal - discount + shipping + tax,
                "total_details": {
                    "amount_discount": discount,
                    "amount_shipping": shipping,
                    "amount_tax": tax,
                },
            },
        )

    def _tax_rate(self, session: dict) -> int:
        """The session's tax rate (percent), its automatic_tax status brought up to date."""
        automatic_tax = session["automatic_tax"]
        if not automatic_tax["enabled"]:
            return 0
        if session["id"] not in self._tax_countries():
            automatic_tax["status"] = "requires_location_inputs"
            return 0
        automatic_tax["status"] = "complete"
        return tax_rate(self._tax_countries()[session["id"]])

    def choose_shipping_rate(self, session_id: str, rate_id: str) -> dict:
        """The shopper picks one of the session's shipping options on the hosted page."""
        session = self._open_session(session_id)
        offered = [option["shipping_rate"] for option in session["shipping_options"]]
        if rate_id not in offered:
            raise StripeError(
                f"{rate_id} is not one of this session's shipping options.", param="shipping_rate"
            )
        self.store.update(session, {"shipping_cost": {"shipping_rate": rate_id}})
        self._retotal(session)
        return session

    def locate(self, session_id: str, country: str | None) -> dict:
        """The shopper entered an address in `country`: automatic tax is worked out for it."""
        session = self._open_session(session_id)
        if country:
            self._tax_countries()[session_id] = country.upper()
            self._retotal(session)
        return session

    def offered_shipping_rates(self, session_id: str) -> list[dict]:
        """The shipping rates a session offers, in order."""
        session = self.store.get("checkout.session", session_id)
        return [
            self.store.get("shipping_rate", option["shipping_rate"]) for option in session["shipping_options"]
        ]

    def _recheck_promotion_codes(self, session: dict) -> None:
        """Stripe checks a promotion code again when the payment is made, not only when it is
        applied: a code another checkout used up (or that was deactivated or expired) meanwhile
        comes off the session, which is totalled again, and the payment is refused in the page's
        words, for the shopper to pay the new total or try another code."""
        for applied in session["discounts"]:
            if not applied["promotion_code"]:
                continue
            promotion_code = self.store.get("promotion_code", applied["promotion_code"])
            try:
                self.discounts.redeemable(promotion_code, session["currency"])
            except StripeError:
                kept = [discount for discount in session["discounts"] if discount is not applied]
                self.store.update(session, {"discounts": kept})
                self._retotal(session)
                raise

    def apply_promotion_code(self, session_id: str, code: str) -> dict:
        """The shopper types a promotion code on the hosted page; it replaces any code applied before."""
        session = self._open_session(session_id)
        if not session["allow_promotion_codes"]:
            raise StripeError("This Checkout Session does not accept promotion codes.")
        promotion_code = self.discounts.find_active(code)
        coupon = self.discounts.redeemable(promotion_code, session["currency"])
        self.store.update(
            session, {"discounts": [{"coupon": coupon["id"], "promotion_code": promotion_code["id"]}]}
        )
        self._retotal(session)
        return session

    def retrieve_session(self, params: Params, session_id: str) -> dict:
        return self.store.get("checkout.session", session_id)

    def list_sessions(self, params: Params) -> dict:
        filters = ("payment_intent", "customer", "subscription", "status")
        params.allow(*filters, "limit", "starting_after", "ending_before")
        sessions = self.store.all("checkout.session")
        for name in filters:
            if params.has(name):
                sessions = [s for s in sessions if s[name] == params.string(name)]
        return list_object(sessions, params, "/v1/checkout/sessions", "checkout.session")

    def expire_session(self, params: Params, session_id: str) -> dict:
        return self.expire(session_id)

    def line_items(self, params: Params, session_id: str) -> dict:
        self.store.get("checkout.session", session_id)
        params.allow("limit", "starting_after", "ending_before")
        items = self.rendered_lines(session_id)
        return list_object(items, params, f"/v1/checkout/sessions/{session_id}/line_items", "item")

    def rendered_lines(self, session_id: str) -> list[dict]:
        """The session's line items with their price objects in place of price ids."""
        return [
            {**line, "price": self.store.get("price", line["price"])}
            for line in self._plan_of(session_id).line_items
        ]

    def trial_days(self, session_id: str) -> int | None:
        """The trial of the subscription the session will start, for its hosted page."""
        return self._plan_of(session_id).trial_days

    # The customer's actions

    def pay(self, session_id: str, details: dict | None = None, card: str = DEFAULT_CARD) -> dict:
        """Pay with the test card numbered `card`: the session completes, or stays open after a
        decline, or waits for 3-D Secure (`authenticate`)."""
        session = self._open_session(session_id)
        details = details or {}
        chosen = magic_card(card)
        self._recheck_promotion_codes(session)
        # Another card instead of authenticating the previous one.
        self._authenticating().pop(session_id, None)
        if chosen.declined:
            return self.decline(session_id, details)
        if session["mode"] == "subscription":
            return self._subscribe(session, details, chosen)
        if chosen.authenticates:
            customer_details, _ = self._details(session, details)
            intent = self._intent(session, session["customer"])
            self.payments.pay_by_card(intent, _billing(customer_details), chosen)
            self._authenticating()[session_id] = details
            return session
        customer_details, shipping = self._details(session, details)
        customer_id = self._customer_for(session, customer_details)
        intent = self._intent(session, customer_id)
        self.payments.pay_by_card(intent, _billing(customer_details), chosen)
        self._complete(session, "paid", customer_id, customer_details, shipping)
        return session

    def authenticate(self, session_id: str, *, succeeded: bool) -> dict:
        """Complete or fail the 3-D Secure challenge of the card just entered; a failure leaves
        the session open for another attempt."""
        session = self._open_session(session_id)
        if session_id not in self._authenticating():
            raise StripeError(
                f"Checkout Session {session_id} has no payment awaiting 3-D Secure authentication."
            )
        details = self._authenticating().pop(session_id)
        if succeeded:
            self._recheck_promotion_codes(session)
        customer_details, shipping = self._details(session, details)
        intent = self.store.get("payment_intent", session["payment_intent"])
        if not succeeded:
            self.payments.authenticate(intent, _billing(customer_details), succeeds=False)
            return session
        customer_id = self._customer_for(session, customer_details)
        intent = self._intent(session, customer_id)
        self.payments.authenticate(intent, _billing(customer_details), succeeds=True)
        self._complete(session, "paid", customer_id, customer_details, shipping)
        return session

    def awaiting_authentication(self, session_id: str) -> bool:
        """Whether the session's card waits for the customer's 3-D Secure answer."""
        session = self.store.get("checkout.session", session_id)
        return session["status"] == "open" and session_id in self._authenticating()

    def _subscribe(self, session: dict, details: dict, card) -> dict:
        """The subscription and its first invoice, paid with the card entered (3-D Secure is not
        asked for here: the card is saved for the renewals)."""
        customer_details, shipping = self._details(session, details)
        customer_id = self._customer_for(session, customer_details)
        plan = self._plan_of(session["id"])
        lines = self.rendered_lines(session["id"])
        # A customer on a test clock subscribes at the clock's time.
        with clock_time(customer_time(self.store, customer_id)):
            method = self.payments.new_payment_method(
                customer_id, _billing(customer_details), card_method(card)
            )
            subscription = self.subscriptions.create(
                customer=customer_id,
                default_payment_method=method["id"],
                prices=[(line["price"], line["quantity"]) for line in lines if line["price"]["recurring"]],
                trial_days=plan.trial_days,
                metadata=plan.subscription_metadata,
                automatic_tax=session["automatic_tax"]["enabled"],
                discounts=tuple(session["discounts"]),
            )
            invoice = self.billing.first_invoice(
                subscription, session, lines, tax_country=self._tax_countries().get(session["id"])
            )
        paid = "paid" if session["amount_total"] else "no_payment_required"
        self._complete(
            session, paid, customer_id, customer_details, shipping, subscription["id"], invoice["id"]
        )
        return session

    def decline(self, session_id: str, details: dict | None = None) -> dict:
        """A declined card: the payment fails and the session stays open for another try."""
        session = self._open_session(session_id)
        customer_details, _ = self._details(session, details or {})
        # Subscription payments belong to invoices, which are not simulated.
        if session["mode"] == "payment":
            self._authenticating().pop(session_id, None)
            intent = self._intent(session, session["customer"])
            self.payments.pay_by_card(intent, _billing(customer_details), magic_card(DECLINED_CARD))
        return session

    def pay_async(self, session_id: str, details: dict | None = None) -> dict:
        """Pay by bank debit: the session completes unpaid and settles later."""
        session = self._open_session(session_id)
        if session["mode"] != "payment":
            raise StripeError("Bank transfers are only simulated for sessions in payment mode.")
        self._authenticating().pop(session_id, None)
        self._recheck_promotion_codes(session)
        customer_details, shipping = self._details(session, details or {})
        customer_id = self._customer_for(session, customer_details)
        intent = self._intent(session, customer_id)
        self.payments.start_bank_debit(intent, _billing(customer_details))
        self._complete(session, "unpaid", customer_id, customer_details, shipping)
        self._on_bank_debit_started(session_id)
        return session

    def pay_bank_transfer(self, session_id: str, details: dict | None = None) -> dict:
        """Choose to pay by bank transfer (`customer_balance`): the session completes unpaid, its
        payment intent waits with the transfer instructions until `fund_bank_transfer`. A transfer
        needs a customer: the session makes one if it has none, as `customer_creation`
        ``if_required`` lets Checkout do."""
        session = self._open_session(session_id)
        if session["mode"] != "payment":
            raise StripeError("Bank transfers are only simulated for sessions in payment mode.")
        self._authenticating().pop(session_id, None)
        self._recheck_promotion_codes(session)
        customer_details, shipping = self._details(session, details or {})
        customer_id = self._customer_for(session, customer_details, required=True)
        intent = self._intent(session, customer_id)
        self.payments.start_bank_transfer(
            intent, _billing(customer_details), instructions_url=self._transfer_url(intent["id"])
        )
        self._complete(session, "unpaid", customer_id, customer_details, shipping)
        return session

    def fund_bank_transfer(self, session_id: str, amount: int | None = None) -> dict:
        """Money arrives for the session's bank transfer (`amount`, default all that remains);
        once it is all there the session is paid: checkout.session.async_payment_succeeded."""
        session = self.store.get("checkout.session", session_id)
        if session["status"] != "complete" or not session["payment_intent"]:
            raise StripeError(f"Checkout Session {session_id} has no bank transfer to fund.")
        intent = self.store.get("payment_intent", session["payment_intent"])
        self.payments.fund_bank_transfer(intent, amount)
        if intent["status"] == "succeeded":
            self.store.update(session, {"payment_status": "paid"})
            self.store.emit("checkout.session.async_payment_succeeded", session)
        return session

    def session_of_intent(self, intent_id: str) -> str:
        """The id of the session that made the payment intent."""
        for session in self.store.all("checkout.session"):
            if session["payment_intent"] == intent_id:
                return session["id"]
        raise StripeError(f"PaymentIntent {intent_id} belongs to no Checkout Session.")

    def settle_async(self, session_id: str, *, succeeded: bool) -> dict:
        """The bank's answer to a `pay_async` payment."""
        if not self.awaiting_settlement(session_id):
            raise StripeError(f"Checkout Session {session_id} has no pending bank payment.")
        session = self.store.get("checkout.session", session_id)
        intent = self.store.get("payment_intent", session["payment_intent"])
        self.payments.settle_bank_debit(intent, succeeds=succeeded)
        if succeeded:
            self.store.update(session, {"payment_status": "paid"})
            self.store.emit("checkout.session.async_payment_succeeded", session)
        else:
            self.store.emit("checkout.session.async_payment_failed", session)
        return session

    def awaiting_settlement(self, session_id: str) -> bool:
        """Whether the session was paid by a bank transfer that has not cleared yet."""
        session = self.store.get("checkout.session", session_id)
        if session["status"] != "complete" or not session["payment_intent"]:
            return False
        return self.store.get("payment_intent", session["payment_intent"])["status"] == "processing"

    def expire(self, session_id: str) -> dict:
        session = self.store.get("checkout.session", session_id)
        if session["status"] != "open":
            raise StripeError(
                f'Only Checkout Sessions with a status in ["open"] can be expired; '
                f"{session_id} is {session['status']}."
            )
        if session["payment_intent"]:
            intent = self.store.get("payment_intent", session["payment_intent"])
            self.payments.cancel_intent(intent, "abandoned")
        # Stripe forgets the page of a closed session.
        self.store.update(session, {"status": "expired", "url": None})
        self.store.emit("checkout.session.expired", session)
        return session

    def expire_due(self) -> None:
        """Expire open sessions whose `expires_at` has passed (Stripe does it on its own)."""
        for session in self.store.all("checkout.session"):
            if session["status"] == "open" and session["expires_at"] <= now():
                self.expire(session["id"])

    # Helpers for creation

    def _lines(self, params: Params, mode: str) -> list[tuple[dict, dict]]:
        """Validated (line item, price) pairs."""
        items = params.hashes("line_items")
        if not items:
            raise StripeError(
                "Missing required param: line_items.", code="parameter_missing", param="line_items"
            )
        lines = []
        for item in items:
            item.allow("price", "price_data", "quantity")
            item.one_of("price", "price_data")
            price_param = item.path("price")
            if item.has("price_data"):
                price = self._inline_price(item.hash("price_data"))
            else:
                price = self.store.get(
                    "price", item.string("price", required=True), param=price_param, status=400
                )
            quantity = item.integer("quantity", required=True, minimum=1)
            product = self.store.get("product", price["product"])
            if item.has("price") and (not price["active"] or not product["active"]):
                raise StripeError(
                    f"The price specified ({price['id']}) is inactive. "
                    "This field only accepts active prices.",
                    param=price_param,
                )
            if lines and price["currency"] != lines[0][1]["currency"]:
                raise StripeError(
                    f"{price_param} has currency {price['currency']} but the other line items "
                    f"use {lines[0][1]['currency']}; all line items must share one currency.",
                    param=price_param,
                )
            if mode == "payment" and price["recurring"]:
                raise StripeError(
                    "You specified `payment` mode but passed a recurring price. Either switch to "
                    "`subscription` mode or use only one-time prices.",
                    param=price_param,
                )
            amount = price["unit_amount"] * quantity
            line = {
                "id": new_id("li_"),
                "object": "item",
                "adjustable_quantity": None,
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": price["currency"],
                "description": product["name"],
                "metadata": {},
                "price": price["id"],
                "quantity": quantity,
            }
            lines.append((line, price))
        if mode == "subscription" and not any(price["recurring"] for _, price in lines):
            raise StripeError(
                "You must provide at least one recurring price in `subscription` mode when using prices.",
                param="line_items",
            )
        return lines

    def _inline_price(self, price_data: Params) -> dict:
        """The one-off price (and product) of a line item's ``price_data``: inactive, so that
        it serves this session only, as on Stripe."""
        price_data.allow("currency", "product", "product_data", "unit_amount", "recurring", "tax_behavior")
        price_data.one_of("product", "product_data")
        if price_data.has("product"):
            product = self.store.get(
                "product", price_data.string("product"), param=price_data.path("product"), status=400
            )
        else:
            product_data = price_data.hash("product_data")
            product_data.allow("name", "description", "images", "metadata", "tax_code")
            product = self.catalog.new_product(
                name=product_data.string("name", required=True),
                description=product_data.string("description"),
                images=product_data.strings("images"),
                metadata=product_data.metadata(),
                tax_code=product_data.string("tax_code"),
            )
        tax_behavior = price_data.string("tax_behavior", choices=("exclusive", "inclusive", "unspecified"))
        return self.catalog.new_price(
            price_data, product=product["id"], active=False, tax_behavior=tax_behavior or "unspecified"
        )

    def _discounts(self, params: Params, currency: str) -> list[dict]:
        """The coupon or promotion code given at creation, checked as the hosted page checks a typed one."""
        discounts = params.hashes("discounts")
        if discounts and params.has("allow_promotion_codes"):
            raise StripeError(
                "You may only specify one of these parameters: allow_promotion_codes, discounts.",
                code="parameters_exclusive",
            )
        if len(discounts) > 1:
            raise StripeError("You may only apply one discount to a Checkout Session.", param="discounts")
        stored = []
        for discount in discounts:
            discount.allow("coupon", "promotion_code")
            discount.one_of("coupon", "promotion_code")
            if discount.has("coupon"):
                coupon = self.store.get(
                    "coupon", discount.string("coupon"), param=discount.path("coupon"), status=400
                )
                stored.append({"coupon": coupon["id"], "promotion_code": None})
                continue
            promotion_code = self.store.get(
                "promotion_code",
                discount.string("promotion_code"),
                param=discount.path("promotion_code"),
                status=400,
            )
            try:
                coupon = self.discounts.redeemable(promotion_code, currency)
            except StripeError as error:
                raise StripeError(error.message, param=discount.path("promotion_code")) from None
            stored.append({"coupon": coupon["id"], "promotion_code": promotion_code["id"]})
        return stored

    @staticmethod
    def _automatic_tax(params: Params) -> dict:
        """Enabled or not; the status follows the customer's address (see `_tax_rate`)."""
        automatic_tax = params.hash("automatic_tax")
        if automatic_tax:
            automatic_tax.allow("enabled", "liability")
            if automatic_tax.boolean("enabled") is None:
                raise parameter_missing(automatic_tax.path("enabled"))
        if not automatic_tax or not automatic_tax.boolean("enabled"):
            return {"enabled": False, "liability": None, "provider": None, "status": None}
        return {
            "enabled": True,
            "liability": {"type": "self"},
            "provider": "stripe",
            "status": "requires_location_inputs",
        }

    @staticmethod
    def _customer_update(params: Params, customer: dict | None, automatic_tax: dict) -> dict:
        """Check ``customer_update``: only with a customer, and needed for automatic tax when the
        customer has no address yet, so that the address typed on the page can be saved to it.
        Return it as {"address": "auto", ...}, only the fields given."""
        update = params.hash("customer_update")
        if update is not None:
            update.allow("address", "name", "shipping")
            if customer is None:
                raise StripeError(
                    "`customer_update` can only be used with `customer`.", param="customer_update"
                )
        saves_address = update is not None and "auto" in (
            update.string("address", choices=("auto", "never")),
            update.string("shipping", choices=("auto", "never")),
        )
        if update is not None:
            update.string("name", choices=("auto", "never"))
        if automatic_tax["enabled"] and customer and not customer.get("address") and not saves_address:
            raise StripeError(
                "Automatic tax calculation in Checkout requires a valid address on the Customer. Add a "
                "valid address to the Customer or set either `customer_update[address]` or "
                "`customer_update[shipping]` to 'auto' to save the address entered in Checkout to the "
                "Customer.",
                param="automatic_tax[enabled]",
            )
        if update is None:
            return {}
        chosen = {
            name: update.string(name, choices=("auto", "never")) for name in ("address", "name", "shipping")
        }
        return {name: value for name, value in chosen.items() if value}

    def _shipping_options(self, params: Params, currency: str) -> list[dict]:
        options = []
        if len(params.hashes("shipping_options")) > MAX_SHIPPING_OPTIONS:
            raise StripeError(
                f"You may only specify up to {MAX_SHIPPING_OPTIONS} shipping options.",
                param="shipping_options",
            )
        for option in params.hashes("shipping_options"):
            option.allow("shipping_rate", "shipping_rate_data")
            option.one_of("shipping_rate", "shipping_rate_data")
            if option.has("shipping_rate"):
                rate = self.store.get(
                    "shipping_rate",
                    option.string("shipping_rate"),
                    param=option.path("shipping_rate"),
                    status=400,
                )
                if not rate["active"]:
                    raise StripeError(
                        f"The shipping rate {rate['id']} is inactive.", param=option.path("shipping_rate")
                    )
            else:
                rate = self.shipping_rates.new_rate(option.hash("shipping_rate_data"))
            if rate["fixed_amount"]["currency"] != currency:
                raise StripeError(
                    f"The shipping rate {rate['id']} is in {rate['fixed_amount']['currency']}, "
                    f"but the session is in {currency}.",
                    param=option.path("shipping_rate"),
                )
            options.append({"shipping_amount": rate["fixed_amount"]["amount"], "shipping_rate": rate["id"]})
        return options

    @staticmethod
    def _plan(params: Params, mode: str, lines: list[tuple[dict, dict]]) -> _Plan:
        subscription_data = params.hash("subscription_data")
        intent_data = params.hash("payment_intent_data")
        for name, data, allowed_mode in (
            ("subscription_data", subscription_data, "subscription"),
            ("payment_intent_data", intent_data, "payment"),
        ):
            if data and mode != allowed_mode:
                raise StripeError(f"You can not pass `{name}` in `{mode}` mode.", param=name)
        if subscription_data:
            subscription_data.allow("trial_period_days", "metadata", "description")
        if intent_data:
            intent_data.allow("metadata", "description")
        return _Plan(
            line_items=[line for line, _ in lines],
            intent_metadata=intent_data.metadata() if intent_data else {},
            trial_days=subscription_data.integer("trial_period_days", minimum=1)
            if subscription_data
            else None,
            subscription_metadata=subscription_data.metadata() if subscription_data else {},
        )

    def _customer_param(self, params: Params) -> dict | None:
        if params.has("customer") and params.has("customer_email"):
            raise StripeError(
                "You may only specify one of these parameters: customer, customer_email.",
                code="parameters_exclusive",
            )
        if not params.has("customer"):
            return None
        return self.store.get("customer", params.string("customer"), param="customer", status=400)

    @staticmethod
    def _customer_creation(params: Params, mode: str, customer: dict | None) -> str | None:
        value = params.string("customer_creation", choices=("always", "if_required"))
        if value and mode != "payment":
            raise StripeError(
                "`customer_creation` can only be used in `payment` mode.",
                param="customer_creation",
            )
        if value and customer:
            raise StripeError(
                "You may only specify one of these parameters: customer, customer_creation.",
                code="parameters_exclusive",
            )
        if customer:
            return None
        # Subscriptions always need a customer.
        return "always" if mode == "subscription" else value or "if_required"

    @staticmethod
    def _custom_text(params: Params) -> dict:
        """Checkout's custom_text: a message of at most 1200 characters per place on the page."""
        text = dict.fromkeys(_CUSTOM_TEXT_PLACES)
        given = params.hash("custom_text")
        if given is None:
            return text
        given.allow(*_CUSTOM_TEXT_PLACES)
        for place in _CUSTOM_TEXT_PLACES:
            part = given.hash(place)
            if part is None:
                continue
            part.allow("message")
            message = part.string("message", required=True)
            if len(message) > _CUSTOM_TEXT_MAX_LENGTH:
                raise StripeError(
                    f"Invalid string: {part.path('message')}: must be at most {_CUSTOM_TEXT_MAX_LENGTH} "
                    "characters",
                    param=part.path("message"),
                )
            text[place] = {"message": message}
        return text

    @staticmethod
    def _url(params: Params, name: str) -> str | None:
        url = params.string(name)
        if url is not None and not _URL.match(url):
            raise StripeError("Not a valid URL", param=name)
        return url

    @staticmethod
    def _expires_at(params: Params, created: int) -> int:
        expires_at = params.integer("expires_at")
        if expires_at is None:
            return created + _MAX_LIFETIME
        if not created + _MIN_LIFETIME <= expires_at <= created + _MAX_LIFETIME:
            raise StripeError(
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                "Checkout Session creation.",
                param="expires_at",
            )
        return expires_at

    @staticmethod
    def _shipping_collection(params: Params) -> dict | None:
        collection = params.hash("shipping_address_collection")
        if collection is None:
            return None
        collection.allow("allowed_countries")
        countries = collection.strings("allowed_countries")
        if not countries:
            raise StripeError(
                "Missing required param: shipping_address_collection[allowed_countries].",
                code="parameter_missing",
                param="shipping_address_collection[allowed_countries]",
            )
        for country in countries:
            if not _COUNTRY.match(country):
                raise StripeError(
                    f"Invalid country: {country}",
                    param="shipping_address_collection[allowed_countries]",
                )
        return {"allowed_countries": countries}

    # Helpers for the customer's actions

    def _open_session(self, session_id: str) -> dict:
        session = self.store.get("checkout.session", session_id)
        if session["status"] != "open":
            raise StripeError(f"This Checkout Session is no longer active (status: {session['status']}).")
        return session

    def _details(self, session: dict, entered: dict) -> tuple[dict, dict | None]:
        """customer_details and shipping_details from what was entered, filling
        in test defaults for whatever was not."""
        email = self.known_email(session) or entered.get("email") or DEFAULT_EMAIL
        collection = session["shipping_address_collection"]
        # Automatic tax needs the customer's address, which Checkout then asks for.
        wants_address = (
            collection
            or session["billing_address_collection"] == "required"
            or session["automatic_tax"]["enabled"]
        )
        name = entered.get("name") or (DEFAULT_NAME if wants_address else None)
        address = dict.fromkeys(_ADDRESS_FIELDS)
        saved = self.saved_address(session) if wants_address else None
        if entered.get("address"):
            address.update({k: v or None for k, v in entered["address"].items() if k in address})
            address["country"] = address["country"] and address["country"].upper()
        elif saved:
            # Checkout fills the page in with what the customer has on file.
            address.update({k: v for k, v in saved["address"].items() if k in address})
            name = entered.get("name") or saved.get("name") or name
        elif wants_address:
            address.update(DEFAULT_ADDRESS)
            if collection and address["country"] not in collection["allowed_countries"]:
                address["country"] = collection["allowed_countries"][0]
        if collection and address["country"] not in collection["allowed_countries"]:
            raise StripeError(f"Shipping to {address['country']} is not available.", param="address[country]")
        details = {
            "address": address,
            "business_name": None,
            "email": email,
            "individual_name": None,
            "name": name,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        }
        shipping = {"address": address, "name": name} if collection else None
        # The address is known now: automatic tax is worked out for it before anything is charged.
        self.locate(session["id"], address["country"])
        return details, shipping

    def saved_address(self, session: dict) -> dict | None:
        """The session's customer's shipping address (for a session that ships) or address, with
        the name to go with it, as Checkout prefills them; None when there is none."""
        if not session["customer"]:
            return None
        customer = self.store.get("customer", session["customer"])
        shipping = customer.get("shipping") if session["shipping_address_collection"] else None
        if shipping and shipping.get("address"):
            return {"address": shipping["address"], "name": shipping.get("name")}
        if customer.get("address"):
            return {"address": customer["address"], "name": customer.get("name")}
        return None

    def known_email(self, session: dict) -> str | None:
        """The email the page does not ask for: the session's customer's, else its `customer_email`."""
        if session["customer"]:
            return self.store.get("customer", session["customer"])["email"]
        return session["customer_email"]

    def _customer_for(self, session: dict, details: dict, *, required: bool = False) -> str | None:
        """The session's customer, created now when the session asks for one or the payment
        method needs one (`required`). A customer with no email gets the one entered on the page,
        as Stripe's Checkout sets it."""
        if session["customer"]:
            customer = self.store.get("customer", session["customer"])
            changes = {} if customer["email"] else {"email": details["email"]}
            # What `customer_update` asked to save of what was entered on the page.
            update = self._plan_of(session["id"]).customer_update
            address = details["address"]
            if any(address.values()):
                if update.get("address") == "auto":
                    changes["address"] = dict(address)
                if update.get("shipping") == "auto" and session["shipping_address_collection"]:
                    changes["shipping"] = {"address": dict(address), "name": details["name"], "phone": None}
            if update.get("name") == "auto" and details["name"]:
                changes["name"] = details["name"]
            if changes:
                self.store.update(customer, changes, "customer.updated")
            return session["customer"]
        if session["customer_creation"] != "always" and not required:
            return None
        address = details["address"]
        customer = self.catalog.new_customer(
            email=details["email"],
            name=details["name"],
            address=address if any(address.values()) else None,
        )
        self.store.emit("customer.created", customer)
        return customer["id"]

    def _intent(self, session: dict, customer_id: str | None) -> dict:
        """The session's payment intent, created on the first payment attempt as
        Stripe does since API version 2022-08-01."""
        if session["payment_intent"]:
            intent = self.store.get("payment_intent", session["payment_intent"])
            # The total may have moved since the last attempt (another shipping rate or country).
            self.store.update(intent, {"customer": customer_id, "amount": session["amount_total"]})
            return intent
        intent = self.payments.create_intent(
            amount=session["amount_total"],
            currency=session["currency"],
            customer=customer_id,
            metadata=dict(self._plan_of(session["id"]).intent_metadata),
        )
        self.store.update(session, {"payment_intent": intent["id"]})
        return intent

    def _complete(
        self,
        session: dict,
        payment_status: str,
        customer_id: str | None,
        customer_details: dict,
        shipping: dict | None,
        subscription_id: str | None = None,
        invoice_id: str | None = None,
    ) -> None:
        self.discounts.redeem(session["discounts"])
        self.store.update(
            session,
            {
                "collected_information": {
                    "business_name": None,
                    "individual_name": None,
                    "shipping_details": shipping,
                },
                "customer": customer_id,
                "customer_details": customer_details,
                "payment_status": payment_status,
                "status": "complete",
                "invoice": invoice_id,
                "subscription": subscription_id,
                # Stripe forgets the page of a closed session.
                "url": None,
            },
        )
        self.store.emit("checkout.session.completed", session)


def _billing(customer_details: dict) -> dict:
    return {
        "address": customer_details["address"],
        "email": customer_details["email"],
        "name": customer_details["name"],
        "phone": None,
    }

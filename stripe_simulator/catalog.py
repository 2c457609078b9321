"""Customers, products and prices."""

import re

from .errors import StripeError
from .params import Params
from .search import search_query, search_result
from .store import Store, clock_time, list_object, new_id, now

_CURRENCY = re.compile(r"^[a-z]{3}$")
_INTERVALS = ("day", "week", "month", "year")
_CUSTOMER_FIELDS = ("email", "name", "phone", "description")
_PRICE_SEARCH_FIELDS = ("active", "currency", "lookup_key", "metadata", "product", "type")


def _address(params: Params, name: str) -> dict | None:
    address = params.hash(name)
    if address is None:
        return None
    address.allow("line1", "line2", "city", "state", "postal_code", "country")
    return {
        field: address.string(field)
        for field in ("city", "country", "line1", "line2", "postal_code", "state")
    }


class Catalog:
    """The customer, product and price endpoints."""

    def __init__(self, store: Store):
        self.store = store

    # Customers

    def create_customer(self, params: Params) -> dict:
        params.allow(*_CUSTOMER_FIELDS, "address", "metadata", "test_clock")
        clock = None
        if params.has("test_clock"):
            clock = self.store.get(
                "test_helpers.test_clock", params.string("test_clock"), param="test_clock", status=400
            )
        # A customer on a test clock is created at the clock's time.
        with clock_time(clock and clock["frozen_time"]):
            customer = self.new_customer(
                **{field: params.string(field) for field in _CUSTOMER_FIELDS},
                address=_address(params, "address"),
                metadata=params.metadata(),
                test_clock=clock and clock["id"],
            )
        self.store.emit("customer.created", customer)
        return customer

    def new_customer(self, **fields) -> dict:
        """Store a customer with `fields` set, without emitting customer.created."""
        return self.store.add(
            {
                "id": new_id("cus_", 14),
                "object": "customer",
                "address": None,
                "balance": 0,
                "business_name": None,
                "created": now(),
                "currency": None,
                "customer_account": None,
                "default_source": None,
                "delinquent": False,
                "description": None,
                "discount": None,
                "email": None,
                "individual_name": None,
                "invoice_prefix": new_id("", 8).upper(),
                "invoice_settings": {
                    "custom_fields": None,
                    "default_payment_method": None,
                    "footer": None,
                    "rendering_options": None,
                },
                "livemode": False,
                "metadata": {},
                "name": None,
                "next_invoice_sequence": 1,
                "phone": None,
                "preferred_locales": [],
                "shipping": None,
                "tax_exempt": "none",
                "test_clock": None,
                **fields,
            }
        )

    def retrieve_customer(self, params: Params, customer_id: str) -> dict:
        return self.store.get("customer", customer_id, allow_deleted=True)

    def update_customer(self, params: Params, customer_id: str) -> dict:
        params.allow(*_CUSTOMER_FIELDS, "address", "metadata")
        customer = self.store.get("customer", customer_id)
        changes = {field: params.string(field) for field in _CUSTOMER_FIELDS if params.has(field)}
        if params.has("address"):
            changes["address"] = _address(params, "address")
        changes["metadata"] = params.metadata(customer["metadata"])
        self.store.update(customer, changes, "customer.updated")
        return customer

    def delete_customer(self, params: Params, customer_id: str) -> dict:
        customer = self.store.get("customer", customer_id)
        stub = self.store.delete(customer)
        self.store.emit("customer.deleted", customer)
        return stub

    def list_customers(self, params: Params) -> dict:
        params.allow("email", "test_clock", "limit", "starting_after", "ending_before")
        customers = self.store.all("customer")
        for field in ("email", "test_clock"):
            if params.has(field):
                customers = [c for c in customers if c[field] == params.string(field)]
        return list_object(customers, params, "/v1/customers", "customer")

    # Products

    def create_product(self, params: Params) -> dict:
        params.allow("id", "name", "description", "active", "images", "metadata")
        product_id = params.string("id") or new_id("prod_", 14)
        if self.store.exists(product_id):
            raise StripeError(
                f"Product already exists: {product_id}",
                code="resource_already_exists",
                param="id",
            )
        active = params.boolean("active")
        product = self.new_product(
            id=product_id,
            name=params.string("name", required=True),
            active=True if active is None else active,
            description=params.string("description"),
            images=params.strings("images"),
            metadata=params.metadata(),
        )
        self.store.emit("product.created", product)
        return product

    def new_product(self, **fields) -> dict:
        """Store a product with `fields` set, without emitting product.created."""
        created = now()
        return self.store.add(
            {
                "id": new_id("prod_", 14),
                "object": "product",
                "active": True,
                "created": created,
                "default_price": None,
                "description": None,
                "images": [],
                "livemode": False,
                "marketing_features": [],
                "metadata": {},
                "package_dimensions": None,
                "shippable": None,
                "statement_descriptor": None,
                "tax_code": None,
                "tax_details": None,
                "type": "service",
                "unit_label": None,
                "updated": created,
                "url": None,
                **fields,
            }
        )

    def retrieve_product(self, params: Params, product_id: str) -> dict:
        return self.store.get("product", product_id)

    def update_product(self, params: Params, product_id: str) -> dict:
        params.allow("name", "description", "active", "images", "metadata")
        product = self.store.get("product", product_id)
        changes: dict = {"metadata": params.metadata(product["metadata"])}
        if params.has("name"):
            changes["name"] = params.string("name", required=True)
        if params.has("description"):
            changes["description"] = params.string("description")
        if params.has("active"):
            changes["active"] = params.boolean("active")
        if params.has("images"):
            changes["images"] = params.strings("images")
        previous = self.store.update(product, changes)
        if previous:
            # Emitted here rather than by update() so the event also shows `updated` moving.
            previous["updated"] = product["updated"]
            product["updated"] = now()
            self.store.emit("product.updated", product, previous)
        return product

    def delete_product(self, params: Params, product_id: str) -> dict:
        """Stripe deletes only a product without prices (archive it otherwise): product.deleted."""
        product = self.store.get("product", product_id)
        if any(price["product"] == product_id for price in self.store.all("price")):
            raise StripeError(
                "This product cannot be deleted because it has one or more user-created prices.",
                code="product_has_prices",
            )
        stub = self.store.delete(product)
        self.store.emit("product.deleted", product)
        return stub

    def list_products(self, params: Params) -> dict:
        params.allow("active", "limit", "starting_after", "ending_before")
        products = self.store.all("product")
        active = params.boolean("active")
        if active is not None:
            products = [p for p in products if p["active"] == active]
        return list_object(products, params, "/v1/products", "product")

    # Prices

    def create_price(self, params: Params) -> dict:
        params.allow("product", "unit_amount", "currency", "recurring", "nickname", "metadata", "active")
        product = self.store.get(
            "product", params.string("product", required=True), param="product", status=400
        )
        active = params.boolean("active")
        price = self.new_price(
            params,
            product=product["id"],
            active=True if active is None else active,
            nickname=params.string("nickname"),
            metadata=params.metadata(),
        )
        self.store.emit("price.created", price)
        return price

    def new_price(self, amounts: Params, **fields) -> dict:
        """Store a price for the ``unit_amount``, ``currency`` and ``recurring`` of `amounts`
        (price params, or a line item's ``price_data``), without emitting price.created."""
        unit_amount = amounts.integer("unit_amount", required=True, minimum=0)
        currency = amounts.string("currency", required=True).lower()
        if not _CURRENCY.match(currency):
            raise StripeError(f"Invalid currency: {currency}", param=amounts.path("currency"))
        recurring = self._recurring(amounts.hash("recurring"))
        return self.store.add(
            {
                "id": new_id("price_"),
                "object": "price",
                "active": True,
                "billing_scheme": "per_unit",
                "created": now(),
                "currency": currency,
                "custom_unit_amount": None,
                "livemode": False,
                "lookup_key": None,
                "metadata": {},
                "nickname": None,
                "recurring": recurring,
                "tax_behavior": "unspecified",
                "tiers_mode": None,
                "transform_quantity": None,
                "type": "recurring" if recurring else "one_time",
                "unit_amount": unit_amount,
                "unit_amount_decimal": str(unit_amount),
                **fields,
            }
        )

    @staticmethod
    def _recurring(recurring: Params | None) -> dict | None:
        if recurring is None:
            return None
        # trial_period_days is accepted and echoed like Stripe's deprecated field;
        # trials come from the Checkout Session's subscription_data.
        recurring.allow("interval", "interval_count", "trial_period_days", "usage_type")
        return {
            "interval": recurring.string("interval", required=True, choices=_INTERVALS),
            "interval_count": recurring.integer("interval_count", minimum=1) or 1,
            "meter": None,
            "trial_period_days": recurring.integer("trial_period_days", minimum=0),
            "usage_type": recurring.string("usage_type", choices=("licensed",)) or "licensed",
        }

    def retrieve_price(self, params: Params, price_id: str) -> dict:
        return self.store.get("price", price_id)

    def update_price(self, params: Params, price_id: str) -> dict:
        # Amount, currency and interval are immutable on Stripe: they are simply
        # not parameters of the update endpoint, hence "unknown parameter".
        params.allow("active", "nickname", "metadata")
        price = self.store.get("price", price_id)
        changes: dict = {"metadata": params.metadata(price["metadata"])}
        if params.has("active"):
            changes["active"] = params.boolean("active")
        if params.has("nickname"):
            changes["nickname"] = params.string("nickname")
        self.store.update(price, changes, "price.updated")
        return price

    def delete_price_from_dashboard(self, price_id: str) -> dict:
        """A person deletes a price in the dashboard, which Stripe allows only for a price no
        checkout or subscription has used: price.deleted."""
        price = self.store.get("price", price_id)
        plans = self.store.internal.get("checkout_plans", {}).values()
        used = any(line["price"] == price_id for plan in plans for line in plan["line_items"]) or any(
            item["price"]["id"] == price_id
            for subscription in self.store.all("subscription")
            for item in subscription["items"]["data"]
        )
        if used:
            raise StripeError(f"Price {price_id} has been used and cannot be deleted; archive it instead.")
        stub = self.store.delete(price)
        self.store.emit("price.deleted", price)
        return stub

    def list_prices(self, params: Params) -> dict:
        params.allow("product", "active", "currency", "type", "limit", "starting_after", "ending_before")
        prices = self.store.all("price")
        filters = {
            "product": params.string("product"),
            "active": params.boolean("active"),
            "currency": params.string("currency"),
            "type": params.string("type", choices=("one_time", "recurring")),
        }
        for field, wanted in filters.items():
            if wanted is not None:
                prices = [price for price in prices if price[field] == wanted]
        return list_object(prices, params, "/v1/prices", "price")

    def search_prices(self, params: Params) -> dict:
        """Stripe's search query language, for the fields prices can be searched by."""
        params.allow("query", "limit", "page")
        matches = search_query(params.string("query", required=True), _PRICE_SEARCH_FIELDS)
        prices = [price for price in self.store.all("price") if matches(price)]
        return search_result(prices, params, "/v1/prices/search")

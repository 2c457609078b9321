"""The ``/v1`` REST API: authentication, idempotency and routing to the services."""

import base64
import binascii
import logging
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from urllib.parse import parse_qsl

from .billing import Billing
from .catalog import Catalog
from .charges import Payments
from .checkout import Checkout
from .discounts import Discounts
from .errors import StripeError
from .events import Events
from .params import Params, parse_form
from .portal import Portal
from .responses import Response, json_response
from .store import Store, current_request, new_id
from .subscription_changes import SubscriptionChanges
from .subscriptions import Subscriptions
from .test_clocks import TestClocks

logger = logging.getLogger(__name__)

Handler = Callable[..., dict]

# Stripe forgets idempotency keys after 24 hours; so does the simulator, to bound memory.
_IDEMPOTENCY_TTL = 24 * 60 * 60


class Api:
    """Answers ``/v1/...`` requests the way api.stripe.com does."""

    def __init__(
        self,
        store: Store,
        transaction: Callable[[], AbstractContextManager],
        *,
        catalog: Catalog,
        checkout: Checkout,
        payments: Payments,
        subscriptions: Subscriptions,
        subscription_changes: SubscriptionChanges,
        billing: Billing,
        test_clocks: TestClocks,
        portal: Portal,
        discounts: Discounts,
        events: Events,
    ):
        self._store = store
        self._transaction = transaction
        # Idempotency-Key -> (monotonic time, request signature, response) of its first
        # successful use, oldest first.
        self._idempotent: dict[str, tuple[float, tuple, Response]] = {}
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/v1/customers", catalog.list_customers),
            ("POST", "/v1/customers", catalog.create_customer),
            ("GET", "/v1/customers/{id}", catalog.retrieve_customer),
            ("POST", "/v1/customers/{id}", catalog.update_customer),
            ("DELETE", "/v1/customers/{id}", catalog.delete_customer),
            ("GET", "/v1/products", catalog.list_products),
            ("POST", "/v1/products", catalog.create_product),
            ("GET", "/v1/products/{id}", catalog.retrieve_product),
            ("POST", "/v1/products/{id}", catalog.update_product),
            ("DELETE", "/v1/products/{id}", catalog.delete_product),
            ("GET", "/v1/prices", catalog.list_prices),
            ("POST", "/v1/prices", catalog.create_price),
            # Before /v1/prices/{id}, which would read "search" as an id.
            ("GET", "/v1/prices/search", catalog.search_prices),
            ("GET", "/v1/prices/{id}", catalog.retrieve_price),
            ("POST", "/v1/prices/{id}", catalog.update_price),
            ("GET", "/v1/checkout/sessions", checkout.list_sessions),
            ("POST", "/v1/checkout/sessions", checkout.create_session),
            ("GET", "/v1/checkout/sessions/{id}", checkout.retrieve_session),
            ("POST", "/v1/checkout/sessions/{id}/expire", checkout.expire_session),
            ("GET", "/v1/checkout/sessions/{id}/line_items", checkout.line_items),
            ("GET", "/v1/payment_intents", payments.list_intents),
            ("GET", "/v1/payment_intents/{id}", payments.retrieve_intent),
            ("GET", "/v1/charges/{id}", payments.retrieve_charge),
            ("GET", "/v1/refunds", payments.list_refunds),
            ("POST", "/v1/refunds", payments.create_refund),
            ("GET", "/v1/refunds/{id}", payments.retrieve_refund),
            ("GET", "/v1/disputes", payments.list_disputes),
            ("GET", "/v1/disputes/{id}", payments.retrieve_dispute),
            ("GET", "/v1/subscriptions", subscriptions.list_subscriptions),
            ("GET", "/v1/subscriptions/{id}", subscriptions.retrieve_subscription),
            ("POST", "/v1/subscriptions/{id}", subscription_changes.update_subscription),
            ("DELETE", "/v1/subscriptions/{id}", subscriptions.cancel_subscription),
            ("GET", "/v1/subscription_items", subscription_changes.list_items),
            ("GET", "/v1/subscription_items/{id}", subscription_changes.retrieve_item),
            ("POST", "/v1/subscription_items/{id}", subscription_changes.update_item),
            ("GET", "/v1/invoices", billing.list_invoices),
            ("POST", "/v1/invoices/create_preview", subscription_changes.create_preview),
            ("GET", "/v1/invoices/{id}", billing.retrieve_invoice),
            ("GET", "/v1/invoices/{id}/lines", billing.invoice_lines),
            ("GET", "/v1/invoice_payments", billing.list_invoice_payments),
            ("GET", "/v1/invoice_payments/{id}", billing.retrieve_invoice_payment),
            ("GET", "/v1/billing_portal/configurations", portal.configurations.list_configurations),
            ("POST", "/v1/billing_portal/configurations", portal.configurations.create_configuration),
            ("GET", "/v1/billing_portal/configurations/{id}", portal.configurations.retrieve_configuration),
            ("POST", "/v1/billing_portal/configurations/{id}", portal.configurations.update_configuration),
            ("POST", "/v1/billing_portal/sessions", portal.create_session),
            ("GET", "/v1/test_helpers/test_clocks", test_clocks.list_clocks),
            ("POST", "/v1/test_helpers/test_clocks", test_clocks.create_clock),
            ("GET", "/v1/test_helpers/test_clocks/{id}", test_clocks.retrieve_clock),
            ("DELETE", "/v1/test_helpers/test_clocks/{id}", test_clocks.delete_clock),
            ("POST", "/v1/test_helpers/test_clocks/{id}/advance", test_clocks.advance_clock),
            ("GET", "/v1/coupons", discounts.list_coupons),
            ("POST", "/v1/coupons", discounts.create_coupon),
            ("GET", "/v1/coupons/{id}", discounts.retrieve_coupon),
            ("GET", "/v1/promotion_codes", discounts.list_promotion_codes),
            ("POST", "/v1/promotion_codes", discounts.create_promotion_code),
            ("GET", "/v1/promotion_codes/{id}", discounts.retrieve_promotion_code),
            ("POST", "/v1/promotion_codes/{id}", discounts.update_promotion_code),
            ("GET", "/v1/shipping_rates", checkout.shipping_rates.list_shipping_rates),
            ("POST", "/v1/shipping_rates", checkout.shipping_rates.create_shipping_rate),
            ("GET", "/v1/shipping_rates/{id}", checkout.shipping_rates.retrieve_shipping_rate),
            ("POST", "/v1/shipping_rates/{id}", checkout.shipping_rates.update_shipping_rate),
            ("GET", "/v1/events", events.list_events),
            ("GET", "/v1/events/{id}", events.retrieve_event),
        ]
        self.routes = [(method, path) for method, path, _ in routes]
        self._routes = [
            (method, re.compile("^" + path.replace("{id}", "([^/]+)") + "$"), handler)
            for method, path, handler in routes
        ]

    def handle(self, method: str, path: str, query: str, body: str, headers) -> Response:
        request_id = new_id("req_", 14)
        try:
            _authenticate(headers.get("Authorization"))
            handler, ids = self._route(method, path)
            params = Params(parse_form(body if method == "POST" else query))
            key = headers.get("Idempotency-Key") if method == "POST" else None
            signature = (method, path, sorted(parse_qsl(body)))
            with self._transaction():
                replay = key and self._replay(key, signature)
                if replay:
                    return replay
                token = current_request.set({"id": request_id, "idempotency_key": key})
                try:
                    result = self._store.render(handler(params, *ids), params.expand())
                finally:
                    current_request.reset(token)
                response = json_response(200, result, {"Request-Id": request_id})
                if key:
                    self._remember(key, signature, response)
                return response
        except StripeError as error:
            return json_response(error.status, error.to_dict(), {"Request-Id": request_id})
        except Exception:
            logger.exception("unexpected error in %s %s", method, path)
            error = StripeError(
                "An unexpected error occurred in the Stripe simulator.", status=500, type="api_error"
            )
            return json_response(500, error.to_dict(), {"Request-Id": request_id})

    def _route(self, method: str, path: str) -> tuple[Handler, tuple[str, ...]]:
        for route_method, pattern, handler in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                return handler, match.groups()
        raise StripeError(
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
            status=404,
        )

    def _replay(self, key: str, signature: tuple) -> Response | None:
        """The saved response for a repeated key; only successful responses are saved,
        as Stripe does not save requests that failed validation."""
        saved = self._idempotent.get(key)
        if saved is None:
            return None
        _, saved_signature, response = saved
        if saved_signature != signature:
            raise StripeError(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                type="idempotency_error",
            )
        return Response(
            response.status,
            response.body,
            headers={**response.headers, "Idempotent-Replayed": "true"},
        )

    def _remember(self, key: str, signature: tuple, response: Response) -> None:
        saved_at = time.monotonic()
        while self._idempotent:
            oldest = next(iter(self._idempotent))
            if self._idempotent[oldest][0] > saved_at - _IDEMPOTENCY_TTL:
                break
            del self._idempotent[oldest]
        self._idempotent[key] = (saved_at, signature, response)


def _authenticate(authorization: str | None) -> None:
    key = _api_key(authorization or "")
    if not key:
        raise StripeError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
            status=401,
        )
    if not key.startswith("sk_test_"):
        raise StripeError(f"Invalid API Key provided: {_mask(key)}", status=401)


def _api_key(authorization: str) -> str | None:
    scheme, _, credentials = authorization.partition(" ")
    if scheme == "Bearer":
        return credentials
    if scheme == "Basic":
        # `curl -u sk_test_...:` as in Stripe's documentation.
        try:
            return base64.b64decode(credentials).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


def _mask(key: str) -> str:
    if len(key) <= 12:
        return "*" * len(key)
    return key[:8] + "*" * (len(key) - 12) + key[-4:]

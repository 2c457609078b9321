"""The simulator held to Stripe's contract as stripe-python (the version the shop pins) declares it.

Every route of the simulator's API and every event type it emits is driven over raw HTTP, so the
JSON keys themselves are checked (the SDK would hide a missing key behind an AttributeError and
accept any extra one). `contract.violations` says what the SDK's annotations require.
"""

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
import stripe

from stripe_simulator import StripeSimulator
from stripe_simulator.event_types import EVENT_TYPES

from .contract import declared_fields, resource_class, violations

API_KEY = "sk_test_contract"


def form_encode(params: dict) -> str:
    """Stripe's form encoding of nested params (``line_items[0][price]``, ``expand[]``)."""
    pairs: list[tuple[str, str]] = []

    def flatten(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                flatten(f"{prefix}[{key}]" if prefix else key, item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                flatten(f"{prefix}[{index}]", item)
        else:
            pairs.append((prefix, str(value).lower() if isinstance(value, bool) else str(value)))

    flatten("", params)
    return urllib.parse.urlencode(pairs)


class Http:
    """Raw requests to the simulator, answering (status, parsed JSON)."""

    def __init__(self, url: str):
        self.url = url

    def __call__(self, method: str, path: str, params: dict | None = None) -> tuple[int, dict]:
        encoded = form_encode(params or {})
        url = f"{self.url}{path}"
        if method != "POST" and encoded:
            url += "?" + encoded
        request = urllib.request.Request(
            url,
            data=encoded.encode() if method == "POST" else None,
            method=method,
            headers={"Authorization": f"Bearer {API_KEY}", "Stripe-Version": stripe.api_version},
        )
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read())

    def ok(self, method: str, path: str, params: dict | None = None) -> dict:
        status, body = self(method, path, params)
        assert status == 200, (method, path, body)
        return body


# The keys of a page of results, as stripe's ListObject and SearchResultObject declare them.
_PAGE_KEYS = {
    "list": ("object", "data", "has_more", "url"),
    "search_result": ("object", "data", "has_more", "next_page", "url"),
}


def checked(body: dict, expand: tuple[str, ...] = ()) -> list[str]:
    """Violations of a successful answer: a list of objects or one object."""
    if body.get("object") in _PAGE_KEYS:
        keys = _PAGE_KEYS[body["object"]]
        problems = [f"{body['object']}.{key}: not declared by stripe" for key in body if key not in keys]
        problems += [f"{body['object']}.{key}: missing" for key in keys if key not in body]
        for index, item in enumerate(body["data"]):
            item_expand = tuple(e.removeprefix("data.") for e in expand if e.startswith("data."))
            problems += violations(
                item, resource_class(item["object"]), expand=item_expand, path=f"data[{index}]"
            )
        return problems
    return violations(body, resource_class(body["object"]), expand=expand)


def error_violations(body: dict) -> list[str]:
    """Stripe's error object: declared keys only, a type and a message, a doc_url for a code."""
    error = body.get("error")
    if set(body) != {"error"} or not isinstance(error, dict):
        return [f"error body has keys {sorted(body)}"]
    declared = declared_fields(stripe.ErrorObject)
    problems = [f"error.{key}: not declared by stripe ErrorObject" for key in error if key not in declared]
    problems += [f"error.{key}: missing" for key in ("type", "message") if key not in error]
    if "code" in error and not str(error.get("doc_url", "")).endswith(error["code"].replace("_", "-")):
        problems.append(f"error.doc_url: missing or not about {error['code']}")
    return problems


@pytest.fixture(scope="module")
def sim():
    with StripeSimulator(async_settle_delay=None) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def world(sim):
    """One of everything the simulator can hold, in every state it can be in."""
    http = Http(sim.url)
    ada = http.ok("POST", "/v1/customers", {"email": "ada@example.com", "name": "Ada"})
    http.ok("POST", f"/v1/customers/{ada['id']}", {"metadata": {"vip": "yes"}})
    gone = http.ok("POST", "/v1/customers", {"email": "gone@example.com"})
    mug = http.ok("POST", "/v1/products", {"name": "Mug", "metadata": {"sku": "M1"}})
    http.ok("POST", f"/v1/products/{mug['id']}", {"description": "A mug"})
    club = http.ok("POST", "/v1/products", {"name": "Coffee club"})
    price = http.ok("POST", "/v1/prices", {"product": mug["id"], "unit_amount": 1999, "currency": "usd"})
    http.ok("POST", f"/v1/prices/{price['id']}", {"nickname": "Standard"})
    euro = http.ok("POST", "/v1/prices", {"product": mug["id"], "unit_amount": 1500, "currency": "eur"})
    sterling = http.ok("POST", "/v1/prices", {"product": mug["id"], "unit_amount": 1300, "currency": "gbp"})
    monthly = http.ok(
        "POST",
        "/v1/prices",
        {"product": club["id"], "unit_amount": 1200, "currency": "usd", "recurring": {"interval": "month"}},
    )

    def session(**params) -> dict:
        return http.ok(
            "POST",
            "/v1/checkout/sessions",
            {
                "mode": "payment",
                "line_items": [{"price": price["id"], "quantity": 2}],
                "success_url": "https://shop.test/done?session={CHECKOUT_SESSION_ID}",
                "cancel_url": "https://shop.test/cart",
                **params,
            },
        )

    shipped = session(
        shipping_address_collection={"allowed_countries": ["FR"]},
        metadata={"order": "1"},
        payment_intent_data={"metadata": {"order": "1"}},
    )
    sim.decline(shipped["id"])
    sim.pay(
        shipped["id"],
        name="Ada Lovelace",
        address={"line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"},
    )
    settled, bounced = session(), session()
    for pending in (settled, bounced):
        sim.pay_async(pending["id"])
    sim.settle_async(settled["id"])
    sim.settle_async(bounced["id"], succeeded=False)
    # Bank transfers to Stripe's account: one half funded, one funded in full; in euros and pounds.
    half_funded, funded = session(), session(line_items=[{"price": euro["id"], "quantity": 1}])
    pounds = session(line_items=[{"price": sterling["id"], "quantity": 1}])
    for transfer in (half_funded, funded, pounds):
        sim.pay_bank_transfer(transfer["id"])
    sim.fund_bank_transfer(half_funded["id"], amount=1000)
    sim.fund_bank_transfer(funded["id"])
    expired = session()
    sim.decline(expired["id"])
    sim.expire(expired["id"])
    options = session(
        allow_promotion_codes=True,
        automatic_tax={"enabled": True},
        shipping_options=[
            {
                "shipping_rate_data": {
                    "display_name": "Post",
                    "type": "fixed_amount",
                    "fixed_amount": {"amount": 500, "currency": "usd"},
                }
            }
        ],
        line_items=[
            {
                "price_data": {"currency": "usd", "unit_amount": 750, "product_data": {"name": "Poster"}},
                "quantity": 1,
            }
        ],
    )
    rate = http.ok(
        "POST",
        "/v1/shipping_rates",
        {
            "display_name": "Standard",
            "type": "fixed_amount",
            "fixed_amount": {"amount": 450, "currency": "usd"},
            "delivery_estimate": {"minimum": {"unit": "business_day", "value": 2}},
        },
    )
    http.ok("POST", f"/v1/shipping_rates/{rate['id']}", {"metadata": {"zone": "domestic"}})
    taxed = session(
        automatic_tax={"enabled": True},
        shipping_address_collection={"allowed_countries": ["GB"]},
        shipping_options=[{"shipping_rate": rate["id"]}],
    )
    sim.choose_shipping_rate(taxed["id"], rate["id"])
    sim.pay(
        taxed["id"], address={"line1": "1 High St", "city": "Bath", "postal_code": "BA1", "country": "GB"}
    )
    coupon = http.ok("POST", "/v1/coupons", {"percent_off": 10, "duration": "once", "name": "Ten"})
    repeating = http.ok(
        "POST",
        "/v1/coupons",
        {"amount_off": 300, "currency": "usd", "duration": "repeating", "duration_in_months": 3},
    )
    promotion_code = http.ok(
        "POST",
        "/v1/promotion_codes",
        {"code": "TEN", "promotion": {"type": "coupon", "coupon": coupon["id"]}},
    )
    http.ok("POST", f"/v1/promotion_codes/{promotion_code['id']}", {"metadata": {"campaign": "spring"}})
    discounted = session(allow_promotion_codes=True)
    sim.apply_promotion_code(discounted["id"], "ten")
    sim.pay(discounted["id"])
    subscribed = session(
        mode="subscription",
        line_items=[{"price": monthly["id"], "quantity": 1}],
        subscription_data={"trial_period_days": 7},
    )
    sim.pay(subscribed["id"])
    # A subscription paid at once with a one-time item beside it; one set to cancel at the period
    # end and then resumed; one canceled now.
    paid_subscription = session(
        mode="subscription",
        line_items=[{"price": monthly["id"], "quantity": 2}, {"price": price["id"], "quantity": 1}],
    )
    sim.pay(paid_subscription["id"])
    ended = session(mode="subscription", line_items=[{"price": monthly["id"], "quantity": 1}])
    sim.pay(ended["id"])
    paid_intent = http.ok("GET", f"/v1/checkout/sessions/{shipped['id']}")["payment_intent"]
    refund = http.ok(
        "POST",
        "/v1/refunds",
        {"payment_intent": paid_intent, "amount": 500, "reason": "requested_by_customer"},
    )
    sim.refund_from_dashboard(paid_intent)
    # Stripe's test cards: 3-D Secure completed and failed, a refund that fails, a dispute.
    authenticated = session()
    sim.pay(authenticated["id"], card="4000 0027 6000 3184")
    sim.authenticate(authenticated["id"], succeeded=False)
    sim.pay(authenticated["id"], card="4000002500003155")
    sim.authenticate(authenticated["id"])
    refund_fails = session()
    sim.pay(refund_fails["id"], card="4000000000005126")
    failing_intent = http.ok("GET", f"/v1/checkout/sessions/{refund_fails['id']}")["payment_intent"]
    failed_refund = http.ok("POST", "/v1/refunds", {"payment_intent": failing_intent})
    disputed = session()
    sim.pay(disputed["id"], card="4000000000000259")
    disputed_intent = http.ok("GET", f"/v1/checkout/sessions/{disputed['id']}")["payment_intent"]
    dispute = http.ok("GET", "/v1/disputes", {"payment_intent": disputed_intent})["data"][0]
    sim.close_dispute(dispute["id"], won=False)
    won = session()
    sim.pay(won["id"], card="4000000000000259")
    won_intent = http.ok("GET", f"/v1/checkout/sessions/{won['id']}")["payment_intent"]
    sim.close_dispute(http.ok("GET", "/v1/disputes", {"payment_intent": won_intent})["data"][0]["id"])
    # A product and its price that nothing used, deleted: the price in the dashboard, then the product.
    leftover = http.ok("POST", "/v1/products", {"name": "Leftover"})
    unused = http.ok("POST", "/v1/prices", {"product": leftover["id"], "unit_amount": 5, "currency": "usd"})
    sim.delete_price_from_dashboard(unused["id"])
    deleted_product = http.ok("DELETE", f"/v1/products/{leftover['id']}")
    subscription = http.ok("GET", f"/v1/checkout/sessions/{subscribed['id']}")["subscription"]
    paid_session = http.ok("GET", f"/v1/checkout/sessions/{paid_subscription['id']}")
    invoice_payment = http.ok("GET", "/v1/invoice_payments", {"invoice": paid_session["invoice"]})["data"][0]
    invoice_refund = http.ok(
        "POST", "/v1/refunds", {"payment_intent": invoice_payment["payment"]["payment_intent"], "amount": 100}
    )
    ended_subscription = http.ok("GET", f"/v1/checkout/sessions/{ended['id']}")["subscription"]
    # A test clock whose customer holds a trial, a card that declines renewals, one that asks
    # for 3-D Secure on them and a taxed subscription with a repeating coupon; forty days on, the
    # trial has ended, two renewals are stuck and one is taxed and discounted.
    frozen = 1_924_992_000
    clock = http.ok("POST", "/v1/test_helpers/test_clocks", {"frozen_time": frozen, "name": "contract"})
    on_clock = http.ok("POST", "/v1/customers", {"email": "clock@example.com", "test_clock": clock["id"]})
    in_bath = {"line1": "1 High St", "city": "Bath", "postal_code": "BA1", "country": "GB"}
    taxed_and_discounted = {
        "automatic_tax": {"enabled": True},
        "customer_update": {"address": "auto"},
        "discounts": [{"coupon": repeating["id"]}],
    }
    for card, data in (
        ("4242424242424242", {"subscription_data": {"trial_period_days": 7}}),
        ("4000009999000006", {}),
        ("4000002760003184", {}),
        ("4242424242424242", taxed_and_discounted),
    ):
        clocked = session(
            mode="subscription",
            customer=on_clock["id"],
            line_items=[{"price": monthly["id"], "quantity": 1}],
            **data,
        )
        sim.pay(clocked["id"], card=card, address=in_bath)
    advancing = http.ok(
        "POST", f"/v1/test_helpers/test_clocks/{clock['id']}/advance", {"frozen_time": frozen + 40 * 86_400}
    )
    doomed_clock = http.ok("POST", "/v1/test_helpers/test_clocks", {"frozen_time": frozen})
    # Changes on a second clock: an upgrade half way invoiced at once, a quantity change left
    # pending, and collection paused (voided, then uncollectible) over a renewal.
    big_club = http.ok(
        "POST",
        "/v1/prices",
        {"product": club["id"], "unit_amount": 2400, "currency": "usd", "recurring": {"interval": "month"}},
    )
    changes_clock = http.ok("POST", "/v1/test_helpers/test_clocks", {"frozen_time": frozen})
    on_changes_clock = http.ok(
        "POST", "/v1/customers", {"email": "changes@example.com", "test_clock": changes_clock["id"]}
    )
    changing = []
    # The last two pay with a card that declines payments made without the customer: their
    # upgrades wait as pending updates, one paid on its invoice's page, the other left to expire.
    for card in ("4242424242424242",) * 3 + ("4000009999000006",) * 2:
        made = session(
            mode="subscription",
            customer=on_changes_clock["id"],
            line_items=[{"price": monthly["id"], "quantity": 1}],
        )
        sim.pay(made["id"], card=card)
        changing.append(http.ok("GET", f"/v1/checkout/sessions/{made['id']}")["subscription"])
    http.ok(
        "POST",
        f"/v1/test_helpers/test_clocks/{changes_clock['id']}/advance",
        {"frozen_time": frozen + 15 * 86_400},
    )
    upgraded, voided, uncollectible, pending_paid, pending_expired = (
        http.ok("GET", f"/v1/subscriptions/{s}") for s in changing
    )
    upgrade = {
        "items": [{"id": upgraded["items"]["data"][0]["id"], "price": big_club["id"]}],
        "proration_behavior": "always_invoice",
    }
    for declined in (pending_paid, pending_expired):
        http.ok(
            "POST",
            f"/v1/subscriptions/{declined['id']}",
            {
                "items": [{"id": declined["items"]["data"][0]["id"], "price": big_club["id"]}],
                "proration_behavior": "always_invoice",
                "payment_behavior": "pending_if_incomplete",
            },
        )
    unpaid = http.ok("GET", f"/v1/subscriptions/{pending_paid['id']}", {"expand": ["latest_invoice"]})
    # The customer pays it on Stripe's invoice page: the update is applied.
    urllib.request.urlopen(unpaid["latest_invoice"]["hosted_invoice_url"], data=b"action=pay").close()
    for paused, behavior in ((voided, "void"), (uncollectible, "mark_uncollectible")):
        http.ok("POST", f"/v1/subscriptions/{paused['id']}", {"pause_collection": {"behavior": behavior}})
    http.ok(
        "POST",
        f"/v1/subscriptions/{voided['id']}",
        {"items": [{"id": voided["items"]["data"][0]["id"], "quantity": 2}]},
    )
    http.ok(
        "POST",
        f"/v1/test_helpers/test_clocks/{changes_clock['id']}/advance",
        {"frozen_time": frozen + 40 * 86_400},
    )
    # A portal configuration with every feature set, then changed.
    portal_configuration = http.ok(
        "POST",
        "/v1/billing_portal/configurations",
        {
            "business_profile": {
                "headline": "Plans change in the shop.",
                "privacy_policy_url": "https://shop.test/privacy/",
                "terms_of_service_url": "https://shop.test/terms/",
            },
            "default_return_url": "https://shop.test/account",
            "name": "Shop",
            "metadata": {"shop": "portal"},
            "features": {
                "customer_update": {"enabled": True, "allowed_updates": ["email", "address"]},
                "invoice_history": {"enabled": True},
                "payment_method_update": {"enabled": True},
                "subscription_cancel": {
                    "enabled": True,
                    "mode": "immediately",
                    "proration_behavior": "create_prorations",
                    "cancellation_reason": {"enabled": True, "options": ["too_expensive", "other"]},
                },
                "subscription_pause": {
                    "enabled": True,
                    "duration": {"type": "interval_options", "interval_options": [{"interval": "week"}]},
                },
                "subscription_update": {
                    "enabled": True,
                    "default_allowed_updates": ["price", "quantity"],
                    "products": [
                        {
                            "product": club["id"],
                            "prices": [monthly["id"], big_club["id"]],
                            "adjustable_quantity": {"enabled": True, "maximum": 5},
                        }
                    ],
                    "proration_behavior": "always_invoice",
                    "billing_cycle_anchor": "unchanged",
                    "schedule_at_period_end": {"conditions": [{"type": "decreasing_item_amount"}]},
                    "trial_update_behavior": "continue_trial",
                },
            },
        },
    )
    http.ok(
        "POST",
        f"/v1/billing_portal/configurations/{portal_configuration['id']}",
        {"features": {"subscription_update": {"enabled": False}}, "metadata": {"shop": ""}},
    )
    return {
        "http": http,
        "customer": ada["id"],
        "portal_configuration": portal_configuration["id"],
        "deleted_customer": gone["id"],
        "product": mug["id"],
        "deleted_product": deleted_product,
        "price": price["id"],
        "session": shipped["id"],
        "sessions": [
            shipped["id"],
            half_funded["id"],
            funded["id"],
            pounds["id"],
            settled["id"],
            bounced["id"],
            expired["id"],
            options["id"],
            discounted["id"],
            subscribed["id"],
            authenticated["id"],
            taxed["id"],
        ],
        "shipping_rate": rate["id"],
        "coupon": coupon["id"],
        "promotion_code": promotion_code["id"],
        "open_session": options["id"],
        "intent": paid_intent,
        "refund": refund["id"],
        "failed_refund": failed_refund,
        "dispute": dispute["id"],
        "subscription": subscription,
        "paid_subscription": paid_session["subscription"],
        "ended_subscription": ended_subscription,
        "invoices": [
            http.ok("GET", f"/v1/checkout/sessions/{s['id']}")["invoice"]
            for s in (subscribed, paid_subscription)
        ],
        "invoice_payment": invoice_payment,
        "invoice_refund": invoice_refund,
        "clock": clock["id"],
        "advancing": advancing,
        "doomed_clock": doomed_clock["id"],
        "upgraded": upgraded["id"],
        "upgrade": upgrade,
        "paused_invoices": [
            http.ok("GET", f"/v1/subscriptions/{s['id']}")["latest_invoice"] for s in (voided, uncollectible)
        ],
    }


def _route_answers(world: dict) -> dict[tuple[str, str], list[tuple[dict, tuple[str, ...]]]]:
    """For each route, the answers it gives (with the expand[] paths asked for)."""
    http = world["http"]
    intent = http.ok("GET", f"/v1/payment_intents/{world['intent']}")
    charge_id = intent["latest_charge"]
    event_id = http.ok("GET", "/v1/events", {"limit": 1})["data"][0]["id"]
    answers = {
        ("GET", "/v1/customers"): [(http.ok("GET", "/v1/customers"), ())],
        ("POST", "/v1/customers"): [(http.ok("POST", "/v1/customers", {"email": "new@example.com"}), ())],
        ("GET", "/v1/customers/{id}"): [(http.ok("GET", f"/v1/customers/{world['customer']}"), ())],
        ("POST", "/v1/customers/{id}"): [
            (http.ok("POST", f"/v1/customers/{world['customer']}", {"name": "Ada L."}), ())
        ],
        ("DELETE", "/v1/customers/{id}"): [
            (http.ok("DELETE", f"/v1/customers/{world['deleted_customer']}"), ()),
            (http.ok("GET", f"/v1/customers/{world['deleted_customer']}"), ()),
        ],
        ("GET", "/v1/products"): [(http.ok("GET", "/v1/products"), ())],
        ("POST", "/v1/products"): [(http.ok("POST", "/v1/products", {"name": "Tea"}), ())],
        ("GET", "/v1/products/{id}"): [(http.ok("GET", f"/v1/products/{world['product']}"), ())],
        ("POST", "/v1/products/{id}"): [
            (http.ok("POST", f"/v1/products/{world['product']}", {"name": "Big mug"}), ())
        ],
        ("DELETE", "/v1/products/{id}"): [(world["deleted_product"], ())],
        ("GET", "/v1/prices"): [
            (http.ok("GET", "/v1/prices", {"expand": ["data.product"]}), ("data.product",))
        ],
        ("GET", "/v1/prices/search"): [
            (http.ok("GET", "/v1/prices/search", {"query": f"product:'{world['product']}'"}), ())
        ],
        ("POST", "/v1/prices"): [
            (
                http.ok(
                    "POST", "/v1/prices", {"product": world["product"], "unit_amount": 5, "currency": "eur"}
                ),
                (),
            )
        ],
        ("GET", "/v1/prices/{id}"): [
            (http.ok("GET", f"/v1/prices/{world['price']}"), ()),
            (http.ok("GET", f"/v1/prices/{world['price']}", {"expand": ["product"]}), ("product",)),
        ],
        ("POST", "/v1/prices/{id}"): [
            (http.ok("POST", f"/v1/prices/{world['price']}", {"active": True}), ())
        ],
        ("GET", "/v1/checkout/sessions"): [(http.ok("GET", "/v1/checkout/sessions", {"limit": 100}), ())],
        ("POST", "/v1/checkout/sessions"): [
            (http.ok("GET", f"/v1/checkout/sessions/{world['open_session']}"), ())
        ],
        ("GET", "/v1/checkout/sessions/{id}"): [
            *[(http.ok("GET", f"/v1/checkout/sessions/{s}"), ()) for s in world["sessions"]],
            (
                http.ok(
                    "GET",
                    f"/v1/checkout/sessions/{world['session']}",
                    {"expand": ["line_items", "payment_intent.latest_charge", "customer"]},
                ),
                ("line_items", "payment_intent", "payment_intent.latest_charge", "customer"),
            ),
            (
                http.ok(
                    "GET",
                    f"/v1/checkout/sessions/{world['open_session']}",
                    {"expand": ["shipping_options.shipping_rate"]},
                ),
                ("shipping_options.shipping_rate",),
            ),
        ],
        ("POST", "/v1/checkout/sessions/{id}/expire"): [
            (http.ok("POST", f"/v1/checkout/sessions/{_open_session(http, world)}/expire"), ())
        ],
        ("GET", "/v1/checkout/sessions/{id}/line_items"): [
            (http.ok("GET", f"/v1/checkout/sessions/{s}/line_items"), ()) for s in world["sessions"]
        ],
        ("GET", "/v1/payment_intents"): [(http.ok("GET", "/v1/payment_intents", {"limit": 100}), ())],
        ("GET", "/v1/payment_intents/{id}"): [(intent, ())],
        ("GET", "/v1/charges/{id}"): [
            (http.ok("GET", f"/v1/charges/{charge_id}"), ()),
            (http.ok("GET", f"/v1/charges/{charge_id}", {"expand": ["refunds"]}), ("refunds",)),
        ],
        ("GET", "/v1/refunds"): [
            (http.ok("GET", "/v1/refunds", {"payment_intent": world["intent"]}), ()),
        ],
        ("POST", "/v1/refunds"): [
            (http.ok("GET", f"/v1/refunds/{world['refund']}"), ()),
            (world["failed_refund"], ()),
        ],
        ("GET", "/v1/refunds/{id}"): [
            (http.ok("GET", f"/v1/refunds/{world['refund']}"), ()),
            (http.ok("GET", f"/v1/refunds/{world['failed_refund']['id']}"), ()),
        ],
        ("GET", "/v1/disputes"): [(http.ok("GET", "/v1/disputes"), ())],
        ("GET", "/v1/disputes/{id}"): [(http.ok("GET", f"/v1/disputes/{world['dispute']}"), ())],
        ("GET", "/v1/subscriptions/{id}"): [
            (http.ok("GET", f"/v1/subscriptions/{world['subscription']}"), ()),
            (
                http.ok(
                    "GET", f"/v1/subscriptions/{world['paid_subscription']}", {"expand": ["latest_invoice"]}
                ),
                ("latest_invoice",),
            ),
        ],
        ("POST", "/v1/subscriptions/{id}"): [
            (
                http.ok(
                    "POST",
                    f"/v1/subscriptions/{world['paid_subscription']}",
                    {"cancel_at_period_end": True, "cancellation_details": {"feedback": "too_expensive"}},
                ),
                (),
            ),
            (
                http.ok(
                    "POST",
                    f"/v1/subscriptions/{world['paid_subscription']}",
                    {"cancel_at_period_end": False, "metadata": {"gift": "no"}},
                ),
                (),
            ),
            (http.ok("POST", f"/v1/subscriptions/{world['upgraded']}", world["upgrade"]), ()),
            (
                http.ok(
                    "POST",
                    f"/v1/subscriptions/{world['upgraded']}",
                    {"pause_collection": {"behavior": "keep_as_draft", "resumes_at": 2_100_000_000}},
                ),
                (),
            ),
        ],
        ("GET", "/v1/subscription_items"): [
            (http.ok("GET", "/v1/subscription_items", {"subscription": world["upgraded"]}), ())
        ],
        ("GET", "/v1/subscription_items/{id}"): [
            (http.ok("GET", f"/v1/subscription_items/{world['upgrade']['items'][0]['id']}"), ())
        ],
        ("POST", "/v1/subscription_items/{id}"): [
            (
                http.ok(
                    "POST",
                    f"/v1/subscription_items/{world['upgrade']['items'][0]['id']}",
                    {"quantity": 2, "proration_behavior": "none"},
                ),
                (),
            )
        ],
        ("POST", "/v1/invoices/create_preview"): [
            (
                http.ok(
                    "POST",
                    "/v1/invoices/create_preview",
                    {"subscription": world["upgraded"], "subscription_details": world["upgrade"]},
                ),
                (),
            ),
            (
                http.ok(
                    "POST",
                    "/v1/invoices/create_preview",
                    {
                        "subscription": world["upgraded"],
                        "subscription_details": {"items": world["upgrade"]["items"]},
                    },
                ),
                (),
            ),
        ],
        ("DELETE", "/v1/subscriptions/{id}"): [
            (
                http.ok(
                    "DELETE",
                    f"/v1/subscriptions/{world['ended_subscription']}",
                    {"cancellation_details": {"comment": "Moving abroad"}},
                ),
                (),
            )
        ],
        ("GET", "/v1/subscriptions"): [
            (http.ok("GET", "/v1/subscriptions", {"status": "all", "limit": 100}), ()),
            (http.ok("GET", "/v1/subscriptions", {"status": "canceled"}), ()),
        ],
        ("GET", "/v1/invoices"): [
            (http.ok("GET", "/v1/invoices", {"limit": 100}), ()),
            (http.ok("GET", "/v1/invoices", {"expand": ["data.payments"]}), ("data.payments",)),
        ],
        ("GET", "/v1/invoices/{id}"): [
            *[
                (http.ok("GET", f"/v1/invoices/{i}"), ())
                for i in world["invoices"] + world["paused_invoices"]
            ],
            *[
                (
                    http.ok("GET", f"/v1/invoices/{i}", {"expand": ["payments", "customer"]}),
                    ("payments", "customer"),
                )
                for i in world["invoices"]
            ],
        ],
        ("GET", "/v1/invoices/{id}/lines"): [
            (http.ok("GET", f"/v1/invoices/{i}/lines"), ()) for i in world["invoices"]
        ],
        ("GET", "/v1/invoice_payments"): [
            (http.ok("GET", "/v1/invoice_payments", {"limit": 100}), ()),
            (
                http.ok(
                    "GET",
                    "/v1/invoice_payments",
                    {
                        "payment": {
                            "type": "payment_intent",
                            "payment_intent": world["invoice_payment"]["payment"]["payment_intent"],
                        }
                    },
                ),
                (),
            ),
        ],
        ("GET", "/v1/invoice_payments/{id}"): [
            (http.ok("GET", f"/v1/invoice_payments/{world['invoice_payment']['id']}"), ()),
            (
                http.ok(
                    "GET",
                    f"/v1/invoice_payments/{world['invoice_payment']['id']}",
                    {"expand": ["invoice", "payment.payment_intent"]},
                ),
                ("invoice", "payment.payment_intent"),
            ),
        ],
        ("POST", "/v1/billing_portal/sessions"): [
            (
                http.ok(
                    "POST",
                    "/v1/billing_portal/sessions",
                    {"customer": world["customer"], "return_url": "https://shop.test/account"},
                ),
                (),
            ),
            (http.ok("POST", "/v1/billing_portal/sessions", {"customer": world["customer"]}), ()),
            (
                http.ok(
                    "POST",
                    "/v1/billing_portal/sessions",
                    {
                        "customer": world["customer"],
                        "configuration": world["portal_configuration"],
                        "expand": ["configuration"],
                    },
                ),
                ("configuration",),
            ),
        ],
        ("GET", "/v1/billing_portal/configurations"): [
            (http.ok("GET", "/v1/billing_portal/configurations"), ()),
            (http.ok("GET", "/v1/billing_portal/configurations", {"is_default": True, "active": True}), ()),
        ],
        ("POST", "/v1/billing_portal/configurations"): [
            (
                http.ok(
                    "POST",
                    "/v1/billing_portal/configurations",
                    {"features": {"invoice_history": {"enabled": True}}},
                ),
                (),
            )
        ],
        ("GET", "/v1/billing_portal/configurations/{id}"): [
            (http.ok("GET", f"/v1/billing_portal/configurations/{world['portal_configuration']}"), ())
        ],
        ("POST", "/v1/billing_portal/configurations/{id}"): [
            (
                http.ok(
                    "POST",
                    f"/v1/billing_portal/configurations/{world['portal_configuration']}",
                    {"active": False, "business_profile": {"headline": ""}, "default_return_url": ""},
                ),
                (),
            )
        ],
        ("GET", "/v1/test_helpers/test_clocks"): [(http.ok("GET", "/v1/test_helpers/test_clocks"), ())],
        ("POST", "/v1/test_helpers/test_clocks"): [
            (http.ok("POST", "/v1/test_helpers/test_clocks", {"frozen_time": 1_924_992_000}), ())
        ],
        ("GET", "/v1/test_helpers/test_clocks/{id}"): [
            (http.ok("GET", f"/v1/test_helpers/test_clocks/{world['clock']}"), ())
        ],
        ("POST", "/v1/test_helpers/test_clocks/{id}/advance"): [(world["advancing"], ())],
        ("DELETE", "/v1/test_helpers/test_clocks/{id}"): [
            (http.ok("DELETE", f"/v1/test_helpers/test_clocks/{world['doomed_clock']}"), ()),
            (http.ok("GET", f"/v1/test_helpers/test_clocks/{world['doomed_clock']}"), ()),
        ],
        ("GET", "/v1/coupons"): [(http.ok("GET", "/v1/coupons"), ())],
        ("POST", "/v1/coupons"): [(http.ok("POST", "/v1/coupons", {"percent_off": 12.5}), ())],
        ("GET", "/v1/coupons/{id}"): [(http.ok("GET", f"/v1/coupons/{world['coupon']}"), ())],
        ("GET", "/v1/promotion_codes"): [
            (http.ok("GET", "/v1/promotion_codes", {"code": "ten"}), ()),
            (
                http.ok("GET", "/v1/promotion_codes", {"expand": ["data.promotion.coupon"]}),
                ("data.promotion.coupon",),
            ),
        ],
        ("POST", "/v1/promotion_codes"): [
            (
                http.ok(
                    "POST",
                    "/v1/promotion_codes",
                    {"promotion": {"type": "coupon", "coupon": world["coupon"]}, "max_redemptions": 5},
                ),
                (),
            )
        ],
        ("GET", "/v1/promotion_codes/{id}"): [
            (http.ok("GET", f"/v1/promotion_codes/{world['promotion_code']}"), ())
        ],
        ("POST", "/v1/promotion_codes/{id}"): [
            (http.ok("POST", f"/v1/promotion_codes/{world['promotion_code']}", {"active": True}), ())
        ],
        ("GET", "/v1/shipping_rates"): [(http.ok("GET", "/v1/shipping_rates", {"active": True}), ())],
        ("POST", "/v1/shipping_rates"): [
            (
                http.ok(
                    "POST",
                    "/v1/shipping_rates",
                    {
                        "display_name": "Free",
                        "type": "fixed_amount",
                        "fixed_amount": {"amount": 0, "currency": "eur"},
                    },
                ),
                (),
            )
        ],
        ("GET", "/v1/shipping_rates/{id}"): [
            (http.ok("GET", f"/v1/shipping_rates/{world['shipping_rate']}"), ())
        ],
        ("POST", "/v1/shipping_rates/{id}"): [
            (http.ok("POST", f"/v1/shipping_rates/{world['shipping_rate']}", {"active": False}), ())
        ],
        ("GET", "/v1/events"): [(http.ok("GET", "/v1/events", {"limit": 100}), ())],
        ("GET", "/v1/events/{id}"): [(http.ok("GET", f"/v1/events/{event_id}"), ())],
    }
    return answers


def _open_session(http: Http, world: dict) -> str:
    return http.ok(
        "POST",
        "/v1/checkout/sessions",
        {
            "mode": "payment",
            "line_items": [{"price": world["price"], "quantity": 1}],
            "success_url": "https://shop.test/",
        },
    )["id"]


def all_events(http: Http) -> list[dict]:
    events, params = [], {"limit": 100}
    while True:
        page = http.ok("GET", "/v1/events", params)
        events += page["data"]
        if not page["has_more"]:
            return events
        params = {"limit": 100, "starting_after": page["data"][-1]["id"]}


def test_every_route_answers_what_the_sdk_declares(sim, world):
    answers = _route_answers(world)
    assert set(answers) == set(sim.routes), "each route of the simulator needs a contract check here"
    problems = [
        f"{method} {path}: {problem}"
        for (method, path), bodies in answers.items()
        for body, expand in bodies
        for problem in checked(body, expand)
    ]
    assert problems == []


def test_every_event_carries_what_the_sdk_declares(world):
    events = all_events(world["http"])
    assert {event["type"] for event in events} == EVENT_TYPES, "each event type needs a scenario in `world`"
    problems = []
    for event in events:
        where = f"{event['type']} {event['id']}"
        problems += [f"{where}: {p}" for p in violations(event, stripe.Event)]
        obj = event["data"]["object"]
        cls = resource_class(obj["object"])
        problems += [f"{where}: {p}" for p in violations(obj, cls, path=f"data.object({obj['object']})")]
        undeclared = set(event["data"].get("previous_attributes", {})) - set(declared_fields(cls))
        problems += [f"{where}: previous_attributes.{key}: not declared" for key in sorted(undeclared)]
    assert problems == []


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "/v1/prices/price_missing", {}),
        ("POST", "/v1/checkout/sessions", {"mode": "payment", "bogus": "1"}),
        ("POST", "/v1/checkout/sessions", {"mode": "payment"}),
        ("GET", "/v1/nowhere", {}),
        ("POST", "/v1/refunds", {"payment_intent": "pi_missing"}),
        ("POST", "/v1/billing_portal/sessions", {"customer": "cus_missing", "configuration": "bpc_missing"}),
        ("POST", "/v1/billing_portal/configurations", {"features": {"invoice_history": {}}}),
        ("GET", "/v1/billing_portal/configurations/bpc_missing", {}),
    ],
)
def test_errors_are_stripe_error_objects(world, method, path, params):
    status, body = world["http"](method, path, params)
    assert status >= 400
    assert error_violations(body) == []

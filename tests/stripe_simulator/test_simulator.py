"""The Stripe simulator, driven through the real stripe SDK over HTTP.

No Django and no database: a simulator and a tiny webhook receiver run in
this process, and the receiver checks every signature with
stripe.Webhook.construct_event as the shop does.
"""

import datetime
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from stripe_simulator import StripeSimulator
from stripe_simulator.errors import StripeError
from stripe_simulator.params import Params, parse_form
from stripe_simulator.subscriptions import add_interval

SECRET = "whsec_test_secret"


class WebhookReceiver(ThreadingHTTPServer):
    """Records the events it receives; answers `failures` first, then 200."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.events: list[stripe.Event] = []
        self.signature_errors: list[str] = []
        self.failures: list[int] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/webhook/"

    def types(self) -> list[str]:
        with self.lock:
            return [event.type for event in self.events]

    def of_type(self, event_type: str) -> list[stripe.Event]:
        with self.lock:
            return [event for event in self.events if event.type == event_type]


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def do_POST(self):
        payload = self.rfile.read(int(self.headers["Content-Length"])).decode()
        with self.server.lock:
            status = self.server.failures.pop(0) if self.server.failures else 200
            if status == 200:
                try:
                    event = stripe.Webhook.construct_event(payload, self.headers["Stripe-Signature"], SECRET)
                except stripe.SignatureVerificationError as error:
                    self.server.signature_errors.append(str(error))
                    status = 400
                else:
                    self.server.events.append(event)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()
    assert server.signature_errors == []


@pytest.fixture
def sim(receiver):
    with StripeSimulator(
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        retry_delays=(0.01, 0.02, 0.04),
        async_settle_delay=None,
    ) as simulator:
        yield simulator


@pytest.fixture
def client(sim):
    return stripe.StripeClient("sk_test_simulated", base_addresses={"api": sim.url}, max_network_retries=0)


@pytest.fixture
def catalog(client):
    """A mug (19.99), a sticker (5.00), a euro poster and a monthly subscription."""
    mug = client.v1.products.create(params={"id": "prod_mug", "name": "Mug"})
    sticker = client.v1.products.create(params={"name": "Sticker"})
    club = client.v1.products.create(params={"name": "Coffee club"})

    def price(product, amount, currency="usd", **extra):
        params = {"product": product.id, "unit_amount": amount, "currency": currency, **extra}
        return client.v1.prices.create(params=params)

    return {
        "mug": price(mug, 1999),
        "sticker": price(sticker, 500),
        "poster_eur": price(sticker, 900, "eur"),
        "monthly": price(club, 1200, recurring={"interval": "month"}),
    }


def create_session(client, line_items, **params):
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": line_items,
            "success_url": "https://shop.test/done?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://shop.test/cart",
            **params,
        }
    )


@pytest.fixture
def order(client, catalog):
    """An open payment session: 2 x 19.99 + 1 x 5.00."""
    return create_session(
        client,
        [{"price": catalog["mug"].id, "quantity": 2}, {"price": catalog["sticker"].id, "quantity": 1}],
        metadata={"order": "42"},
        payment_intent_data={"metadata": {"order": "42"}},
    )


def post(url, data=None):
    """POST form data without following redirects; returns (status, headers, body)."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data or {}).encode(), method="POST")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url):
    with urllib.request.urlopen(url) as response:
        return response.read().decode()


def test_products_and_prices_are_created_updated_and_listed(client, catalog):
    assert catalog["mug"].type == "one_time"
    assert catalog["monthly"].type == "recurring"
    assert catalog["monthly"].recurring.interval == "month"

    prices = client.v1.prices.list(params={"product": "prod_mug"})
    assert [p.unit_amount for p in prices.data] == [1999]

    first = client.v1.products.list(params={"limit": 2})
    assert first.has_more is True
    rest = client.v1.products.list(params={"limit": 2, "starting_after": first.data[-1].id})
    assert rest.has_more is False
    names = [p.name for p in first.data + rest.data]
    assert names == ["Coffee club", "Sticker", "Mug"]  # newest first
    assert len(list(client.v1.products.list(params={"limit": 1}).auto_paging_iter())) == 3

    product = client.v1.products.update("prod_mug", params={"active": False, "metadata": {"sku": "M1"}})
    assert (product.active, product.metadata.to_dict()) == (False, {"sku": "M1"})
    assert [p.id for p in client.v1.products.list(params={"active": False}).data] == ["prod_mug"]

    price = client.v1.prices.update(catalog["sticker"].id, params={"nickname": "Small", "active": False})
    assert (price.nickname, price.active, price.unit_amount) == ("Small", False, 500)


def test_price_amount_cannot_change(client, catalog):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.prices.update(catalog["mug"].id, params={"unit_amount": 100})
    assert raised.value.code == "parameter_unknown"
    assert "Received unknown parameter: unit_amount" in raised.value.user_message


def test_paid_session_delivers_signed_events_in_order(sim, client, order, receiver):
    assert order.amount_total == 4498
    assert order.url == f"{sim.url}/checkout/{order.id}"
    lines = client.v1.checkout.sessions.line_items.list(order.id)
    assert [(line.quantity, line.amount_total, line.price.unit_amount) for line in lines.data] == [
        (2, 3998, 1999),
        (1, 500, 500),
    ]

    status, _, body = post(f"{sim.url}/_simulator/checkout/{order.id}/pay", {"email": "ada@example.com"})
    assert status == 200
    assert json.loads(body)["status"] == "complete"
    sim.wait_for_deliveries(timeout=5)

    assert receiver.types()[-4:] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    completed = receiver.of_type("checkout.session.completed")[0].data.object
    assert (completed.amount_total, completed.payment_status) == (4498, "paid")
    assert completed.customer_details.email == "ada@example.com"
    assert completed.metadata.order == "42"

    session = client.v1.checkout.sessions.retrieve(
        order.id, params={"expand": ["payment_intent.latest_charge"]}
    )
    intent = session.payment_intent
    assert (intent.status, intent.amount_received, intent.metadata.order) == ("succeeded", 4498, "42")
    assert intent.latest_charge.paid is True
    found = client.v1.checkout.sessions.list(params={"payment_intent": intent.id})
    assert [s.id for s in found.data] == [order.id]

    events = client.v1.events.list(params={"type": "checkout.session.completed"})
    assert [e.data.object.id for e in events.data] == [order.id]
    assert all(event.pending_webhooks == 0 for event in events.data)


def test_hosted_page_shows_the_order_and_pays(sim, order):
    page = get(order.url)
    assert "Simulated Stripe Checkout — test mode" in page
    for action in ("pay", "decline", "pay_async"):
        assert f'name="action" value="{action}"' in page
    assert "$44.98" in page
    assert 'name="email"' in page

    status, headers, _ = post(order.url, {"action": "pay", "email": "ada@example.com"})
    assert status == 303
    assert headers["Location"] == f"https://shop.test/done?session={order.id}"
    assert "Your payment is complete." in get(order.url)


def test_decline_keeps_the_session_open(sim, client, order, receiver):
    status, _, page = post(order.url, {"action": "decline", "email": "ada@example.com"})
    assert status == 200
    assert "Your card was declined." in page
    sim.wait_for_deliveries(timeout=5)

    session = client.v1.checkout.sessions.retrieve(order.id, params={"expand": ["payment_intent"]})
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert session.payment_intent.status == "requires_payment_method"
    failed = receiver.of_type("payment_intent.payment_failed")[0].data.object
    assert failed.last_payment_error.code == "card_declined"
    assert "checkout.session.completed" not in receiver.types()

    sim.pay(order.id)  # a second try with a good card succeeds on the same intent
    assert client.v1.payment_intents.retrieve(session.payment_intent.id).status == "succeeded"


def test_bank_transfer_that_clears(sim, client, order, receiver):
    session = sim.pay_async(order.id)
    assert (session["status"], session["payment_status"]) == ("complete", "unpaid")
    assert client.v1.payment_intents.retrieve(session["payment_intent"]).status == "processing"

    sim.settle_async(order.id, succeeded=True)
    sim.wait_for_deliveries(timeout=5)
    assert client.v1.checkout.sessions.retrieve(order.id).payment_status == "paid"
    types = receiver.types()
    assert types.index("checkout.session.completed") < types.index("checkout.session.async_payment_succeeded")
    assert "payment_intent.succeeded" in types


def test_a_bank_transfer_to_stripe_waits_with_its_instructions_until_funded(sim, client, order, receiver):
    sim.pay_bank_transfer(order.id, email="ada@example.com")

    session = client.v1.checkout.sessions.retrieve(order.id, params={"expand": ["payment_intent"]})
    intent = session.payment_intent
    assert (session.status, session.payment_status) == ("complete", "unpaid")
    assert intent.status == "requires_action"
    assert session.customer, "a bank transfer needs a customer: Checkout makes one"
    assert intent.next_action.type == "display_bank_transfer_instructions"
    instructions = intent.next_action.display_bank_transfer_instructions
    assert (instructions.amount_remaining, instructions.currency, instructions.type) == (
        4498,
        "usd",
        "us_bank_transfer",
    )
    assert instructions.reference
    assert [address.type for address in instructions.financial_addresses] == ["aba", "swift"]
    assert instructions.financial_addresses[0].aba.routing_number

    status, _, _ = post(f"{sim.url}/_simulator/checkout/{order.id}/fund_bank_transfer", {"amount": "1000"})

    assert status == 200
    waiting = client.v1.payment_intents.retrieve(intent.id)
    assert waiting.status == "requires_action"
    assert waiting.next_action.display_bank_transfer_instructions.amount_remaining == 3498
    page = get(instructions.hosted_instructions_url)
    assert "$34.98" in page
    assert instructions.reference in page

    status, _, page = post(instructions.hosted_instructions_url, {"amount": "3498"})

    assert "Transfer received." in page
    sim.wait_for_deliveries(timeout=5)
    paid = client.v1.checkout.sessions.retrieve(order.id, params={"expand": ["payment_intent.latest_charge"]})
    assert (paid.payment_status, paid.payment_intent.status, paid.payment_intent.next_action) == (
        "paid",
        "succeeded",
        None,
    )
    assert paid.payment_intent.latest_charge.payment_method_details.type == "customer_balance"
    assert receiver.types()[-6:] == [
        "payment_intent.requires_action",
        "checkout.session.completed",
        "payment_intent.partially_funded",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.async_payment_succeeded",
    ]


def test_bank_transfer_that_fails(sim, client, order, receiver):
    status, _, _ = post(order.url, {"action": "pay_async", "email": "ada@example.com"})
    assert status == 303
    post(f"{sim.url}/_simulator/checkout/{order.id}/async_fail")
    sim.wait_for_deliveries(timeout=5)

    session = client.v1.checkout.sessions.retrieve(order.id, params={"expand": ["payment_intent"]})
    assert (session.status, session.payment_status) == ("complete", "unpaid")
    assert session.payment_intent.status == "requires_payment_method"
    assert "checkout.session.async_payment_failed" in receiver.types()
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"payment_intent": session.payment_intent.id})


def test_bank_transfer_clears_by_itself_after_the_delay(client, catalog):
    with StripeSimulator(async_settle_delay=0.05) as quick:
        quick_client = stripe.StripeClient("sk_test_x", base_addresses={"api": quick.url})
        product = quick_client.v1.products.create(params={"name": "Mug"})
        price = quick_client.v1.prices.create(
            params={"product": product.id, "unit_amount": 1999, "currency": "eur"}
        )
        session = create_session(quick_client, [{"price": price.id, "quantity": 1}])
        quick.pay_async(session.id)
        deadline = time.monotonic() + 5
        while quick_client.v1.checkout.sessions.retrieve(session.id).payment_status != "paid":
            assert time.monotonic() < deadline
            time.sleep(0.02)


def test_expire(sim, client, order, receiver):
    expired = client.v1.checkout.sessions.expire(order.id)
    assert expired.status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(order.id)
    sim.wait_for_deliveries(timeout=5)
    assert "checkout.session.expired" in receiver.types()
    page = get(order.url)
    assert "expired" in page
    assert 'value="pay"' not in page


def test_subscription_with_trial_creates_customer_and_subscription(sim, client, catalog, receiver):
    session = create_session(
        client,
        [{"price": catalog["monthly"].id, "quantity": 1}],
        mode="subscription",
        subscription_data={"trial_period_days": 14, "metadata": {"plan": "club"}},
    )
    assert session.amount_total == 0
    assert "Subscribe" in get(session.url)

    paid = sim.pay(session.id, email="grace@example.com")
    assert (paid["status"], paid["payment_status"]) == ("complete", "no_payment_required")
    subscription = client.v1.subscriptions.retrieve(paid["subscription"])
    assert subscription.status == "trialing"
    assert subscription.customer == paid["customer"]
    assert subscription.metadata.plan == "club"
    assert abs(subscription.trial_end - (time.time() + 14 * 86400)) < 60
    assert subscription["items"].data[0].price.id == catalog["monthly"].id
    assert client.v1.customers.retrieve(paid["customer"]).email == "grace@example.com"

    sim.wait_for_deliveries(timeout=5)
    types = receiver.types()
    assert types.index("customer.created") < types.index("customer.subscription.created")
    assert types.index("customer.subscription.created") < types.index("checkout.session.completed")


def test_subscription_without_trial_is_active_and_paid(sim, client, catalog):
    session = create_session(client, [{"price": catalog["monthly"].id, "quantity": 2}], mode="subscription")
    paid = sim.pay(session.id)
    assert (paid["payment_status"], paid["amount_total"]) == ("paid", 2400)
    assert client.v1.subscriptions.retrieve(paid["subscription"]).status == "active"


def page_text(url):
    return " ".join(re.sub(r"<[^>]+>", " ", get(url)).split())


def stripe_date(day):
    return f"{day:%B} {day.day}, {day.year}"


def test_the_hosted_page_says_what_is_due_today_and_what_follows_after_a_trial(client, catalog):
    session = create_session(
        client,
        [{"price": catalog["mug"].id, "quantity": 1}, {"price": catalog["monthly"].id, "quantity": 1}],
        mode="subscription",
        subscription_data={"trial_period_days": 14},
    )
    trial_end = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=14)

    page = page_text(session.url)

    assert "Total due today $19.99" in page
    assert f"Then $12.00 per month starting {stripe_date(trial_end)}" in page
    assert "free trial)" not in page


def test_the_hosted_page_of_a_subscription_without_trial_says_when_the_next_charge_is(client, catalog):
    quarterly = client.v1.prices.create(
        params={
            "product": catalog["monthly"].product,
            "unit_amount": 3000,
            "currency": "usd",
            "recurring": {"interval": "month", "interval_count": 3},
        }
    )
    session = create_session(
        client,
        [{"price": catalog["mug"].id, "quantity": 1}, {"price": quarterly.id, "quantity": 2}],
        mode="subscription",
    )
    created = datetime.datetime.fromtimestamp(session.created, datetime.UTC)
    next_charge = datetime.datetime.fromtimestamp(
        add_interval(session.created, "month", 3), datetime.UTC
    ).date()

    page = page_text(session.url)

    assert "Total due today $79.99" in page
    assert f"Then $60.00 every 3 months starting {stripe_date(next_charge)}" in page
    assert created.date() < next_charge


def test_a_payment_page_has_no_recurring_note(client, order):
    page = page_text(order.url)
    assert "Total $44.98" in page
    assert "Then " not in page


def test_refunds_partial_then_full_then_too_much(sim, client, order, receiver):
    intent_id = sim.pay(order.id)["payment_intent"]

    partial = client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 1000})
    assert (partial.status, partial.amount) == ("succeeded", 1000)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 3499})
    assert raised.value.code == "amount_too_large"
    assert "($34.99) is greater than unrefunded amount on charge ($34.98)" in raised.value.user_message

    rest = client.v1.refunds.create(params={"payment_intent": intent_id})
    assert rest.amount == 3498
    charge_id = client.v1.payment_intents.retrieve(intent_id).latest_charge
    charge = client.v1.charges.retrieve(charge_id)
    assert (charge.amount_refunded, charge.refunded) == (4498, True)
    assert "refunds" not in charge  # sent only when expanded since API version 2022-11-15
    expanded = client.v1.charges.retrieve(charge_id, params={"expand": ["refunds"]})
    assert [r.amount for r in expanded.refunds.data] == [3498, 1000]
    listed = client.v1.refunds.list(params={"payment_intent": intent_id})
    assert [r.id for r in listed.data] == [rest.id, partial.id]

    sim.wait_for_deliveries(timeout=5)
    assert receiver.types().count("charge.refunded") == 2
    assert all("refunds" not in event.data.object for event in receiver.of_type("charge.refunded"))
    updated = receiver.of_type("refund.updated")[-1]
    assert updated.data.object.status == "succeeded"


def test_refund_from_the_dashboard_emits_events(sim, client, order, receiver):
    intent_id = sim.pay(order.id)["payment_intent"]
    refund = sim.refund_from_dashboard(intent_id, 500)
    assert refund["amount"] == 500
    sim.wait_for_deliveries(timeout=5)
    event = receiver.of_type("charge.refunded")[0]
    assert event.data.object.amount_refunded == 500
    assert event.request.id is None


def test_refund_of_unpaid_intent_is_rejected(sim, client, order):
    intent_id = sim.decline(order.id)["payment_intent"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"payment_intent": intent_id})


def test_idempotent_replay_and_conflict(sim, client, receiver):
    first = client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "k1"})
    again = client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "k1"})
    assert again.id == first.id
    assert len(client.v1.customers.list().data) == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(params={"email": "b@example.com"}, options={"idempotency_key": "k1"})
    sim.wait_for_deliveries(timeout=5)
    assert receiver.types() == ["customer.created"]
    assert receiver.events[0].request.idempotency_key == "k1"


def test_unknown_ids_and_paths(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.prices.retrieve("price_missing")
    assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")
    assert raised.value.user_message == "No such price: 'price_missing'"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.retrieve("cs_test_missing")
    assert raised.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.raw_request("get", "/v1/nothing_here")
    assert raised.value.http_status == 404


@pytest.mark.parametrize(
    ("line_items", "extra", "param"),
    [
        ([{"price": "price_missing", "quantity": 1}], {}, "line_items[0][price]"),
        (
            [{"price": "mug", "quantity": 1}, {"price": "poster_eur", "quantity": 1}],
            {},
            "line_items[1][price]",
        ),
        ([{"price": "monthly", "quantity": 1}], {}, "line_items[0][price]"),
        ([{"price": "mug", "quantity": 1}], {"mode": "subscription"}, "line_items"),
        ([{"price": "mug", "quantity": 0}], {}, "line_items[0][quantity]"),
    ],
    ids=["unknown price", "mixed currencies", "recurring in payment mode", "no recurring", "quantity 0"],
)
def test_session_validation(client, catalog, line_items, extra, param):
    for item in line_items:
        item["price"] = catalog[item["price"]].id if item["price"] in catalog else item["price"]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(client, line_items, **extra)
    assert raised.value.http_status == 400
    assert raised.value.param == param


def test_parameter_errors(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.products.create(params={})
    assert (raised.value.code, raised.value.param) == ("parameter_missing", "name")
    product = client.v1.products.create(params={"name": "Mug"})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.prices.create(params={"product": product.id, "unit_amount": "19.99", "currency": "usd"})
    assert raised.value.code == "parameter_invalid_integer"


def test_authentication_is_required(sim):
    for key in ("pk_test_public", "sk_live_real"):
        bad = stripe.StripeClient(key, base_addresses={"api": sim.url}, max_network_retries=0)
        with pytest.raises(stripe.AuthenticationError):
            bad.v1.customers.list()


def test_failed_deliveries_are_retried_until_accepted(sim, client, receiver):
    receiver.failures = [500, 500]
    customer = client.v1.customers.create(params={"email": "a@example.com"})
    sim.wait_for_deliveries(timeout=5)
    attempts = [a for a in sim.delivery_attempts if a.event_type == "customer.created"]
    assert [(a.attempt, a.status_code) for a in attempts] == [(1, 500), (2, 500), (3, 200)]
    assert receiver.of_type("customer.created")[0].data.object.id == customer.id


def test_delivery_gives_up_after_the_last_retry(client):
    with StripeSimulator(webhook_url="http://127.0.0.1:9/unreachable", retry_delays=(0.01,)) as lonely:
        lonely_client = stripe.StripeClient("sk_test_x", base_addresses={"api": lonely.url})
        lonely_client.v1.customers.create(params={"email": "a@example.com"})
        lonely.wait_for_deliveries(timeout=5)
        attempts = lonely.delivery_attempts
    assert [(a.attempt, a.status_code) for a in attempts] == [(1, None), (2, None)]
    assert all(a.error for a in attempts)


def test_unruly_delivery_reorders_and_repeats_events_and_retries_longer(receiver):
    with StripeSimulator(
        webhook_url=receiver.url, webhook_secret=SECRET, delivery="unruly", delivery_seed=7
    ) as unruly:
        unruly_client = stripe.StripeClient("sk_test_x", base_addresses={"api": unruly.url})
        created = [
            unruly_client.v1.customers.create(params={"email": f"c{n}@example.com"}) for n in range(12)
        ]
        unruly.wait_for_deliveries(timeout=5)
        received = [event.data.object.id for event in receiver.events]

    # Every event arrives, some of them twice (as the same event), not in the order they happened.
    assert set(received) == {customer.id for customer in created}
    assert len(received) > len(created)
    first_arrivals = list(dict.fromkeys(received))
    assert first_arrivals != [customer.id for customer in created]

    with StripeSimulator(
        webhook_url="http://127.0.0.1:9/unreachable", retry_delays=(0.01,), delivery="unruly", delivery_seed=1
    ) as lonely:
        stripe.StripeClient("sk_test_x", base_addresses={"api": lonely.url}).v1.customers.create(
            params={"email": "a@example.com"}
        )
        lonely.wait_for_deliveries(timeout=5)
        attempts = lonely.delivery_attempts
    # Three times as many attempts as the two of the ordered mode (see the test above).
    assert max(a.attempt for a in attempts) == 6
    with pytest.raises(ValueError, match="delivery must be one of"):
        StripeSimulator(delivery="shuffled")


def test_form_parsing_keeps_nesting_and_order():
    form = parse_form("line_items[1][price]=b&line_items[0][price]=a&expand[]=x&expand[]=y&metadata[0]=zero")
    params = Params(form)
    assert [item.string("price") for item in params.hashes("line_items")] == ["a", "b"]
    assert params.expand() == ["x", "y"]
    assert params.metadata() == {"0": "zero"}


def test_customers_crud(sim, client, receiver):
    ada = client.v1.customers.create(params={"email": "ada@example.com", "name": "Ada"})
    client.v1.customers.create(params={"email": "bob@example.com"})
    updated = client.v1.customers.update(ada.id, params={"name": "Ada L.", "metadata": {"vip": "yes"}})
    assert (updated.name, updated.metadata.vip) == ("Ada L.", "yes")
    assert [c.id for c in client.v1.customers.list(params={"email": "ada@example.com"}).data] == [ada.id]

    deleted = client.v1.customers.delete(ada.id)
    assert deleted.deleted is True
    assert client.v1.customers.retrieve(ada.id).deleted is True
    assert [c.email for c in client.v1.customers.list().data] == ["bob@example.com"]
    sim.wait_for_deliveries(timeout=5)
    assert receiver.types() == [
        "customer.created",
        "customer.created",
        "customer.updated",
        "customer.deleted",
    ]
    previous = receiver.of_type("customer.updated")[0].data.previous_attributes
    assert previous.name == "Ada"


def test_shipping_address_is_collected(sim, client, catalog):
    session = create_session(
        client,
        [{"price": catalog["mug"].id, "quantity": 1}],
        customer_email="ada@example.com",
        shipping_address_collection={"allowed_countries": ["FR", "BE"]},
    )
    page = get(session.url)
    assert 'name="address[line1]"' in page
    assert 'name="email"' not in page
    form = {
        "action": "pay",
        "name": "Ada Lovelace",
        "address[line1]": "1 rue de la Paix",
        "address[city]": "Paris",
        "address[postal_code]": "75002",
        "address[country]": "FR",
    }
    status, _, _ = post(session.url, form)
    assert status == 303
    paid = client.v1.checkout.sessions.retrieve(session.id)
    # Since API version 2025-03-31 shipping is collected information, not a top-level field.
    assert paid.collected_information.shipping_details.address.city == "Paris"
    assert "shipping_details" not in paid
    assert paid.customer_details.email == "ada@example.com"


def test_closed_sessions_have_no_page_url(sim, client, order, catalog):
    assert order.url
    sim.pay(order.id)
    assert client.v1.checkout.sessions.retrieve(order.id).url is None
    other = create_session(client, [{"price": catalog["mug"].id, "quantity": 1}])
    client.v1.checkout.sessions.expire(other.id)
    assert client.v1.checkout.sessions.retrieve(other.id).url is None


def test_checkout_options_are_accepted_and_echoed(sim, client, catalog):
    session = create_session(
        client,
        [
            {"price": catalog["mug"].id, "quantity": 1},
            {
                "price_data": {"currency": "usd", "unit_amount": 750, "product_data": {"name": "Poster"}},
                "quantity": 2,
            },
        ],
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
    )
    assert session.allow_promotion_codes is True
    assert (session.automatic_tax.enabled, session.automatic_tax.status) == (True, "requires_location_inputs")
    rate = session.shipping_options[0].shipping_rate
    assert session.shipping_options[0].shipping_amount == 500
    assert (session.shipping_cost.amount_total, session.shipping_cost.shipping_rate) == (500, rate)
    assert (session.amount_subtotal, session.total_details.amount_shipping) == (1999 + 1500, 500)
    assert session.amount_total == 1999 + 1500 + 500
    lines = client.v1.checkout.sessions.line_items.list(session.id).data
    assert [(line.description, line.price.unit_amount, line.price.active) for line in lines] == [
        ("Mug", 1999, True),
        ("Poster", 750, False),
    ]
    expanded = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["shipping_options.shipping_rate"]}
    )
    assert expanded.shipping_options[0].shipping_rate.display_name == "Post"

    coupon = client.v1.coupons.create(params={"amount_off": 300, "currency": "usd"})
    code = client.v1.promotion_codes.create(
        params={"code": "MUG3", "promotion": {"type": "coupon", "coupon": coupon.id}}
    )
    discounted = create_session(
        client, [{"price": catalog["mug"].id, "quantity": 1}], discounts=[{"promotion_code": code.id}]
    )
    assert [(d.coupon, d.promotion_code) for d in discounted.discounts] == [(coupon.id, code.id)]
    assert (discounted.total_details.amount_discount, discounted.amount_total) == (300, 1999 - 300)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(client, [{"price": catalog["mug"].id, "quantity": 1}], discounts=[{"coupon": "nope"}])
    assert (raised.value.code, raised.value.param) == ("resource_missing", "discounts[0][coupon]")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(
            client,
            [{"price": catalog["mug"].id, "quantity": 1}],
            discounts=[{"coupon": "c"}],
            allow_promotion_codes=True,
        )
    assert raised.value.code == "parameters_exclusive"


def test_prices_are_searched_not_read_as_an_id(client, catalog):
    found = client.v1.prices.search(params={"query": "product:'prod_mug'"})
    assert [price.id for price in found.data] == [catalog["mug"].id]
    client.v1.prices.update(catalog["sticker"].id, params={"metadata": {"size": "small"}})
    both = client.v1.prices.search(params={"query": "metadata['size']:'small' OR product:'prod_mug'"})
    assert {price.id for price in both.data} == {catalog["mug"].id, catalog["sticker"].id}
    first = client.v1.prices.search(params={"query": "active:'true'", "limit": 3})
    assert (len(first.data), first.has_more) == (3, True)
    rest = client.v1.prices.search(params={"query": "active:'true'", "limit": 3, "page": first.next_page})
    assert ([p.id for p in rest.data], rest.has_more, rest.next_page) == (
        [catalog["mug"].id],  # newest first: the mug was priced first
        False,
        None,
    )
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.prices.search(params={"query": "nickname:'x'"})
    assert raised.value.param == "query"


def test_errors_link_to_their_documentation(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.prices.retrieve("price_missing")
    assert raised.value.error.doc_url == "https://docs.stripe.com/error-codes/resource-missing"


def test_events_are_listed_by_type_time_and_delivery(client):
    with StripeSimulator(webhook_url="http://127.0.0.1:9/unreachable", retry_delays=()) as lonely:
        lonely_client = stripe.StripeClient("sk_test_x", base_addresses={"api": lonely.url})
        lonely_client.v1.customers.create(params={"email": "a@example.com"})
        lonely.wait_for_deliveries(timeout=5)
        product = lonely_client.v1.products.create(params={"name": "Mug"})
        lonely_client.v1.prices.create(params={"product": product.id, "unit_amount": 100, "currency": "usd"})
        events = lonely_client.v1.events

        def types(**params):
            return [event.type for event in events.list(params=params).data]

        assert types(type="product.created") == ["product.created"]
        assert types(type="pr*") == ["price.created", "product.created"]
        assert types(types=["customer.created", "price.created"]) == ["price.created", "customer.created"]
        assert types(delivery_success=False)[-1] == "customer.created"
        newest = events.list().data[0]
        assert types(created={"gte": newest.created}) == types(created={"gt": newest.created - 1})
        assert types(created={"lt": newest.created - 10**6}) == []
        first = events.list(params={"limit": 2})
        rest = events.list(params={"limit": 2, "starting_after": first.data[-1].id})
        assert (first.has_more, [e.type for e in rest.data], rest.has_more) == (
            True,
            ["customer.created"],
            False,
        )
        with pytest.raises(stripe.InvalidRequestError) as raised:
            events.list(params={"type": "a", "types": ["b"]})
        assert raised.value.code == "parameters_exclusive"


def test_dropped_deliveries_leave_their_events_undelivered(sim, client, receiver):
    with sim.deliveries_dropped(types=["customer.created"]):
        dropped = client.v1.customers.create(params={"email": "dropped@example.com"})
        client.v1.products.create(params={"name": "Mug"})
    sent = client.v1.customers.create(params={"email": "sent@example.com"})
    sim.wait_for_deliveries(timeout=5)

    assert receiver.types() == ["product.created", "customer.created"]
    assert receiver.of_type("customer.created")[0].data.object.id == sent.id
    undelivered = client.v1.events.list(params={"delivery_success": False}).data
    assert [(event.type, event.data.object.id) for event in undelivered] == [("customer.created", dropped.id)]
    assert undelivered[0].pending_webhooks == 1
    assert dropped.id not in [a.event_id for a in sim.delivery_attempts]


def test_deliveries_are_dropped_and_resumed_from_the_control_url(sim, client, receiver):
    assert post(f"{sim.url}/_simulator/deliveries/drop")[0] == 200
    client.v1.customers.create(params={"email": "lost@example.com"})
    client.v1.products.create(params={"name": "Lost mug"})
    status, _, body = post(f"{sim.url}/_simulator/deliveries/resume")
    assert (status, json.loads(body)) == (200, {"dropping": False, "types": []})
    client.v1.products.create(params={"name": "Mug"})
    sim.wait_for_deliveries(timeout=5)

    assert receiver.types() == ["product.created"]
    undelivered = client.v1.events.list(params={"delivery_success": False}).data
    assert [event.type for event in undelivered] == ["product.created", "customer.created"]

    status, _, body = post(f"{sim.url}/_simulator/deliveries/drop", {"types[]": "refund.updated"})
    assert (status, json.loads(body)) == (200, {"dropping": True, "types": ["refund.updated"]})
    status, _, body = post(f"{sim.url}/_simulator/deliveries/drop", {"types[]": "no.such.type"})
    assert status == 400
    assert "no.such.type" in json.loads(body)["error"]["message"]
    with pytest.raises(ValueError, match=r"no\.such\.type"):
        sim.drop_deliveries(types=["no.such.type"])


# --- Stripe's test cards: the failure paths ----------------------------------------------------


def test_the_hosted_page_pays_with_the_card_typed_in(sim, client, order, receiver):
    page = get(order.url)
    assert 'name="card" value="4242 4242 4242 4242"' in page

    status, _, page = post(
        order.url, {"action": "pay", "email": "ada@example.com", "card": "4000 0000 0000 0002"}
    )
    assert (status, "Your card was declined." in page) == (200, True)
    status, _, page = post(order.url, {"action": "pay", "email": "ada@example.com", "card": "1234 5678"})
    assert status == 200
    assert "Your card number is invalid." in page

    status, _, _ = post(order.url, {"action": "pay", "email": "ada@example.com", "card": "4000000000005126"})
    assert status == 303
    sim.wait_for_deliveries(timeout=5)
    charge = receiver.of_type("charge.succeeded")[0].data.object
    assert charge.payment_method_details.card.last4 == "5126"


def test_a_3d_secure_card_is_paid_once_authenticated_on_the_hosted_page(sim, client, order, receiver):
    status, _, page = post(
        order.url, {"action": "pay", "email": "ada@example.com", "card": "4000 0027 6000 3184"}
    )

    assert status == 200
    assert "Authenticate your payment" in page
    assert get(order.url).count("Complete authentication") == 1  # a reload shows the challenge again
    session = client.v1.checkout.sessions.retrieve(order.id, params={"expand": ["payment_intent"]})
    assert session.status == "open"
    assert session.payment_intent.status == "requires_action"
    assert session.payment_intent.next_action.type == "use_stripe_sdk"

    status, headers, _ = post(order.url, {"action": "authenticate"})

    assert status == 303
    assert headers["Location"] == f"https://shop.test/done?session={order.id}"
    sim.wait_for_deliveries(timeout=5)
    session = client.v1.checkout.sessions.retrieve(order.id, params={"expand": ["payment_intent"]})
    assert (session.status, session.payment_status, session.payment_intent.status) == (
        "complete",
        "paid",
        "succeeded",
    )
    types = receiver.types()
    assert types.index("payment_intent.requires_action") < types.index("checkout.session.completed")


def test_a_failed_3d_secure_authentication_leaves_the_session_open(sim, client, order, receiver):
    post(order.url, {"action": "pay", "email": "ada@example.com", "card": "4000002500003155"})

    status, _, page = post(order.url, {"action": "fail_authentication"})

    assert status == 200
    assert "failed authentication" in page
    assert 'name="card"' in page  # the payment form again, for another card
    sim.wait_for_deliveries(timeout=5)
    session = client.v1.checkout.sessions.retrieve(order.id, params={"expand": ["payment_intent"]})
    assert (session.status, session.payment_intent.status) == ("open", "requires_payment_method")
    failed = receiver.of_type("payment_intent.payment_failed")[0].data.object
    assert failed.last_payment_error.code == "payment_intent_authentication_failure"
    assert "charge.failed" not in receiver.types()
    assert "checkout.session.completed" not in receiver.types()
    status, _, body = post(f"{sim.url}/_simulator/checkout/{order.id}/authenticate")
    assert status == 400
    assert "no payment awaiting 3-D Secure authentication" in body


def test_a_refund_of_the_refund_failure_card_succeeds_then_fails_as_on_stripe(sim, client, order, receiver):
    intent_id = sim.pay(order.id, card="4000000000005126")["payment_intent"]

    refund = client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 1000})

    assert refund.status == "succeeded"
    sim.wait_for_deliveries(timeout=5)
    refund_events = [
        event for event in receiver.events if event.type.startswith(("refund.", "charge.refund"))
    ]
    assert [event.type for event in refund_events] == [
        "refund.created",
        "charge.refunded",
        "refund.updated",
        "charge.refund.updated",
        "refund.failed",
    ]
    created, refunded, updated, charge_refund_updated, failed = refund_events
    assert created.data.object.status == "succeeded"
    assert (refunded.data.object.amount_refunded, refunded.data.object.refunded) == (1000, False)
    for event in (updated, charge_refund_updated):
        assert (event.data.object.object, event.data.object.id) == ("refund", refund.id)
        assert (event.data.object.status, event.data.object.failure_reason) == (
            "failed",
            "expired_or_canceled_card",
        )
        assert event.data.previous_attributes.status == "succeeded"
    assert failed.data.object.failure_reason == "expired_or_canceled_card"
    current = client.v1.refunds.retrieve(refund.id)
    assert (current.status, current.failure_reason) == ("failed", "expired_or_canceled_card")
    # The money never left: the charge is whole again and can still be refunded in full.
    charge = client.v1.charges.retrieve(current.charge)
    assert (charge.amount_refunded, charge.refunded) == (0, False)
    again = client.v1.refunds.create(params={"payment_intent": intent_id})
    assert again.amount == charge.amount


def test_the_dispute_card_is_paid_then_disputed_and_the_dispute_closed(sim, client, order, receiver):
    intent_id = sim.pay(order.id, card="4000 0000 0000 0259")["payment_intent"]
    sim.wait_for_deliveries(timeout=5)

    created = receiver.of_type("charge.dispute.created")[0].data.object
    intent = client.v1.payment_intents.retrieve(intent_id)
    assert intent.status == "succeeded"
    assert (created.object, created.charge, created.payment_intent) == (
        "dispute",
        intent.latest_charge,
        intent_id,
    )
    assert (created.amount, created.currency, created.reason, created.status) == (
        4498,
        "usd",
        "fraudulent",
        "needs_response",
    )
    assert created.evidence_details.due_by > created.created
    assert client.v1.charges.retrieve(intent.latest_charge).disputed is True
    assert [d.id for d in client.v1.disputes.list(params={"payment_intent": intent_id}).data] == [created.id]

    status, _, body = post(f"{sim.url}/_simulator/disputes/{created.id}/close", {"outcome": "lost"})

    assert (status, json.loads(body)["status"]) == (200, "lost")
    sim.wait_for_deliveries(timeout=5)
    assert receiver.of_type("charge.dispute.closed")[0].data.object.status == "lost"
    assert client.v1.disputes.retrieve(created.id).status == "lost"
    status, _, body = post(f"{sim.url}/_simulator/disputes/{created.id}/close", {"outcome": "won"})
    assert status == 400
    assert "already closed" in body
    # The bank took the money when the dispute opened; a lost dispute gives nothing back.
    dispute_events = [event.type for event in receiver.events if event.type.startswith("charge.dispute")]
    assert dispute_events == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.closed",
    ]


def test_a_won_dispute_reinstates_the_funds(sim, client, order, receiver):
    intent_id = sim.pay(order.id, card="4000000000000259")["payment_intent"]
    [dispute] = client.v1.disputes.list(params={"payment_intent": intent_id}).data

    sim.close_dispute(dispute.id, won=True)

    sim.wait_for_deliveries(timeout=5)
    dispute_events = [event for event in receiver.events if event.type.startswith("charge.dispute")]
    assert [event.type for event in dispute_events] == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.closed",
        "charge.dispute.funds_reinstated",
    ]
    assert dispute_events[-1].data.object.status == "won"


def test_a_product_is_deleted_only_without_prices_and_a_price_only_if_never_used(
    sim, client, catalog, receiver
):
    with pytest.raises(stripe.InvalidRequestError, match="has one or more user-created prices"):
        client.v1.products.delete("prod_mug")
    paid = create_session(client, [{"price": catalog["mug"].id, "quantity": 1}])
    sim.pay(paid.id)
    with pytest.raises(StripeError, match="has been used and cannot be deleted"):
        sim.delete_price_from_dashboard(catalog["mug"].id)
    spare = client.v1.products.create(params={"name": "Spare"})
    unused = client.v1.prices.create(params={"product": spare.id, "unit_amount": 100, "currency": "usd"})

    sim.delete_price_from_dashboard(unused.id)
    deleted = client.v1.products.delete(spare.id)

    assert deleted.deleted is True
    sim.wait_for_deliveries(timeout=5)
    assert receiver.of_type("price.deleted")[0].data.object.id == unused.id
    assert receiver.of_type("product.deleted")[0].data.object.id == spare.id
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.prices.retrieve(unused.id)
    assert client.v1.products.retrieve("prod_mug").id == "prod_mug"


def test_a_one_use_code_applied_by_two_checkouts_is_redeemed_by_the_first_to_pay(sim, client, catalog):
    coupon = client.v1.coupons.create(params={"amount_off": 500, "currency": "usd", "duration": "once"})
    code = client.v1.promotion_codes.create(
        params={"code": "ONCE", "promotion": {"type": "coupon", "coupon": coupon.id}, "max_redemptions": 1}
    )
    first, second = (
        create_session(client, [{"price": catalog["mug"].id, "quantity": 1}], allow_promotion_codes=True)
        for _ in range(2)
    )
    for session in (first, second):
        assert sim.apply_promotion_code(session.id, "ONCE")["amount_total"] == 1499
    sim.pay(first.id)

    # Stripe checks the code again when the second shopper pays: it is used up.
    status, _, page = post(f"{sim.url}/checkout/{second.id}", {"action": "pay", "email": "bo@example.com"})

    assert status == 200
    assert "This code has already been redeemed the maximum number of times." in page
    refused = client.v1.checkout.sessions.retrieve(second.id)
    assert (refused.status, refused.discounts, refused.amount_total) == ("open", [], 1999)
    assert "$19.99" in page
    assert client.v1.promotion_codes.retrieve(code.id).times_redeemed == 1
    # At the full price the payment goes through.
    assert sim.pay(second.id)["amount_total"] == 1999
    assert client.v1.checkout.sessions.retrieve(first.id).total_details.amount_discount == 500


def test_promotion_code_typed_on_the_hosted_page_discounts_the_payment(sim, client, catalog):
    coupon = client.v1.coupons.create(params={"percent_off": 10, "duration": "once", "name": "Ten off"})
    client.v1.promotion_codes.create(
        params={"code": "TENOFF", "promotion": {"type": "coupon", "coupon": coupon.id}, "max_redemptions": 1}
    )
    client.v1.promotion_codes.create(
        params={"code": "OLD", "promotion": {"type": "coupon", "coupon": coupon.id}, "expires_at": 1}
    )
    off = client.v1.promotion_codes.create(
        params={"code": "OFF", "promotion": {"type": "coupon", "coupon": coupon.id}}
    )
    client.v1.promotion_codes.update(off.id, params={"active": False})
    session = create_session(
        client,
        [{"price": catalog["mug"].id, "quantity": 2}, {"price": catalog["sticker"].id, "quantity": 1}],
        allow_promotion_codes=True,
    )
    page = f"{sim.url}/checkout/{session.id}"
    for typed, message in (
        ("NOPE", "This code is invalid."),
        ("off", "This code is invalid."),
        ("OLD", "This code has expired."),
    ):
        status, _, body = post(page, {"action": "apply_promotion_code", "promotion_code": typed})
        assert (status, message in body) == (200, True), typed
    assert client.v1.checkout.sessions.retrieve(session.id).total_details.amount_discount == 0

    status, _, body = post(page, {"action": "apply_promotion_code", "promotion_code": " tenoff "})
    assert status == 200
    assert "−$4.50" in body
    assert "$40.48" in body
    discounted = client.v1.checkout.sessions.retrieve(session.id)
    assert (
        discounted.amount_subtotal,
        discounted.total_details.amount_discount,
        discounted.amount_total,
    ) == (
        4498,
        450,
        4048,
    )
    lines = client.v1.checkout.sessions.line_items.list(session.id).data
    assert [(line.amount_subtotal, line.amount_discount, line.amount_total) for line in lines] == [
        (3998, 399, 3599),
        (500, 51, 449),
    ]
    sim.pay(session.id)
    intent = client.v1.payment_intents.retrieve(
        client.v1.checkout.sessions.retrieve(session.id).payment_intent
    )
    assert intent.amount == 4048
    assert client.v1.promotion_codes.list(params={"code": "tenoff"}).data[0].times_redeemed == 1
    again = create_session(client, [{"price": catalog["mug"].id, "quantity": 1}], allow_promotion_codes=True)
    with pytest.raises(StripeError, match="maximum number of times"):
        sim.apply_promotion_code(again.id, "TENOFF")
    plain = create_session(client, [{"price": catalog["mug"].id, "quantity": 1}])
    assert "Promotion code" not in get(f"{sim.url}/checkout/{plain.id}")


def test_shipping_rates_are_offered_picked_on_the_hosted_page_and_charged(sim, client, catalog):
    standard = client.v1.shipping_rates.create(
        params={
            "display_name": "Standard",
            "type": "fixed_amount",
            "fixed_amount": {"amount": 500, "currency": "usd"},
            "delivery_estimate": {
                "minimum": {"unit": "business_day", "value": 3},
                "maximum": {"unit": "business_day", "value": 5},
            },
        }
    )
    express = client.v1.shipping_rates.create(
        params={
            "display_name": "Express",
            "type": "fixed_amount",
            "fixed_amount": {"amount": 1500, "currency": "usd"},
        }
    )
    retired = client.v1.shipping_rates.create(
        params={
            "display_name": "Old",
            "type": "fixed_amount",
            "fixed_amount": {"amount": 1, "currency": "usd"},
        }
    )
    assert client.v1.shipping_rates.update(retired.id, params={"active": False}).active is False
    assert client.v1.shipping_rates.retrieve(standard.id).delivery_estimate.maximum.value == 5
    listed = client.v1.shipping_rates.list(params={"active": True, "limit": 100}).data
    assert {standard.id, express.id} <= {rate.id for rate in listed}
    assert retired.id not in {rate.id for rate in listed}
    with pytest.raises(stripe.InvalidRequestError, match="inactive"):
        create_session(
            client,
            [{"price": catalog["mug"].id, "quantity": 1}],
            shipping_options=[{"shipping_rate": retired.id}],
        )
    with pytest.raises(stripe.InvalidRequestError, match="up to 5"):
        create_session(
            client,
            [{"price": catalog["mug"].id, "quantity": 1}],
            shipping_options=[{"shipping_rate": standard.id}] * 6,
        )

    session = create_session(
        client,
        [{"price": catalog["mug"].id, "quantity": 1}],
        shipping_address_collection={"allowed_countries": ["US"]},
        shipping_options=[{"shipping_rate": standard.id}, {"shipping_rate": express.id}],
    )
    page = f"{sim.url}/checkout/{session.id}"
    body = get(page)
    assert "Standard — $5.00 (3–5 business days)" in body
    assert "Express — $15.00" in body
    assert f'value="{standard.id}" checked' in body
    assert "$24.99" in body

    status, _, body = post(page, {"action": "update_totals", "shipping_rate": express.id})
    assert status == 200
    assert f'value="{express.id}" checked' in body
    assert "$34.99" in body
    status, _, _ = post(
        page,
        {
            "action": "pay",
            "shipping_rate": express.id,
            "email": "ada@example.com",
            "name": "Ada",
            "address[line1]": "1 Main St",
            "address[city]": "Portland",
            "address[postal_code]": "04101",
            "address[country]": "US",
        },
    )
    assert status == 303
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.shipping_cost.shipping_rate, paid.total_details.amount_shipping, paid.amount_total) == (
        express.id,
        1500,
        3499,
    )
    assert client.v1.payment_intents.retrieve(paid.payment_intent).amount == 3499


def test_automatic_tax_is_worked_out_for_the_address_entered(sim, client, catalog):
    rate = client.v1.shipping_rates.create(
        params={
            "display_name": "Post",
            "type": "fixed_amount",
            "fixed_amount": {"amount": 500, "currency": "usd"},
        }
    )
    session = create_session(
        client,
        [{"price": catalog["mug"].id, "quantity": 2}],
        automatic_tax={"enabled": True},
        shipping_address_collection={"allowed_countries": ["US", "GB"]},
        shipping_options=[{"shipping_rate": rate.id}],
    )
    assert (session.automatic_tax.status, session.total_details.amount_tax) == ("requires_location_inputs", 0)
    page = f"{sim.url}/checkout/{session.id}"
    status, _, body = post(page, {"action": "update_totals", "address[country]": "GB"})
    assert status == 200
    # 20% of 39.98 and of 5.00 shipping.
    assert "Tax" in body
    assert "$9.00" in body
    sim.pay(
        session.id, address={"line1": "1 High St", "city": "Bath", "postal_code": "BA1 1AA", "country": "GB"}
    )
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert paid.automatic_tax.status == "complete"
    assert (paid.amount_subtotal, paid.total_details.amount_shipping, paid.total_details.amount_tax) == (
        3998,
        500,
        800 + 100,
    )
    assert paid.amount_total == 3998 + 500 + 900
    assert paid.shipping_cost.amount_tax == 100
    line = client.v1.checkout.sessions.line_items.list(session.id).data[0]
    assert (line.amount_tax, line.amount_total) == (800, 4798)

    untaxed = create_session(
        client, [{"price": catalog["mug"].id, "quantity": 1}], automatic_tax={"enabled": True}
    )
    # No shipping address collected: Checkout asks for the billing address, which is taxed for.
    assert "Billing address" in get(f"{sim.url}/checkout/{untaxed.id}")
    sim.pay(
        untaxed.id,
        address={"line1": "1 Main St", "city": "Portland", "postal_code": "04101", "country": "US"},
    )
    assert client.v1.checkout.sessions.retrieve(untaxed.id).total_details.amount_tax == 0

    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    with pytest.raises(stripe.InvalidRequestError, match="customer_update"):
        create_session(
            client,
            [{"price": catalog["mug"].id, "quantity": 1}],
            automatic_tax={"enabled": True},
            customer=customer.id,
        )
    create_session(
        client,
        [{"price": catalog["mug"].id, "quantity": 1}],
        automatic_tax={"enabled": True},
        customer=customer.id,
        customer_update={"address": "auto"},
    )


def test_the_page_asks_for_the_email_a_customer_lacks_and_sets_it_on_the_customer(
    sim, client, catalog, receiver
):
    without_email = client.v1.customers.create(params={"metadata": {"cart_id": "7"}})
    with_email = client.v1.customers.create(params={"email": "known@example.com"})
    sessions = [
        create_session(
            client,
            [{"price": catalog["monthly"].id, "quantity": 1}],
            mode="subscription",
            customer=customer.id,
        )
        for customer in (without_email, with_email)
    ]
    assert 'name="email"' in get(sessions[0].url)
    assert 'name="email"' not in get(sessions[1].url)

    status, _, page = post(sessions[0].url, {"action": "pay", "name": "Ada", "address[line1]": "1 Main St"})
    assert (status, "Enter your email address." in page) == (200, True)
    address = {
        "address[line1]": "1 Main St",
        "address[city]": "Portland",
        "address[postal_code]": "04101",
        "address[country]": "US",
    }
    status, _, _ = post(
        sessions[0].url, {"action": "pay", "email": "ada@example.com", "name": "Ada", **address}
    )

    assert status == 303
    completed = client.v1.checkout.sessions.retrieve(sessions[0].id)
    assert (completed.customer, completed.customer_details.email) == (without_email.id, "ada@example.com")
    assert client.v1.customers.retrieve(without_email.id).email == "ada@example.com"
    sim.wait_for_deliveries(timeout=5)
    [updated] = receiver.of_type("customer.updated")
    assert updated.data.previous_attributes.email is None

"""Faults made to happen for real: the database server stopped, Stripe failing, a worker killed.

Already proved elsewhere, not repeated here: Stripe unreachable on a closed port during checkout
(tests/payments/test_checkout.py), and stored events that never got processed being run by
retry_webhooks (tests/payments/test_retry_webhooks.py). The worker's own faults (mail server down,
worker killed mid-task, database restart, racing workers) are in test_worker_faults.py; the shop
processes here run tasks at once, inside the request, as the test settings do.
"""

import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
import requests
import stripe
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from pymongo import MongoClient

from accounts.models import User
from cart.models import CartItem, CartStatus
from devtools.embedded_mongodb import start_server_process, stop_server_process
from orders.models import Order, OrderStatus, OrderStatusChange, PaymentStatus
from payments import services
from payments.exceptions import PaymentProviderUnavailable
from payments.models import WebhookEvent
from tests import factories
from tests.payments.conftest import WEBHOOK_SECRET, event_payloads, signature_headers
from tests.robustness.servers import (
    AnswerLosingStripe,
    FailingStripe,
    HangingStripe,
    manage,
    shop_environment,
)

WEBHOOK = "/payments/webhook/"
UNAVAILABLE = PaymentProviderUnavailable.default_message


class OwnDatabase:
    """An embedded database server of one test, on SQLite so that its data survives a restart."""

    name = "shop"

    def __init__(self, path):
        self.path = path
        self.process, self.port = start_server_process(path=path)
        self.uri = f"mongodb://127.0.0.1:{self.port}/"
        self.client = MongoClient(self.uri, serverSelectionTimeoutMS=5000)

    def stop(self):
        stop_server_process(self.process)

    def start_again(self):
        self.process, _ = start_server_process(path=self.path, port=self.port)

    def collection(self, model):
        return self.client[self.name][model._meta.db_table]


@pytest.fixture
def own_database(tmp_path):
    database = OwnDatabase(tmp_path / "db.sqlite3")
    yield database
    database.client.close()
    if database.process.poll() is None:
        database.stop()


def signed_event(event_type: str, obj: dict) -> tuple[str, dict]:
    event = {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "type": event_type,
    }
    payload = json.dumps(event)
    return payload, signature_headers(payload)


def healthy_within(shop, *, seconds):
    deadline = time.monotonic() + seconds
    while shop.get("/healthz/").status_code != 200:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# --- The database goes down --------------------------------------------------------------------


def test_a_webhook_while_the_database_is_down_is_refused_and_processed_when_stripe_delivers_it_again(
    own_database, serve_shop, quiet_stripe_simulator
):
    # The handler reads the customer from Stripe: Stripe has deleted it.
    api = stripe.StripeClient("sk_test_shop_tests", base_addresses={"api": quiet_stripe_simulator.url})
    customer = api.v1.customers.create({"email": "outage@example.com"})
    api.v1.customers.delete(customer.id)
    env = shop_environment(
        mongodb_uri=own_database.uri,
        database_name=own_database.name,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=quiet_stripe_simulator.url,
    )
    manage(
        "shell",
        "-c",
        "from django.core.management import call_command; call_command('migrate', verbosity=0); "
        "from tests.factories import UserFactory; "
        f"UserFactory(email='outage@example.com', stripe_customer_id='{customer.id}')",
        env=env,
    )
    shop = serve_shop(env)
    payload, headers = signed_event(
        "customer.deleted", {"id": customer.id, "object": "customer", "deleted": True}
    )

    own_database.stop()

    health = shop.get("/healthz/")
    assert (health.status_code, health.json()) == (503, {"status": "unavailable", "database": "down"})
    started = time.monotonic()
    refused = shop.post(WEBHOOK, payload, headers)
    # A 5xx makes Stripe deliver the event again later; the answer does not hang on the database.
    assert (refused.status_code, refused.json()) == (
        503,
        {"message": "Could not store the event; deliver it again later."},
    )
    assert time.monotonic() - started < 5

    own_database.start_again()

    # The driver notices the server is back within about half a second; a load balancer polls.
    assert healthy_within(shop, seconds=10)
    assert own_database.collection(WebhookEvent).count_documents({}) == 0
    redelivered = shop.post(WEBHOOK, payload, signature_headers(payload))
    assert (redelivered.status_code, redelivered.json()) == (200, {"message": "Received."})
    [event] = own_database.collection(WebhookEvent).find()
    assert (event["type"], event["processed"], event["attempts"]) == ("customer.deleted", True, 1)
    user = own_database.collection(User).find_one({"email": "outage@example.com"})
    assert user["stripe_customer_id"] is None


# --- Stripe fails during checkout ----------------------------------------------------------------


@pytest.fixture
def mug(db):
    return factories.PriceFactory(product__name="Stoneware mug", unit_amount=1800)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def assert_cart_unchanged_and_open(cart, lines):
    cart.refresh_from_db()
    assert (cart.status, cart.is_locked) == (CartStatus.ACTIVE, False)
    assert list(CartItem.objects.filter(cart=cart).values_list("price_id", "quantity")) == lines


@pytest.mark.parametrize("status", [500, 503])
def test_stripe_answering_server_errors_leaves_the_cart_intact_and_says_payment_is_unavailable(
    quiet_sim, settings, client, guest_client, mug, status
):
    cart = guest_client((mug, 2))

    with FailingStripe(status=status) as stripe_down:
        settings.STRIPE_API_BASE = stripe_down.url
        response = client.post("/payments/checkout/")

    assert stripe_down.requests >= 1
    assert (response.status_code, response["Location"]) == (302, "/cart/")
    assert messages_of(response) == [UNAVAILABLE]
    assert not Order.objects.exists()
    assert_cart_unchanged_and_open(cart, [(mug.pk, 2)])
    settings.STRIPE_API_BASE = quiet_sim.url
    assert client.post("/payments/checkout/").status_code == 303


def test_stripe_not_answering_times_out_leaves_the_cart_intact_and_says_payment_is_unavailable(
    quiet_sim, settings, client, guest_client, mug
):
    cart = guest_client((mug, 1))
    settings.STRIPE_TIMEOUT_SECONDS = 1

    with HangingStripe() as stripe_stuck:
        settings.STRIPE_API_BASE = stripe_stuck.url
        started = time.monotonic()
        response = client.post("/payments/checkout/")
        waited = time.monotonic() - started

    assert stripe_stuck.called.is_set()
    assert waited < 5
    assert messages_of(response) == [UNAVAILABLE]
    assert not Order.objects.exists()
    assert_cart_unchanged_and_open(cart, [(mug.pk, 1)])


def test_a_lost_answer_from_stripe_leaves_the_cart_intact_and_the_next_try_reuses_the_same_session(
    quiet_sim, settings, client, guest_client, mug, cart_sessions
):
    cart = guest_client((mug, 1))

    with AnswerLosingStripe(
        upstream=quiet_sim.url, lose_answer_to=("POST", "/v1/checkout/sessions")
    ) as network:
        settings.STRIPE_API_BASE = network.url
        response = client.post("/payments/checkout/")

    assert network.lost_answers == 1
    assert messages_of(response) == [UNAVAILABLE]
    assert not Order.objects.exists()
    assert_cart_unchanged_and_open(cart, [(mug.pk, 1)])
    settings.STRIPE_API_BASE = quiet_sim.url
    # Stripe created the session; the shop never heard of it.
    [created] = cart_sessions(cart)

    retried = client.post("/payments/checkout/")

    assert (retried.status_code, retried["Location"]) == (303, created.url)
    [session] = cart_sessions(cart)
    assert session.id == created.id
    order = Order.objects.get()
    assert (order.stripe_checkout_session_id, order.status) == (created.id, OrderStatus.PENDING)
    cart.refresh_from_db()
    assert cart.checkout_session_id == created.id


# --- A crash between storing and processing an event ---------------------------------------------


def deliver_expecting_no_answer(shop, payload, outcome):
    """Post the event as Stripe would; record the answer, or the error if none came."""
    try:
        outcome.append(shop.post(WEBHOOK, payload, signature_headers(payload), timeout=30))
    except requests.RequestException as error:
        outcome.append(error)


def test_a_worker_killed_while_processing_an_event_is_recovered_by_retry_webhooks(
    quiet_sim, client, guest_client, mug, stripe_api, serve_shop, mailoutbox, capsys, monkeypatch
):
    cart = guest_client((mug, 1))
    session_id = client.post("/payments/checkout/")["Location"].rsplit("/", 1)[1]
    quiet_sim.pay(session_id)
    [payload] = [p for p in event_payloads(stripe_api(), "checkout.session.completed") if session_id in p]

    with HangingStripe() as stripe_stuck:
        # The worker's handler asks Stripe about the session and waits: it is mid-processing.
        shop = serve_shop(
            shop_environment(
                mongodb_uri=connection.settings_dict["HOST"],
                database_name=connection.settings_dict["NAME"],
                STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                STRIPE_API_BASE=stripe_stuck.url,
                STRIPE_TIMEOUT_SECONDS="60",
            )
        )
        delivery = []
        deliver = threading.Thread(target=deliver_expecting_no_answer, args=(shop, payload, delivery))
        deliver.start()
        assert stripe_stuck.called.wait(10), "the webhook never reached its handler"
        [worker] = shop.worker_pids()

        shop.kill_worker(worker)
        deliver.join(10)

    # Stripe saw the connection drop: no answer, so it will deliver again.
    assert isinstance(delivery[0], requests.ConnectionError)
    event = WebhookEvent.objects.get()
    assert (event.processed, event.attempts) == (False, 0)
    assert event.processing_started_at is not None
    assert Order.objects.get().status == OrderStatus.PENDING

    # Nobody can tell a dead worker from a slow one until its lease runs out.
    call_command("retry_webhooks")
    assert "0 processed, 0 failed, 1 in progress elsewhere" in capsys.readouterr().out
    assert Order.objects.get().status == OrderStatus.PENDING

    real_now = timezone.now
    monkeypatch.setattr(
        timezone, "now", lambda: real_now() + services.processing_lease() + timedelta(seconds=1)
    )
    call_command("retry_webhooks")

    assert "Retried 1 event(s): 1 processed, 0 failed" in capsys.readouterr().out
    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert OrderStatusChange.objects.filter(order=order).count() == 2
    assert len(mailoutbox) == 1
    cart.refresh_from_db()
    assert cart.status == CartStatus.CHECKED_OUT
    event.refresh_from_db()
    assert (event.processed, event.attempts, event.processing_started_at) == (True, 1, None)

    call_command("retry_webhooks")
    assert "Retried 0 event(s)" in capsys.readouterr().out
    # Stripe's own redelivery, to the worker gunicorn started in place of the dead one.
    again = shop.post(WEBHOOK, payload, signature_headers(payload))
    assert (again.status_code, again.json()) == (200, {"message": "Already processed."})
    assert len(mailoutbox) == 1

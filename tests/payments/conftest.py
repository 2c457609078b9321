"""Payments test wiring: the shop served over HTTP, and the Stripe simulator in front of it.

`stripe_sim` (tests/conftest.py) is a simulator that delivers its signed webhooks to the live
server, so a purchase runs exactly as in production: the shopper's requests, the stripe SDK,
Stripe's hosted page and the webhook all go over real HTTP. `quiet_sim` delivers nothing: tests
that need events in a particular order (or twice at once) read them from it and post them
themselves.
"""

import json
import secrets
from dataclasses import dataclass

import pytest
import requests
import stripe
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from cart.selectors import CART_SESSION_KEY
from orders.models import Order
from payments.checkout import checkout_session_create
from tests import factories
from tests.conftest import STRIPE_TEST_WEBHOOK_SECRET as WEBHOOK_SECRET


class Shopper:
    """A browser talking to the live server: cookies, a CSRF token, no automatic redirects."""

    def __init__(self, base_url: str, session_key: str):
        self.base_url = base_url
        self.http = requests.Session()
        self.http.cookies.set(django_settings.SESSION_COOKIE_NAME, session_key)
        self.csrf_token = secrets.token_hex(16)
        self.http.cookies.set(django_settings.CSRF_COOKIE_NAME, self.csrf_token)

    def url(self, path_or_url: str) -> str:
        return path_or_url if "://" in path_or_url else self.base_url + path_or_url

    def get(self, path_or_url: str) -> requests.Response:
        return self.http.get(self.url(path_or_url), allow_redirects=False, timeout=10)

    def post(self, path_or_url: str, data: dict | None = None) -> requests.Response:
        headers = {"X-CSRFToken": self.csrf_token}
        return self.http.post(
            self.url(path_or_url), data=data or {}, headers=headers, allow_redirects=False, timeout=10
        )

    def checkout(self, data: dict | None = None) -> requests.Response:
        return self.post("/payments/checkout/", data)

    def on_stripe_page(self, page_url: str, action: str, **fields) -> requests.Response:
        """Fill in and submit Stripe's hosted page (email, name and address as a buyer would)."""
        form = {
            "action": action,
            "email": "buyer@example.com",
            "name": "Ada Buyer",
            "address[line1]": "1 Harbour Street",
            "address[city]": "Portland",
            "address[postal_code]": "04101",
            "address[state]": "ME",
            "address[country]": "US",
            **fields,
        }
        return self.http.post(page_url, data=form, allow_redirects=False, timeout=10)


@pytest.fixture
def guest_client(client, db):
    """Return the test client as a guest whose session holds a cart of the given (price, quantity) lines."""

    def make(*lines):
        session = client.session
        cart = factories.CartFactory(session_key=session.session_key, currency=lines[0][0].currency)
        for price, quantity in lines:
            factories.CartItemFactory(cart=cart, price=price, quantity=quantity)
        session[CART_SESSION_KEY] = str(cart.pk)
        session.save()
        return cart

    return make


@dataclass
class Purchase:
    shopper: Shopper
    cart: object


@pytest.fixture
def guest_with_cart(live_server):
    """Return a guest Shopper whose session holds a cart of the given (price, quantity) lines."""

    def make(*lines) -> Purchase:
        store = SessionStore()
        store.create()
        cart = factories.CartFactory(session_key=store.session_key, currency=lines[0][0].currency)
        for price, quantity in lines:
            factories.CartItemFactory(cart=cart, price=price, quantity=quantity)
        store[CART_SESSION_KEY] = str(cart.pk)
        store.save()
        return Purchase(Shopper(live_server.url, store.session_key), cart)

    return make


@pytest.fixture
def user_with_cart(live_server):
    """Return a signed-in Shopper whose cart holds the given (price, quantity) lines."""

    def make(user, *lines) -> Purchase:
        client = Client()
        client.force_login(user)
        cart = factories.CartFactory(for_user=True, user=user, currency=lines[0][0].currency)
        for price, quantity in lines:
            factories.CartItemFactory(cart=cart, price=price, quantity=quantity)
        session_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        return Purchase(Shopper(live_server.url, session_key), cart)

    return make


def signature_headers(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> dict:
    """Return the headers Stripe would send with `payload` (signed as stripe-python documents)."""
    return {
        "Content-Type": "application/json",
        "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp),
    }


def event_payloads(stripe_client, event_type: str) -> list[str]:
    """Return the JSON bodies of the simulator's events of one type, oldest first."""
    events = stripe_client.v1.events.list({"type": event_type, "limit": 100})
    return [json.dumps(event.to_dict()) for event in reversed(events.data)]


def open_checkout(**price_fields) -> Order:
    """Return the PENDING order of a Checkout Session the shopper has not paid yet."""
    price = factories.PriceFactory(**price_fields)
    cart = factories.CartFactory(currency=price.currency)
    factories.CartItemFactory(cart=cart, price=price, quantity=1)
    started = checkout_session_create(
        cart=cart,
        user=None,
        success_url="http://testserver/payments/success/?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://testserver/cart/",
    )
    return Order.objects.get(pk=started.order.pk)

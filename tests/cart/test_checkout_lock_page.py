"""The cart page while a checkout is open: it offers a way back to the payment and a way out of it."""

import socket

import pytest
from django.test import Client
from django.urls import reverse

from cart.models import Cart, CartItem
from orders.models import Order, OrderStatus
from stripe_simulator import StripeSimulator
from tests.factories import PriceFactory

CART = reverse("cart:detail")
CANCEL = reverse("payments:cancel")
CANCEL_FORM = f'<form method="post" action="{CANCEL}">'
CANCEL_BUTTON = ">Cancel payment and edit cart</button>"
LOCKED_NOTICE = "Your cart is being checked out — finish or cancel the payment first."
UNREACHABLE = "We could not reach our payment provider to cancel the payment. Please try again in a moment."


@pytest.fixture(scope="module")
def simulator():
    """Stripe as the shop sees it; nothing here needs its webhooks."""
    simulator = StripeSimulator(
        webhook_url=None, webhook_secret="whsec_cart_tests", async_settle_delay=None
    ).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def stripe(settings, simulator):
    settings.STRIPE_API_BASE = simulator.url
    settings.STRIPE_SECRET_KEY = "sk_test_cart_tests"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_cart_tests"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 5
    return simulator


@pytest.fixture
def checked_out_client(client, db, stripe):
    """A guest who put a mug in the cart and went to Stripe's payment page."""
    mug = PriceFactory(product__name="Stoneware mug", unit_amount=1800)
    add_to_cart(client, mug, 2)
    response = client.post(reverse("payments:checkout"))
    assert response.status_code == 303
    assert response["Location"].startswith(f"{stripe.url}/checkout/cs_test_")
    return client


def add_to_cart(client, price, quantity):
    data = {"product_id": str(price.product_id), "price_id": str(price.pk), "quantity": quantity}
    client.post(reverse("cart:add"), data)


def text(response):
    return response.content.decode()


def test_a_cart_being_paid_offers_to_cancel_the_payment_and_the_button_unlocks_it(checked_out_client):
    html = text(checked_out_client.get(CART))
    assert LOCKED_NOTICE in html
    assert ">Return to payment</button>" in html
    assert CANCEL_FORM in html
    assert CANCEL_BUTTON in html
    line = CartItem.objects.get()
    assert reverse("cart:item_update", args=[line.pk]) not in html

    response = checked_out_client.post(CANCEL, follow=True)

    assert response.redirect_chain == [(CART, 302)]
    html = text(response)
    assert "Checkout cancelled. Nothing was charged, and your cart can be changed again." in html
    assert LOCKED_NOTICE not in html
    assert CANCEL_BUTTON not in html
    assert ">Check out</button>" in html
    assert reverse("cart:item_update", args=[line.pk]) in html
    assert not Cart.objects.get().is_locked
    assert Order.objects.get().status == OrderStatus.CANCELLED
    assert CartItem.objects.get().quantity == 2


@pytest.mark.django_db
def test_a_cart_not_being_paid_offers_no_cancel_link(client):
    mug = PriceFactory(product__name="Stoneware mug")
    add_to_cart(client, mug, 1)

    html = text(client.get(CART))

    assert ">Check out</button>" in html
    assert CANCEL not in html


def test_when_stripe_cannot_be_reached_the_cart_stays_locked_and_offers_the_button_again(
    checked_out_client, settings
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port}"

    response = checked_out_client.post(CANCEL, follow=True)

    html = text(response)
    assert UNREACHABLE in html
    assert LOCKED_NOTICE in html
    assert CANCEL_BUTTON in html
    assert Cart.objects.get().is_locked
    assert Order.objects.get().status == OrderStatus.PENDING


def test_opening_the_cancel_address_only_offers_the_button(checked_out_client):
    # Stripe's back link, or any site linking (or embedding an image of) the address.
    response = checked_out_client.get(CANCEL)

    assert response.status_code == 200
    html = text(response)
    assert CANCEL_FORM in html
    assert CANCEL_BUTTON in html
    assert ">Return to payment</button>" in html
    assert Cart.objects.get().is_locked
    assert Order.objects.get().status == OrderStatus.PENDING


def test_a_cancel_posted_without_the_csrf_token_changes_nothing(checked_out_client):
    forged = Client(enforce_csrf_checks=True)
    forged.cookies = checked_out_client.cookies

    response = forged.post(CANCEL)

    assert response.status_code == 403
    assert Cart.objects.get().is_locked
    assert Order.objects.get().status == OrderStatus.PENDING


@pytest.mark.django_db
def test_the_cancel_address_without_a_checkout_goes_to_the_cart(client):
    assert client.get(CANCEL)["Location"] == CART
    assert client.post(CANCEL)["Location"] == CART

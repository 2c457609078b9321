"""Concurrent requests over real HTTP, each in its own server thread with its own database session.

Already proved elsewhere, not repeated here: concurrent cart adds at the service level
(tests/cart/test_concurrency.py) and a triple click on "Check out" giving one order
(tests/payments/test_purchase.py).
"""

import threading

import requests
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from cart.models import Cart, CartItem, CartStatus
from orders.models import Order, OrderStatus, OrderStatusChange, PaymentStatus
from payments.models import WebhookEvent
from tests import factories
from tests.payments.conftest import Shopper, event_payloads, signature_headers

WEBHOOK = "/payments/webhook/"


def all_at_once(count, request):
    """Call request(index) from `count` threads released together; return their results in order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        barrier.wait()
        results[index] = request(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_eight_concurrent_deliveries_of_one_event_have_one_effect(
    quiet_sim, guest_with_cart, stripe_api, mailoutbox
):
    mug = factories.PriceFactory(product__name="Stoneware mug")
    purchase = guest_with_cart((mug, 1))
    session_id = purchase.shopper.checkout().headers["Location"].rsplit("/", 1)[1]
    quiet_sim.pay(session_id)
    [payload] = [p for p in event_payloads(stripe_api(), "checkout.session.completed") if session_id in p]
    url = f"{purchase.shopper.base_url}{WEBHOOK}"

    answers = all_at_once(
        8, lambda index: requests.post(url, data=payload, headers=signature_headers(payload), timeout=20)
    )

    # Every delivery is stored (once) and acknowledged; one of their tasks processes the event.
    assert {answer.status_code for answer in answers} == {200}, [answer.text for answer in answers]
    assert {answer.json()["message"] for answer in answers} <= {"Received.", "Already processed."}
    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert sorted(OrderStatusChange.objects.filter(order=order).values_list("field", flat=True)) == [
        "payment_status",
        "status",
    ]
    assert len(mailoutbox) == 1
    event = WebhookEvent.objects.get()
    assert (event.processed, event.attempts, event.processing_started_at) == (True, 1, None)
    # Stripe's later redeliveries change nothing.
    again = requests.post(url, data=payload, headers=signature_headers(payload), timeout=10)
    assert (again.status_code, again.json()) == (200, {"message": "Already processed."})
    assert len(mailoutbox) == 1


def test_two_tabs_adding_the_same_price_at_once_make_one_line_with_the_sum(live_server):
    mug = factories.PriceFactory(product__name="Stoneware mug")
    session_key = _new_session_key()
    shopper = Shopper(live_server.url, session_key)

    answers = all_at_once(
        2,
        lambda index: shopper.post(
            "/cart/add/",
            {"product_id": str(mug.product_id), "price_id": str(mug.pk), "quantity": [2, 3][index]},
        ),
    )

    assert [(answer.status_code, answer.headers["Location"]) for answer in answers] == [(302, "/cart/")] * 2
    cart = Cart.objects.get(status=CartStatus.ACTIVE)
    assert cart.session_key == session_key
    assert list(CartItem.objects.filter(cart=cart).values_list("price_id", "quantity")) == [(mug.pk, 5)]
    assert 'value="5"' in shopper.get("/cart/").text


def test_two_concurrent_checkouts_of_one_guest_cart_give_one_stripe_session(
    quiet_sim, guest_with_cart, cart_sessions
):
    mug = factories.PriceFactory(product__name="Stoneware mug")
    purchase = guest_with_cart((mug, 1))

    answers = all_at_once(2, lambda index: purchase.shopper.checkout())

    assert [answer.status_code for answer in answers] == [303, 303]
    [session] = cart_sessions(purchase.cart)
    assert {answer.headers["Location"] for answer in answers} == {session.url}
    assert Order.objects.get().stripe_checkout_session_id == session.id
    purchase.cart.refresh_from_db()
    assert purchase.cart.checkout_session_id == session.id


def test_a_user_checking_out_on_two_devices_at_once_gets_one_customer_and_one_session(
    quiet_sim, user_with_cart, live_server, stripe_api, cart_sessions
):
    user = factories.UserFactory(email="two.devices@example.com")
    mug = factories.PriceFactory(product__name="Stoneware mug")
    laptop = user_with_cart(user, (mug, 1))
    # The phone is signed in to the same account: another session, the same cart.
    phone = Shopper(live_server.url, _signed_in_session_key(user))

    answers = all_at_once(2, lambda index: [laptop.shopper, phone][index].checkout())

    assert [answer.status_code for answer in answers] == [303, 303], [answer.text for answer in answers]
    [session] = cart_sessions(laptop.cart)
    assert {answer.headers["Location"] for answer in answers} == {session.url}
    user.refresh_from_db()
    assert session.customer == user.stripe_customer_id
    assert len(stripe_api().v1.customers.list({"email": user.email}).data) == 1
    assert Order.objects.get().stripe_checkout_session_id == session.id


def _new_session_key():
    store = SessionStore()
    store.create()
    return store.session_key


def _signed_in_session_key(user):
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value

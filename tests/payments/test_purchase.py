"""Whole purchases over real HTTP: the shopper's browser, the stripe SDK, Stripe's hosted page
(the simulator) and its signed webhooks to the live server."""

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from cart.models import CartStatus
from orders.models import Order, OrderItem, OrderStatus, OrderStatusChange, PaymentStatus
from payments.models import WebhookEvent
from tests import factories


@pytest.fixture
def mug():
    return factories.PriceFactory(product__name="Stoneware mug", unit_amount=1800)


@pytest.fixture
def tee():
    return factories.PriceFactory(product__name="Cotton tee", unit_amount=2500)


def start_checkout(purchase, stripe_sim):
    response = purchase.shopper.checkout()
    assert response.status_code == 303, response.text
    page_url = response.headers["Location"]
    assert page_url.startswith(f"{stripe_sim.url}/checkout/cs_test_")
    return page_url, page_url.rsplit("/", 1)[1]


def status_moves(order):
    return list(
        OrderStatusChange.objects.filter(order=order)
        .order_by("created_at")
        .values_list("field", "old_status", "new_status")
    )


def test_guest_buys_two_products_and_the_webhook_confirms_the_payment(
    stripe_sim, guest_with_cart, mug, tee, mailoutbox
):
    purchase = guest_with_cart((mug, 2), (tee, 1))
    page_url, session_id = start_checkout(purchase, stripe_sim)

    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.PENDING)
    assert order.stripe_checkout_session_id == session_id
    assert order.amount_total == 2 * 1800 + 2500
    assert sorted(order.items.values_list("product_name", "unit_amount", "quantity", "amount_total")) == [
        ("Cotton tee", 2500, 1, 2500),
        ("Stoneware mug", 1800, 2, 3600),
    ]
    purchase.cart.refresh_from_db()
    assert purchase.cart.checkout_session_id == session_id

    assert "Stoneware mug" in purchase.shopper.get(page_url).text
    paid = purchase.shopper.on_stripe_page(page_url, "pay")
    assert paid.status_code == 303
    success_url = paid.headers["Location"]
    assert parse_qs(urlsplit(success_url).query) == {"session_id": [session_id]}
    stripe_sim.wait_for_deliveries()

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert order.paid_at is not None
    assert order.customer_email == "buyer@example.com"
    assert order.shipping_name == "Ada Buyer"
    assert order.shipping_address["city"] == "Portland"
    assert order.stripe_payment_intent_id.startswith("pi_")
    purchase.cart.refresh_from_db()
    assert purchase.cart.status == CartStatus.CHECKED_OUT
    assert status_moves(order) == [
        ("status", OrderStatus.PENDING, OrderStatus.PROCESSING),
        ("payment_status", PaymentStatus.PENDING, PaymentStatus.PAID),
    ]
    assert not WebhookEvent.objects.filter(processed=False).exists()

    page = purchase.shopper.get(success_url)
    assert page.status_code == 200
    assert order.number in page.text
    assert "Your payment is confirmed" in page.text
    # The email is queued on the worker; the page must not claim it has gone out.
    assert "We're emailing your confirmation to buyer@example.com" in page.text
    assert "was sent" not in page.text
    assert "Refresh" not in page.headers

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["buyer@example.com"]
    assert order.number in email.subject
    assert "Stoneware mug" in email.body
    assert "$61.00" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert "Cotton tee" in html


def test_a_confirmation_whose_outbox_write_failed_is_sent_once_when_the_event_is_retried(
    stripe_sim, guest_with_cart, mug, mailoutbox, outbox_write_fails_once
):
    neighbour = factories.OrderFactory(paid=True, customer_email="grace@example.com")
    purchase = guest_with_cart((mug, 1))
    page_url, _ = start_checkout(purchase, stripe_sim)

    purchase.shopper.on_stripe_page(page_url, "pay")
    stripe_sim.wait_for_deliveries()
    order = Order.objects.exclude(pk=neighbour.pk).get()
    assert outbox_write_fails_once == [f"order-{order.pk}-order_confirmation"]
    assert order.payment_status == PaymentStatus.PAID

    # The event whose email failed is tried again (the worker's retry_webhooks).
    call_command("retry_webhooks")
    call_command("retry_webhooks")

    assert [(message.to, message.subject) for message in mailoutbox] == [
        (["buyer@example.com"], f"Your Northwind Goods order {order.number} is confirmed")
    ]
    assert not WebhookEvent.objects.filter(processed=False).exists()


def test_a_declined_card_leaves_the_order_pending_and_a_second_attempt_pays(
    stripe_sim, guest_with_cart, mug, mailoutbox
):
    purchase = guest_with_cart((mug, 1))
    page_url, _ = start_checkout(purchase, stripe_sim)

    declined = purchase.shopper.on_stripe_page(page_url, "decline")
    assert "Your card was declined." in declined.text
    stripe_sim.wait_for_deliveries()
    order = Order.objects.get()
    assert (order.status, order.payment_status) == (
        OrderStatus.PENDING,
        PaymentStatus.REQUIRES_PAYMENT_METHOD,
    )
    purchase.cart.refresh_from_db()
    assert purchase.cart.status == CartStatus.ACTIVE
    assert purchase.cart.is_locked
    assert mailoutbox == []

    assert purchase.shopper.on_stripe_page(page_url, "pay").status_code == 303
    stripe_sim.wait_for_deliveries()
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert status_moves(order) == [
        ("payment_status", PaymentStatus.PENDING, PaymentStatus.REQUIRES_PAYMENT_METHOD),
        ("status", OrderStatus.PENDING, OrderStatus.PROCESSING),
        ("payment_status", PaymentStatus.REQUIRES_PAYMENT_METHOD, PaymentStatus.PAID),
    ]
    assert len(mailoutbox) == 1


THREE_D_SECURE_CARD = "4000 0027 6000 3184"


def test_a_3d_secure_card_pays_once_authenticated_and_a_failed_authentication_leaves_the_order_pending(
    stripe_sim, guest_with_cart, mug, mailoutbox
):
    purchase = guest_with_cart((mug, 1))
    page_url, _ = start_checkout(purchase, stripe_sim)

    challenge = purchase.shopper.on_stripe_page(page_url, "pay", card=THREE_D_SECURE_CARD)
    assert "Authenticate your payment" in challenge.text
    stripe_sim.wait_for_deliveries()
    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.REQUIRES_ACTION)

    failed = purchase.shopper.http.post(page_url, data={"action": "fail_authentication"}, timeout=10)
    assert "failed authentication" in failed.text
    stripe_sim.wait_for_deliveries()
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (
        OrderStatus.PENDING,
        PaymentStatus.REQUIRES_PAYMENT_METHOD,
    )
    assert mailoutbox == []

    purchase.shopper.on_stripe_page(page_url, "pay", card=THREE_D_SECURE_CARD)
    paid = purchase.shopper.http.post(
        page_url, data={"action": "authenticate"}, allow_redirects=False, timeout=10
    )
    assert paid.status_code == 303
    stripe_sim.wait_for_deliveries()
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    moves = status_moves(order)
    assert moves[:2] == [
        ("payment_status", PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION),
        ("payment_status", PaymentStatus.REQUIRES_ACTION, PaymentStatus.REQUIRES_PAYMENT_METHOD),
    ]
    # The second challenge's event is applied as Stripe has the payment when it is handled:
    # asking for authentication still, or paid already (nothing to move then).
    assert moves[2:] in (
        [
            ("payment_status", PaymentStatus.REQUIRES_PAYMENT_METHOD, PaymentStatus.REQUIRES_ACTION),
            ("status", OrderStatus.PENDING, OrderStatus.PROCESSING),
            ("payment_status", PaymentStatus.REQUIRES_ACTION, PaymentStatus.PAID),
        ],
        [
            ("status", OrderStatus.PENDING, OrderStatus.PROCESSING),
            ("payment_status", PaymentStatus.REQUIRES_PAYMENT_METHOD, PaymentStatus.PAID),
        ],
    )
    assert len(mailoutbox) == 1


def test_a_bank_transfer_that_clears_confirms_the_order_later(stripe_sim, guest_with_cart, mug, mailoutbox):
    purchase = guest_with_cart((mug, 1))
    page_url, session_id = start_checkout(purchase, stripe_sim)

    started = purchase.shopper.on_stripe_page(page_url, "pay_async")
    assert started.status_code == 303
    stripe_sim.wait_for_deliveries()
    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.PENDING)
    assert order.stripe_payment_intent_id.startswith("pi_")
    assert order.customer_email == "buyer@example.com"
    # The shopper has committed: the cart is done with, whatever the bank says.
    purchase.cart.refresh_from_db()
    assert purchase.cart.status == CartStatus.CHECKED_OUT
    page = purchase.shopper.get(started.headers["Location"])
    assert "Your bank transfer of $18.00 has started" in page.text
    # It takes days: the page does not reload itself every few seconds.
    assert "Refresh" not in page.headers
    assert mailoutbox == []

    stripe_sim.settle_async(session_id, succeeded=True)
    stripe_sim.wait_for_deliveries()
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert len(mailoutbox) == 1
    assert "Refresh" not in purchase.shopper.get(started.headers["Location"]).headers


def test_a_bank_transfer_that_fails_fails_the_order(stripe_sim, guest_with_cart, mug, mailoutbox):
    purchase = guest_with_cart((mug, 1))
    page_url, session_id = start_checkout(purchase, stripe_sim)
    started = purchase.shopper.on_stripe_page(page_url, "pay_async")
    stripe_sim.wait_for_deliveries()

    stripe_sim.settle_async(session_id, succeeded=False)
    stripe_sim.wait_for_deliveries()

    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.FAILED, PaymentStatus.FAILED)
    assert order.paid_at is None
    assert mailoutbox == []
    assert "did not go through" in purchase.shopper.get(started.headers["Location"]).text
    assert not WebhookEvent.objects.filter(processed=False).exists()


def test_an_expired_session_cancels_the_order_and_unlocks_the_cart(stripe_sim, guest_with_cart, mug):
    purchase = guest_with_cart((mug, 1))
    _, session_id = start_checkout(purchase, stripe_sim)

    stripe_sim.expire(session_id)
    stripe_sim.wait_for_deliveries()

    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.CANCELED)
    purchase.cart.refresh_from_db()
    assert purchase.cart.status == CartStatus.ACTIVE
    assert not purchase.cart.is_locked

    # A new checkout of the same items is a new session and a new order, not a replay.
    _, second_session_id = start_checkout(purchase, stripe_sim)
    assert second_session_id != session_id
    assert Order.objects.count() == 2


def test_stripes_back_link_offers_to_cancel_and_the_button_unlocks_the_cart(
    stripe_sim, guest_with_cart, mug, stripe_api
):
    purchase = guest_with_cart((mug, 1))
    page_url, session_id = start_checkout(purchase, stripe_sim)
    back_link = stripe_api().v1.checkout.sessions.retrieve(session_id).cancel_url
    assert back_link == f"{purchase.shopper.base_url}/payments/cancel/"
    assert back_link in purchase.shopper.get(page_url).text

    landing = purchase.shopper.get(back_link)
    assert landing.status_code == 200
    assert ">Cancel payment and edit cart</button>" in landing.text
    assert stripe_api().v1.checkout.sessions.retrieve(session_id).status == "open"
    response = purchase.shopper.post(back_link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/cart/"
    assert "Checkout cancelled" in purchase.shopper.get("/cart/").text
    stripe_sim.wait_for_deliveries()

    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.CANCELED)
    assert stripe_api().v1.checkout.sessions.retrieve(session_id).status == "expired"
    purchase.cart.refresh_from_db()
    assert not purchase.cart.is_locked
    # The checkout.session.expired webhook that followed was a repeat: no second status change.
    assert status_moves(order) == [
        ("status", OrderStatus.PENDING, OrderStatus.CANCELLED),
        ("payment_status", PaymentStatus.PENDING, PaymentStatus.CANCELED),
    ]
    assert WebhookEvent.objects.filter(type="checkout.session.expired", processed=True).count() == 1


def customer_ids_with_email(stripe, email):
    return {
        customer.id
        for customer in stripe.v1.customers.list({"email": email, "limit": 100}).auto_paging_iter()
    }


def test_a_subscription_with_a_trial_for_a_signed_in_user(stripe_sim, user_with_cart, stripe_api, mailoutbox):
    user = factories.UserFactory(email="member@example.com")
    plan = factories.PriceFactory(
        monthly=True, product__name="Coffee club", unit_amount=1200, trial_period_days=14
    )
    purchase = user_with_cart(user, (plan, 1))
    page_url, session_id = start_checkout(purchase, stripe_sim)

    user.refresh_from_db()
    assert user.stripe_customer_id.startswith("cus_")
    session = stripe_api().v1.checkout.sessions.retrieve(session_id)
    assert (session.mode, session.customer) == ("subscription", user.stripe_customer_id)
    order = Order.objects.get()
    assert (order.user, order.customer_email, order.amount_total) == (user, "member@example.com", 0)
    item = order.items.get()
    assert (item.price_type, item.recurring_interval, item.trial_period_days) == ("RECURRING", "month", 14)

    assert purchase.shopper.on_stripe_page(page_url, "pay").status_code == 303
    stripe_sim.wait_for_deliveries()
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert order.amount_total == 0
    assert order.stripe_subscription_id.startswith("sub_")
    assert order.stripe_customer_id == user.stripe_customer_id
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["member@example.com"]
    assert "14-day free trial" in mailoutbox[0].body

    # The next checkout reuses the Stripe customer and makes no other (the simulator is shared:
    # earlier tests may have left customers with this address).
    customers_before = customer_ids_with_email(stripe_api(), "member@example.com")
    again = user_with_cart(user, (plan, 1))
    _, next_session_id = start_checkout(again, stripe_sim)
    assert stripe_api().v1.checkout.sessions.retrieve(next_session_id).customer == user.stripe_customer_id
    assert user.stripe_customer_id in customers_before
    assert customer_ids_with_email(stripe_api(), "member@example.com") == customers_before


def test_the_order_shows_what_stripe_charged_not_what_the_cart_said(stripe_sim, guest_with_cart):
    apron = factories.PriceFactory(product__name="Linen apron", unit_amount=1234)
    purchase = guest_with_cart((apron, 2))
    page_url, _ = start_checkout(purchase, stripe_sim)
    # A checkout never starts on terms Stripe does not share; make our estimate wrong afterwards,
    # as a catalog edit or a rounding of ours could, to see whose figures the order ends with.
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(amount_subtotal=3000, amount_total=3000)
    OrderItem.objects.filter(order=order).update(unit_amount=1500, amount_total=3000)

    purchase.shopper.on_stripe_page(page_url, "pay")
    stripe_sim.wait_for_deliveries()

    order = Order.objects.get()
    assert (order.amount_subtotal, order.amount_total) == (2468, 2468)
    assert order.items.get().unit_amount == 1234
    assert order.items.get().amount_total == 2468
    assert (
        "$24.68"
        in purchase.shopper.get(f"/payments/success/?session_id={order.stripe_checkout_session_id}").text
    )


def test_a_double_click_on_check_out_gives_one_stripe_session_and_one_order(stripe_sim, guest_with_cart, mug):
    purchase = guest_with_cart((mug, 1))
    barrier = threading.Barrier(3)
    locations = []

    def click():
        barrier.wait()
        response = purchase.shopper.checkout()
        locations.append((response.status_code, response.headers.get("Location")))

    clicks = [threading.Thread(target=click) for _ in range(3)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()

    assert len({location for _, location in locations}) == 1, locations
    assert {status for status, _ in locations} == {303}
    order = Order.objects.get()
    purchase.cart.refresh_from_db()
    assert purchase.cart.checkout_session_id == order.stripe_checkout_session_id
    assert order.items.count() == 1
    # A later click goes back to the same open payment page.
    assert purchase.shopper.checkout().headers["Location"] == locations[0][1]


def test_the_success_page_confirms_the_payment_when_the_webhook_has_not_come(
    quiet_sim, guest_with_cart, mug, mailoutbox
):
    purchase = guest_with_cart((mug, 1))
    response = purchase.shopper.checkout()
    page_url = response.headers["Location"]
    success_url = purchase.shopper.on_stripe_page(page_url, "pay").headers["Location"]

    page = purchase.shopper.get(success_url)

    assert page.status_code == 200
    assert "Your payment is confirmed" in page.text
    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert len(mailoutbox) == 1
    purchase.shopper.get(success_url)
    assert len(mailoutbox) == 1
    assert OrderStatusChange.objects.filter(order=order).count() == 2


def test_the_success_page_does_not_mark_an_unpaid_order_paid(quiet_sim, guest_with_cart, mug):
    purchase = guest_with_cart((mug, 1))
    purchase.shopper.checkout()
    order = Order.objects.get()

    page = purchase.shopper.get(f"/payments/success/?session_id={order.stripe_checkout_session_id}")

    assert page.status_code == 200
    assert "has not confirmed your payment yet" in page.text
    assert page.headers["Refresh"] == "3"
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.PENDING)


def test_only_the_buyer_sees_the_success_page(quiet_sim, guest_with_cart, mug, tee, live_server):
    buyer = guest_with_cart((mug, 1))
    buyer.shopper.checkout()
    session_id = Order.objects.get().stripe_checkout_session_id
    stranger = guest_with_cart((tee, 1))

    assert stranger.shopper.get(f"/payments/success/?session_id={session_id}").status_code == 404
    assert buyer.shopper.get("/payments/success/?session_id=cs_test_unknown").status_code == 404
    assert buyer.shopper.get("/payments/success/").status_code == 404
    assert buyer.shopper.get(f"/payments/success/?session_id={session_id}").status_code == 200

"""Subscriptions that renew: each paid renewal invoice becomes one order to ship, through the
simulator's test clock, the stripe SDK and the signed webhook, however Stripe repeats itself."""

import itertools
import json
import logging
import random
import re
import threading
import uuid

import requests
from django.test import Client
from django.urls import reverse

from catalog.models import BillingInterval, Price, PriceType, Variant
from inventory.services import stock_adjust
from orders.models import FulfillmentStatus, Order, OrderStatus, PaymentStatus
from payments.models import WebhookEvent
from tests import factories
from tests.payments.conftest import signature_headers
from tests.payments.subscriptions import advance_one_period, api_of, renewals_of, shop_clock, wait_until

ORDER_NUMBER = re.compile(r"ORD-[0-9A-F]{12}")


def subscribe(purchase, simulator) -> Order:
    """Check the cart out as its shopper would: Stripe's page filled in, the webhook delivered."""
    page_url = purchase.shopper.checkout().headers["Location"]
    assert purchase.shopper.on_stripe_page(page_url, "pay").status_code == 303
    simulator.wait_for_deliveries(timeout=10)
    order = Order.objects.get(stripe_checkout_session_id=page_url.rsplit("/", 1)[1])
    assert order.payment_status == PaymentStatus.PAID
    return order


def post_event(base_url: str, event: dict) -> int:
    payload = json.dumps(event)
    answer = requests.post(
        f"{base_url}/payments/webhook/", data=payload, headers=signature_headers(payload), timeout=10
    )
    return answer.status_code


def invoice_paid_events(simulator) -> list[dict]:
    events = api_of(simulator).v1.events.list({"type": "invoice.paid", "limit": 100})
    assert not events.has_more
    # As Stripe sent them: the SDK's objects would turn decimal strings into Decimals.
    return json.loads(events.last_response.body)["data"]


def test_three_periods_make_three_renewal_orders_each_once_whatever_the_deliveries(
    fresh_sim, guest_with_cart, live_server, mailoutbox
):
    coffee = factories.PriceFactory(monthly=True, product__name="House coffee", unit_amount=1200)
    purchase = guest_with_cart((coffee, 2))
    first = subscribe(purchase, fresh_sim)
    api = api_of(fresh_sim)
    # The guest's customer is the shop's, on the shared clock, with the email typed on Stripe's page.
    customer = api.v1.customers.retrieve(first.stripe_customer_id)
    assert (customer.email, customer.test_clock) == ("buyer@example.com", shop_clock(api).id)
    assert first.stripe_invoice_id.startswith("in_")
    assert first.stripe_payment_intent_id.startswith("pi_")

    for _ in range(3):
        advance_one_period(fresh_sim, first.stripe_subscription_id)
    wait_until(lambda: renewals_of(first).count() == 3)

    # Stripe repeats and reorders: every invoice.paid event again, twice, shuffled, and once more
    # as new events (another id, the same invoice).
    events = invoice_paid_events(fresh_sim)
    assert len(events) == 4  # the checkout's first invoice and three renewals
    copies = [{**event, "id": f"evt_{uuid.uuid4().hex[:24]}"} for event in events]
    redeliveries = events * 2 + copies
    random.Random(14).shuffle(redeliveries)
    assert {post_event(live_server.url, event) for event in redeliveries} == {200}

    renewals = list(renewals_of(first))
    assert len(renewals) == 3
    assert Order.objects.count() == 4
    for renewal in renewals:
        assert ORDER_NUMBER.fullmatch(renewal.number)
        assert (renewal.status, renewal.payment_status, renewal.fulfillment_status) == (
            OrderStatus.PROCESSING,
            PaymentStatus.PAID,
            FulfillmentStatus.UNFULFILLED,
        )
        assert (renewal.currency, renewal.amount_subtotal, renewal.amount_total) == ("usd", 2400, 2400)
        assert (renewal.customer_email, renewal.customer_name) == ("buyer@example.com", first.customer_name)
        assert (renewal.shipping_name, renewal.shipping_address) == (
            first.shipping_name,
            first.shipping_address,
        )
        assert renewal.stripe_subscription_id == first.stripe_subscription_id
        assert renewal.stripe_customer_id == first.stripe_customer_id
        assert renewal.stripe_payment_intent_id.startswith("pi_")
        item = renewal.items.get()
        assert (item.product_name, item.unit_amount, item.quantity, item.amount_total) == (
            "House coffee",
            1200,
            2,
            2400,
        )
        assert (item.price, item.recurring_interval, item.billing_label) == (coffee, "month", "every month")
    assert (
        len({renewal.stripe_payment_intent_id for renewal in renewals} | {first.stripe_payment_intent_id})
        == 4
    )
    assert len({renewal.stripe_invoice_id for renewal in renewals} | {first.stripe_invoice_id}) == 4
    # Paid at the test clock's time, a month apart.
    paid = [first.paid_at] + [renewal.paid_at for renewal in renewals]
    assert all(28 <= (later - earlier).days <= 31 for earlier, later in itertools.pairwise(paid))
    # One receipt per order: the checkout's, then each renewal's.
    receipts = [message for message in mailoutbox if message.to == ["buyer@example.com"]]
    assert len(receipts) == 4
    for renewal in renewals:
        [receipt] = [message for message in receipts if renewal.number in message.subject]
        assert f"Renewal of {first.number}" in receipt.body
        assert "$24.00" in receipt.body
    assert not WebhookEvent.objects.filter(processed=False).exists()


def test_concurrent_deliveries_of_one_renewal_make_one_order_and_one_receipt(
    fresh_quiet_sim, guest_with_cart, live_server, mailoutbox
):
    coffee = factories.PriceFactory(monthly=True, product__name="House coffee", unit_amount=1200)
    purchase = guest_with_cart((coffee, 1))
    page_url = purchase.shopper.checkout().headers["Location"]
    success_url = purchase.shopper.on_stripe_page(page_url, "pay").headers["Location"]
    assert purchase.shopper.get(success_url).status_code == 200
    first = Order.objects.get()
    advance_one_period(fresh_quiet_sim, first.stripe_subscription_id)
    [renewal_event] = [
        event
        for event in invoice_paid_events(fresh_quiet_sim)
        if event["data"]["object"]["billing_reason"] == "subscription_cycle"
    ]
    mailoutbox.clear()

    barrier = threading.Barrier(4)
    answers = []

    def deliver():
        barrier.wait()
        answers.append(post_event(live_server.url, {**renewal_event, "id": f"evt_{uuid.uuid4().hex[:24]}"}))

    workers = [threading.Thread(target=deliver) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert answers == [200] * 4
    [renewal] = renewals_of(first)
    assert renewal.stripe_invoice_id == renewal_event["data"]["object"]["id"]
    assert renewal.items.count() == 1
    assert len(mailoutbox) == 1
    assert renewal.number in mailoutbox[0].subject


def test_a_trial_ships_the_checkout_order_and_its_first_charge_is_a_renewal(
    fresh_sim, user_with_cart, live_server, mailoutbox, caplog
):
    caplog.set_level(logging.INFO, logger="orders.services")
    user = factories.UserFactory(email="member@example.com", name="Mira Member")
    plan = factories.PriceFactory(
        monthly=True, product__name="Tea club", unit_amount=900, trial_period_days=14
    )
    first = subscribe(user_with_cart(user, (plan, 1)), fresh_sim)
    # The trial's invoice of 0 paid nothing: the checkout order is the one that ships, no other.
    assert (first.amount_total, first.stripe_payment_intent_id) == (0, None)
    assert first.stripe_invoice_id.startswith("in_")
    assert list(Order.objects.awaiting_fulfilment()) == [first]
    user.refresh_from_db()
    customer = api_of(fresh_sim).v1.customers.retrieve(user.stripe_customer_id)
    assert customer.test_clock == shop_clock(api_of(fresh_sim)).id

    advance_one_period(fresh_sim, first.stripe_subscription_id)

    [renewal] = wait_until(lambda: list(renewals_of(first)))
    assert (renewal.user, renewal.amount_total, renewal.payment_status) == (user, 900, PaymentStatus.PAID)
    assert renewal.fulfillment_status == FulfillmentStatus.UNFULFILLED
    # The log ties the renewal to the subscription's first order and to Stripe's invoice.
    assert (
        f"order {renewal.number}: renewal of {first.number}, invoice {renewal.stripe_invoice_id}"
        in caplog.messages
    )
    # The customer's order history and the order's own page say what it is.
    browser = Client()
    browser.force_login(user)
    history = browser.get(reverse("orders:list")).content.decode()
    assert renewal.number in history
    assert f"Renewal of {first.number}" in history
    page = browser.get(renewal.get_absolute_url()).content.decode()
    assert f"Renewal of {first.number}" in page
    assert "$9.00" in page


def test_an_invoice_paid_event_in_an_older_api_version_still_makes_its_renewal_order(
    fresh_quiet_sim, guest_with_cart, live_server, settings
):
    coffee = factories.PriceFactory(monthly=True, product__name="House coffee", unit_amount=1200)
    purchase = guest_with_cart((coffee, 1))
    page_url = purchase.shopper.checkout().headers["Location"]
    success_url = purchase.shopper.on_stripe_page(page_url, "pay").headers["Location"]
    assert purchase.shopper.get(success_url).status_code == 200
    first = Order.objects.get()
    advance_one_period(fresh_quiet_sim, first.stripe_subscription_id)
    [event] = [
        event
        for event in invoice_paid_events(fresh_quiet_sim)
        if event["data"]["object"]["billing_reason"] == "subscription_cycle"
    ]
    # As an endpoint on API version 2024-06-20 receives it: the subscription at the top level, no parent.
    invoice = dict(event["data"]["object"])
    invoice["subscription"] = invoice.pop("parent")["subscription_details"]["subscription"]
    old = {**event, "api_version": "2024-06-20", "data": {"object": invoice}}

    assert post_event(live_server.url, old) == 200

    [renewal] = renewals_of(first)
    assert renewal.stripe_invoice_id == invoice["id"]
    stored = WebhookEvent.objects.get(stripe_event_id=old["id"])
    assert (stored.processed, stored.last_error, stored.api_version) == (True, "", "2024-06-20")
    # Staff see the event was rendered in another version than the shop's pinned one.
    staff = Client()
    staff.force_login(factories.SuperAdminFactory())
    listing = staff.get(reverse("admin:payments_webhookevent_changelist"), {"api_version": "other"})
    assert [e.stripe_event_id for e in listing.context["cl"].result_list] == [old["id"]]
    assert f"2024-06-20 (not {settings.STRIPE_API_VERSION})" in listing.text
    page = staff.get(reverse("admin:payments_webhookevent_change", args=[stored.pk])).text
    assert f"2024-06-20 (not {settings.STRIPE_API_VERSION})" in page


def test_a_renewal_names_the_variant_subscribed_beside_another_variants_renewal(fresh_sim, guest_with_cart):
    tee = factories.ProductFactory(
        name="Organic Cotton T-Shirt",
        option_axes=[{"name": "Size", "values": ["M", "L"]}, {"name": "Colour", "values": ["Black", "Navy"]}],
    )
    monthly = {"type": PriceType.RECURRING, "recurring_interval": BillingInterval.MONTH, "currency": "usd"}
    orders = []
    for size, colour in [("M", "Black"), ("L", "Navy")]:
        variant = Variant.objects.create(product=tee, option_values={"Size": size, "Colour": colour})
        stock_adjust(variant=variant, quantity=5, reason="Delivery")
        price = Price.objects.create(product=tee, variant=variant, unit_amount=2000, **monthly)
        orders.append(subscribe(guest_with_cart((price, 1)), fresh_sim))
    first, other = orders

    # One clock: both subscriptions renew.
    advance_one_period(fresh_sim, first.stripe_subscription_id)
    wait_until(lambda: renewals_of(first).exists() and renewals_of(other).exists())

    assert [str(item) for item in renewals_of(first).get().items.all()] == [
        "1 × Organic Cotton T-Shirt (M, Black)"
    ]
    assert [str(item) for item in renewals_of(other).get().items.all()] == [
        "1 × Organic Cotton T-Shirt (L, Navy)"
    ]

"""Forged events: signed with the endpoint's secret (a leaked one), naming a real object or a made-up
one, with a body that lies. Each handler reads the object from Stripe, so the lie changes nothing.

One test per handler in the webhook map; neighbours (another order, user, product) stay untouched.
"""

import json
import time
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from catalog.models import Price, Product
from orders.models import Order, OrderStatus, PaymentStatus, Refund
from orders.selectors import order_refundable_amount
from payments.confirmation import checkout_session_confirm
from payments.models import WebhookEvent
from payments.subscriptions import subscription_sync
from payments.webhooks import WEBHOOK_HANDLERS
from subscriptions.models import Subscription
from tests import factories
from tests.payments.conftest import open_checkout, signature_headers
from tests.staff.helpers import paid_order


@pytest.fixture(autouse=True)
def _database(db):
    pass


def made_up(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def forged(event_type: str, obj: dict) -> dict:
    return {
        "id": made_up("evt_"),
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def post(event: dict) -> WebhookEvent:
    payload = json.dumps(event)
    response = Client().post(
        reverse("payments:webhook"),
        payload,
        content_type="application/json",
        headers=signature_headers(payload),
    )
    assert response.status_code == 200, response.content
    return WebhookEvent.objects.get(stripe_event_id=event["id"])


def assert_ignored(stored: WebhookEvent, because: str) -> None:
    assert stored.processed
    assert stored.last_error.startswith("Ignored: ")
    assert because in stored.last_error


def order_money(order: Order) -> tuple:
    order = Order.objects.get(pk=order.pk)
    return order.status, order.payment_status, order.refunded_amount, order.metadata


FORGED_TESTS = {
    "checkout.session.completed": "test_a_forged_session_event_changes_no_order",
    "checkout.session.async_payment_succeeded": "test_a_forged_session_event_changes_no_order",
    "checkout.session.async_payment_failed": "test_a_forged_session_event_changes_no_order",
    "checkout.session.expired": "test_a_forged_session_event_changes_no_order",
    "payment_intent.succeeded": "test_a_forged_payment_intent_event_changes_no_order",
    "payment_intent.payment_failed": "test_a_forged_payment_intent_event_changes_no_order",
    "payment_intent.requires_action": "test_a_forged_payment_intent_event_changes_no_order",
    "payment_intent.canceled": "test_a_forged_cancel_of_an_open_checkout_leaves_it_payable",
    "charge.refunded": "test_a_forged_charge_refunded_refunds_nothing",
    "refund.created": "test_a_forged_refund_event_of_an_unknown_refund_is_ignored",
    "refund.updated": "test_a_forged_refund_event_of_an_unknown_refund_is_ignored",
    "refund.failed": "test_a_forged_refund_event_of_an_unknown_refund_is_ignored",
    "charge.refund.updated": "test_a_forged_refund_event_of_an_unknown_refund_is_ignored",
    "charge.dispute.created": "test_a_forged_dispute_event_records_no_dispute",
    "charge.dispute.updated": "test_a_forged_dispute_event_records_no_dispute",
    "charge.dispute.closed": "test_a_forged_dispute_event_records_no_dispute",
    "charge.dispute.funds_withdrawn": "test_a_forged_dispute_event_records_no_dispute",
    "charge.dispute.funds_reinstated": "test_a_forged_dispute_event_records_no_dispute",
    "customer.created": "test_a_forged_customer_event_links_no_user",
    "customer.updated": "test_a_forged_customer_event_links_no_user",
    "customer.deleted": "test_a_forged_customer_deleted_unlinks_no_user",
    "product.created": "test_a_forged_catalog_event_links_nothing",
    "product.updated": "test_a_forged_catalog_event_links_nothing",
    "product.deleted": "test_a_forged_catalog_deletion_deactivates_nothing",
    "price.created": "test_a_forged_catalog_event_links_nothing",
    "price.updated": "test_a_forged_catalog_event_links_nothing",
    "price.deleted": "test_a_forged_catalog_deletion_deactivates_nothing",
    "invoice.paid": "test_a_forged_invoice_event_makes_no_order_and_sends_nothing",
    "invoice.payment_failed": "test_a_forged_invoice_event_makes_no_order_and_sends_nothing",
    "invoice.payment_action_required": "test_a_forged_invoice_event_makes_no_order_and_sends_nothing",
    "invoice.upcoming": "test_a_forged_invoice_event_makes_no_order_and_sends_nothing",
    "customer.subscription.created": "test_a_forged_subscription_event_records_no_subscription",
    "customer.subscription.updated": "test_a_forged_subscription_event_records_no_subscription",
    "customer.subscription.deleted": "test_a_forged_subscription_event_records_no_subscription",
    "customer.subscription.paused": "test_a_forged_subscription_event_records_no_subscription",
    "customer.subscription.resumed": "test_a_forged_subscription_event_records_no_subscription",
    "customer.subscription.trial_will_end": "test_a_forged_subscription_event_records_no_subscription",
}


def test_every_handler_in_the_webhook_map_has_a_forged_body_test():
    assert set(WEBHOOK_HANDLERS) == set(FORGED_TESTS)
    assert set(FORGED_TESTS.values()) <= set(globals())


# --- Checkout and payment intents ----------------------------------------------------------


@pytest.mark.parametrize(
    "event_type",
    [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
    ],
)
def test_a_forged_session_event_changes_no_order(quiet_sim, event_type):
    order = open_checkout()
    neighbour = paid_order(quiet_sim, delivered=False)
    before = order_money(order), order_money(neighbour)
    lie = {"object": "checkout.session", "status": "complete", "payment_status": "paid"}

    # The real open session said to be paid, then a made-up one naming the real order.
    real = post(forged(event_type, {**lie, "id": order.stripe_checkout_session_id}))
    invented = post(
        forged(event_type, {**lie, "id": made_up("cs_test_"), "metadata": {"order_number": order.number}})
    )

    assert (order_money(order), order_money(neighbour)) == before
    assert real.processed
    assert_ignored(invented, "Stripe has no checkout session")


@pytest.mark.parametrize(
    "event_type",
    ["payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.requires_action"],
)
def test_a_forged_payment_intent_event_changes_no_order(quiet_sim, event_type):
    order = open_checkout()
    paid = paid_order(quiet_sim, delivered=False)
    before = order_money(order), order_money(paid)

    invented = post(
        forged(
            event_type,
            {
                "id": made_up("pi_"),
                "object": "payment_intent",
                "status": "requires_payment_method",
                "metadata": {"order_number": order.number},
                "last_payment_error": {"message": "Your card was declined."},
            },
        )
    )
    # The paid order's real intent, said to be waiting again.
    real = post(
        forged(
            event_type,
            {"id": paid.stripe_payment_intent_id, "object": "payment_intent", "status": "requires_action"},
        )
    )

    assert (order_money(order), order_money(paid)) == before
    assert not order.status_changes.exists()
    assert_ignored(invented, "Stripe has no payment intent")
    assert real.processed


def test_a_forged_cancel_of_an_open_checkout_leaves_it_payable(quiet_sim):
    order = open_checkout()
    neighbour = open_checkout()

    stored = post(
        forged(
            "payment_intent.canceled",
            {
                "id": made_up("pi_"),
                "object": "payment_intent",
                "status": "canceled",
                "metadata": {"order_number": order.number},
            },
        )
    )
    assert_ignored(stored, "Stripe has no payment intent")
    assert Order.objects.get(pk=order.pk).payment_status == PaymentStatus.PENDING

    # The shopper then pays for real: the order is paid like any other.
    quiet_sim.pay(order.stripe_checkout_session_id)
    checkout_session_confirm(session_id=order.stripe_checkout_session_id)
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert order.paid_at is not None
    assert Order.objects.get(pk=neighbour.pk).payment_status == PaymentStatus.PENDING


# --- Refunds and disputes ------------------------------------------------------------------


def test_a_forged_charge_refunded_refunds_nothing(quiet_sim, stripe_api):
    order = paid_order(quiet_sim, delivered=False, unit_amount=700, quantity=2)
    neighbour = paid_order(quiet_sim, delivered=False)
    before = order_money(order), order_money(neighbour)
    charge_id = stripe_api().v1.payment_intents.retrieve(order.stripe_payment_intent_id).latest_charge
    lie = {"object": "charge", "amount": 1400, "amount_refunded": 1400, "refunded": True, "currency": "usd"}

    invented = post(
        forged(
            "charge.refunded", {**lie, "id": made_up("ch_"), "payment_intent": order.stripe_payment_intent_id}
        )
    )
    real = post(
        forged("charge.refunded", {**lie, "id": charge_id, "payment_intent": order.stripe_payment_intent_id})
    )

    assert (order_money(order), order_money(neighbour)) == before
    assert not Refund.objects.exists()
    assert order_refundable_amount(order=Order.objects.get(pk=order.pk)) == 1400
    assert_ignored(invented, "Stripe has no charge")
    assert real.processed


@pytest.mark.parametrize(
    "event_type", ["refund.created", "refund.updated", "refund.failed", "charge.refund.updated"]
)
def test_a_forged_refund_event_of_an_unknown_refund_is_ignored(quiet_sim, event_type):
    order = paid_order(quiet_sim, delivered=False)
    before = order_money(order)

    stored = post(
        forged(
            event_type,
            {
                "id": made_up("re_"),
                "object": "refund",
                "amount": 3600,
                "currency": "usd",
                "status": "succeeded",
                "payment_intent": order.stripe_payment_intent_id,
            },
        )
    )

    assert_ignored(stored, "Stripe has no refund")
    assert order_money(order) == before
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    "event_type",
    [
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
    ],
)
def test_a_forged_dispute_event_records_no_dispute(quiet_sim, event_type):
    order = paid_order(quiet_sim, delivered=False)
    before = order_money(order)

    stored = post(
        forged(
            event_type,
            {
                "id": made_up("dp_"),
                "object": "dispute",
                "amount": 3600,
                "currency": "usd",
                "status": "lost",
                "reason": "fraudulent",
                "payment_intent": order.stripe_payment_intent_id,
            },
        )
    )

    assert_ignored(stored, "Stripe has no dispute")
    assert order_money(order) == before
    assert Order.objects.get(pk=order.pk).dispute is None


# --- Customers -----------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", ["customer.created", "customer.updated"])
def test_a_forged_customer_event_links_no_user(quiet_sim, stripe_api, event_type):
    user = factories.UserFactory(stripe_customer_id=None)
    other = factories.UserFactory(stripe_customer_id=None)
    # A real customer of the other user, said to be this user's.
    real = stripe_api().v1.customers.create({"metadata": {"user_id": str(other.pk)}})

    invented = post(
        forged(
            event_type, {"id": made_up("cus_"), "object": "customer", "metadata": {"user_id": str(user.pk)}}
        )
    )
    lied = post(
        forged(event_type, {"id": real.id, "object": "customer", "metadata": {"user_id": str(user.pk)}})
    )

    assert_ignored(invented, "Stripe has no customer")
    assert lied.processed
    assert User.objects.get(pk=user.pk).stripe_customer_id is None
    assert User.objects.get(pk=other.pk).stripe_customer_id == real.id


def test_a_forged_customer_deleted_unlinks_no_user(quiet_sim, stripe_api):
    api = stripe_api()
    customer = api.v1.customers.create({"email": "kept@example.com"})
    user = factories.UserFactory(stripe_customer_id=customer.id)
    gone = api.v1.customers.create({"email": "gone@example.com"})
    api.v1.customers.delete(gone.id)
    leaver = factories.UserFactory(stripe_customer_id=gone.id)

    lied = post(forged("customer.deleted", {"id": customer.id, "object": "customer", "deleted": True}))
    true = post(forged("customer.deleted", {"id": gone.id, "object": "customer", "deleted": True}))

    assert_ignored(lied, f"Stripe still has customer {customer.id}")
    assert (true.processed, true.last_error) == (True, "")
    assert User.objects.get(pk=user.pk).stripe_customer_id == customer.id
    assert User.objects.get(pk=leaver.pk).stripe_customer_id is None


# --- Catalog -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event_type", ["product.created", "product.updated", "price.created", "price.updated"]
)
def test_a_forged_catalog_event_links_nothing(quiet_sim, event_type):
    product = factories.ProductFactory(stripe_product_id=None, name="Mug")
    price = factories.PriceFactory(product=factories.ProductFactory(), stripe_price_id=None)
    kind = event_type.split(".")[0]
    row, key = (product, "product_id") if kind == "product" else (price, "price_id")

    stored = post(
        forged(
            event_type,
            {
                "id": made_up("prod_" if kind == "product" else "price_"),
                "object": kind,
                "name": "Renamed by a forger",
                "active": True,
                "metadata": {key: str(row.pk)},
            },
        )
    )

    assert_ignored(stored, f"Stripe has no {kind}")
    assert Product.objects.get(pk=product.pk).stripe_product_id is None
    assert Product.objects.get(pk=product.pk).name == "Mug"
    assert Price.objects.get(pk=price.pk).stripe_price_id is None


@pytest.mark.parametrize("kind", ["product", "price"])
def test_a_forged_catalog_deletion_deactivates_nothing(quiet_sim, stripe_api, kind):
    api = stripe_api()
    stripe_product = api.v1.products.create({"name": "Mug"})
    stripe_price = api.v1.prices.create({"product": stripe_product.id, "unit_amount": 900, "currency": "usd"})
    product = factories.ProductFactory(stripe_product_id=stripe_product.id)
    price = factories.PriceFactory(product=product, stripe_price_id=stripe_price.id)
    stripe_id = stripe_product.id if kind == "product" else stripe_price.id

    stored = post(forged(f"{kind}.deleted", {"id": stripe_id, "object": kind, "deleted": True}))

    assert_ignored(stored, f"Stripe still has {kind} {stripe_id}")
    assert Product.objects.get(pk=product.pk).active
    assert Price.objects.get(pk=price.pk).active


# --- Subscriptions and their invoices ------------------------------------------------------


@pytest.mark.parametrize(
    "event_type",
    ["invoice.paid", "invoice.payment_failed", "invoice.payment_action_required", "invoice.upcoming"],
)
def test_a_forged_invoice_event_makes_no_order_and_sends_nothing(quiet_sim, mailoutbox, event_type):
    first = paid_order(quiet_sim, delivered=False)
    invoice = {
        "object": "invoice",
        "status": "paid" if event_type == "invoice.paid" else "open",
        "billing_reason": "subscription_cycle",
        "amount_paid": 3600,
        "currency": "usd",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": made_up("sub_"),
                "metadata": {"order_number": first.number},
            },
        },
    }
    if event_type != "invoice.upcoming":
        invoice["id"] = made_up("in_")
    mailoutbox.clear()

    stored = post(forged(event_type, invoice))

    assert_ignored(stored, "Stripe has no")
    assert list(Order.objects.values_list("pk", flat=True)) == [first.pk]
    assert not Subscription.objects.exists()
    assert not mailoutbox


@pytest.mark.parametrize(
    "event_type",
    [
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "customer.subscription.trial_will_end",
    ],
)
def test_a_forged_subscription_event_records_no_subscription(quiet_sim, mailoutbox, event_type):
    first = paid_order(quiet_sim, delivered=False)
    mailoutbox.clear()

    stored = post(
        forged(
            event_type,
            {
                "id": made_up("sub_"),
                "object": "subscription",
                "status": "trialing",
                "customer": first.stripe_customer_id or made_up("cus_"),
                "metadata": {"order_number": first.number},
            },
        )
    )

    assert_ignored(stored, "Stripe has no subscription")
    assert not Subscription.objects.exists()
    assert not mailoutbox


def test_forged_bodies_about_a_real_subscription_and_its_invoice_change_nothing(
    fresh_quiet_sim, guest_with_cart, mailoutbox
):
    coffee = factories.PriceFactory(monthly=True, product__name="House coffee", unit_amount=1200)
    purchase = guest_with_cart((coffee, 1))
    page_url = purchase.shopper.checkout().headers["Location"]
    success_url = purchase.shopper.on_stripe_page(page_url, "pay").headers["Location"]
    assert purchase.shopper.get(success_url).status_code == 200
    first = Order.objects.get()
    subscription = subscription_sync(stripe_subscription_id=first.stripe_subscription_id)
    assert subscription.status == "active"
    mailoutbox.clear()

    # Said to be canceled, and its paid first invoice said to be unpaid.
    for event_type in ("customer.subscription.deleted", "customer.subscription.updated"):
        post(
            forged(
                event_type,
                {"id": subscription.stripe_subscription_id, "object": "subscription", "status": "canceled"},
            )
        )
    for event_type in ("invoice.payment_failed", "invoice.payment_action_required"):
        post(
            forged(
                event_type,
                {
                    "id": first.stripe_invoice_id,
                    "object": "invoice",
                    "status": "open",
                    "amount_remaining": 1200,
                },
            )
        )
    post(
        forged(
            "invoice.paid",
            {"id": first.stripe_invoice_id, "object": "invoice", "billing_reason": "subscription_cycle"},
        )
    )

    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert list(Order.objects.values_list("pk", flat=True)) == [first.pk]
    assert not mailoutbox

"""A bank transfer to Stripe's account (`customer_balance`): the payment waits, for days and in
parts, for the shopper's bank. The shop says what to send where, once by email and on the order's
success page, and waits without reloading; the money arriving confirms the order."""

import json
import re

import requests

from orders.models import Order, OrderStatus, PaymentStatus
from payments.models import WebhookEvent
from tests import factories
from tests.payments.conftest import signature_headers
from tests.payments.test_purchase import start_checkout


def test_a_bank_transfer_shows_and_emails_its_instructions_and_waits_for_the_money(
    stripe_sim, guest_with_cart, stripe_api, live_server, mailoutbox
):
    mug = factories.PriceFactory(product__name="Mug", unit_amount=1800)
    neighbour = factories.OrderFactory(status=OrderStatus.PENDING)
    purchase = guest_with_cart((mug, 1))
    page_url, session_id = start_checkout(purchase, stripe_sim)

    started = purchase.shopper.on_stripe_page(page_url, "pay_bank_transfer")
    assert started.status_code == 303
    stripe_sim.wait_for_deliveries()

    order = Order.objects.get(stripe_checkout_session_id=session_id)
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.PENDING)
    intent = stripe_api().v1.payment_intents.retrieve(order.stripe_payment_intent_id)
    instructions = intent.next_action.display_bank_transfer_instructions
    account = instructions.financial_addresses[0].aba
    page = purchase.shopper.get(started.headers["Location"])
    # Days of waiting: no reloading every few seconds, and no talk of confirming a card.
    assert "Refresh" not in page.headers
    assert "Transfer $18.00" in page.text
    for detail in (instructions.reference, account.routing_number, account.account_number):
        assert detail in page.text
    [email] = mailoutbox
    assert email.to == ["buyer@example.com"]
    # The order's own page, which the email links to, says the same.
    order_path = re.search(r"See your order: https?://[^/\s]+(/\S+)", email.body).group(1)
    order_page = requests.get(live_server.url + order_path, timeout=10).text
    assert "Transfer $18.00" in order_page
    assert instructions.reference in order_page
    assert "There is nothing more to do" not in order_page
    assert order.number in email.subject
    for detail in ("$18.00", instructions.reference, account.routing_number, account.account_number):
        assert detail in email.body
    [(html, _)] = email.alternatives
    assert instructions.reference in html

    # Part of the money arrives: the page asks for the rest.
    stripe_sim.fund_bank_transfer(session_id, amount=1000)
    stripe_sim.wait_for_deliveries()
    page = purchase.shopper.get(started.headers["Location"])
    assert "Transfer $8.00" in page.text
    assert "Refresh" not in page.headers
    # Stripe delivering the instructions' event again sends no second email.
    [event] = stripe_api().v1.events.list({"type": "payment_intent.requires_action", "limit": 1}).data
    payload = json.dumps(event.to_dict())
    answer = requests.post(
        f"{live_server.url}/payments/webhook/", data=payload, headers=signature_headers(payload), timeout=10
    )
    assert answer.status_code == 200
    assert len(mailoutbox) == 1

    stripe_sim.fund_bank_transfer(session_id)
    stripe_sim.wait_for_deliveries()

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert len(mailoutbox) == 2
    assert "Your payment is confirmed" in purchase.shopper.get(started.headers["Location"]).text
    neighbour.refresh_from_db()
    assert (neighbour.status, neighbour.payment_status) == (OrderStatus.PENDING, PaymentStatus.PENDING)
    assert not WebhookEvent.objects.filter(processed=False).exists()


def test_an_event_that_claims_a_bank_transfer_stripe_does_not_have_sends_no_instructions(
    stripe_sim, guest_with_cart, stripe_api, live_server, mailoutbox
):
    mug = factories.PriceFactory(product__name="Mug", unit_amount=1800)
    purchase = guest_with_cart((mug, 1))
    page_url, session_id = start_checkout(purchase, stripe_sim)
    # A card that waits for 3-D Secure: Stripe's payment intent requires action, with no transfer.
    purchase.shopper.on_stripe_page(page_url, "pay", card="4000002760003184")
    stripe_sim.wait_for_deliveries()
    intent_id = stripe_api().v1.checkout.sessions.retrieve(session_id).payment_intent
    forged = {
        "id": "evt_forged_bank_transfer",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": 1_800_000_000,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "payment_intent.requires_action",
        "data": {
            "object": {
                "id": intent_id,
                "object": "payment_intent",
                "status": "requires_action",
                "next_action": {
                    "type": "display_bank_transfer_instructions",
                    "display_bank_transfer_instructions": {
                        "amount_remaining": 1,
                        "reference": "SEND-IT-HERE",
                    },
                },
            }
        },
    }
    payload = json.dumps(forged)

    answer = requests.post(
        f"{live_server.url}/payments/webhook/", data=payload, headers=signature_headers(payload), timeout=10
    )

    assert answer.status_code == 200
    assert mailoutbox == []
    order = Order.objects.get(stripe_checkout_session_id=session_id)
    assert order.payment_status == PaymentStatus.REQUIRES_ACTION

"""A shopper pays with a card that asks for 3-D Secure: a failed challenge lets them try again,
a completed one pays the order."""

from playwright.sync_api import expect

from orders.models import Order, OrderStatus, PaymentStatus
from tests import factories
from tests.e2e.steps import (
    PAYMENT_CONFIRMED_TIMEOUT_MS,
    add_to_cart,
    check_out,
    fill_stripe_page,
    open_product,
)

# Stripe's test card that always asks the cardholder to authenticate.
THREE_D_SECURE_CARD = "4000 0027 6000 3184"


def test_a_shopper_authenticates_a_3d_secure_card_and_the_order_is_paid(page, shop, mailoutbox):
    factories.PriceFactory(product__name="Brass Fountain Pen", unit_amount=4500)

    page.goto("/")
    open_product(page, "Brass Fountain Pen")
    add_to_cart(page, "$45.00")
    check_out(page)
    fill_stripe_page(page, email="sam@example.com")
    page.get_by_label("Card number").fill(THREE_D_SECURE_CARD)
    page.get_by_role("button", name="Pay $45.00").click()

    expect(page.get_by_role("heading", name="Authenticate your payment")).to_be_visible()
    page.get_by_role("button", name="Fail authentication").click()
    expect(page.get_by_role("alert")).to_contain_text("failed authentication")

    fill_stripe_page(page, email="sam@example.com")
    page.get_by_label("Card number").fill(THREE_D_SECURE_CARD)
    page.get_by_role("button", name="Pay $45.00").click()
    page.get_by_role("button", name="Complete authentication").click()

    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible(
        timeout=PAYMENT_CONFIRMED_TIMEOUT_MS
    )
    shop.wait_for_deliveries()
    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert [message.to for message in mailoutbox] == [["sam@example.com"]]

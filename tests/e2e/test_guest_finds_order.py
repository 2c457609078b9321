"""A guest buys, signs up with the address they paid with, confirms it, and finds the order."""

from playwright.sync_api import expect

from orders.models import Order
from tests import factories
from tests.e2e.steps import (
    PAYMENT_CONFIRMED_TIMEOUT_MS,
    add_to_cart,
    check_out,
    fill_stripe_page,
    open_product,
    sign_up_and_verify,
)

PASSWORD = "a-Quite-long-Passphrase-42"


def test_a_guest_signs_up_with_the_checkout_address_and_finds_the_order(page, shop, mailoutbox):
    factories.PriceFactory(product__name="Enamel Camp Mug", unit_amount=1800)

    page.goto("/")
    open_product(page, "Enamel Camp Mug")
    add_to_cart(page, "$18.00")
    check_out(page)
    fill_stripe_page(page, email="ada@example.com")
    page.get_by_role("button", name="Pay $18.00").click()
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible(
        timeout=PAYMENT_CONFIRMED_TIMEOUT_MS
    )
    order = Order.objects.get()

    # Before any account: the success page's link opens the order, and only it.
    page.get_by_role("link", name="View your order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    expect(page.get_by_role("table", name="Items")).to_contain_text("Enamel Camp Mug")
    page.go_back()

    page.get_by_role("link", name="Create an account").click()
    # The address as typed differs in case from the one paid with: it is the same address.
    sign_up_and_verify(page, mailoutbox, "Ada@Example.com", PASSWORD)
    page.goto("/orders/")
    orders = page.get_by_role("table", name="Your orders, newest first")
    expect(orders.get_by_role("link", name=order.number)).to_be_visible()
    orders.get_by_role("link", name=order.number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    expect(page.get_by_text("Enamel Camp Mug")).to_be_visible()

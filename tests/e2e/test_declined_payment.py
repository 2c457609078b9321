"""A declined card leaves the shopper's cart as it was, and theirs to change again."""

import re

from playwright.sync_api import expect

from orders.models import Order, OrderStatus
from tests import factories
from tests.e2e.steps import (
    add_to_cart,
    check_out,
    expect_subtotal,
    fill_stripe_page,
    open_product,
    set_quantity,
)


def test_after_a_declined_payment_the_shopper_goes_back_and_changes_the_cart(page, shop, mailoutbox):
    factories.PriceFactory(product__name="Brass Fountain Pen", unit_amount=4500)

    page.goto("/")
    open_product(page, "Brass Fountain Pen")
    add_to_cart(page, "$45.00")
    check_out(page)
    fill_stripe_page(page, email="sam@example.com")
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    expect(page.get_by_role("button", name="Pay $45.00")).to_be_visible()

    page.get_by_role("link", name="← Back").click()
    expect(page.get_by_role("heading", name="Cancel your payment?")).to_be_visible()
    page.get_by_role("button", name="Cancel payment and edit cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        "Checkout cancelled. Nothing was charged, and your cart can be changed again."
    )
    expect(page.get_by_role("list", name="Items in your cart")).to_contain_text("Brass Fountain Pen")
    set_quantity(page, "Brass Fountain Pen", 3)
    expect_subtotal(page, "$135.00")
    expect(page.get_by_role("link", name=re.compile(r"^Cart 3 items$"))).to_be_visible()
    expect(page.get_by_role("button", name="Check out")).to_be_visible()

    check_out(page)
    expect(page.get_by_role("button", name="Pay $135.00")).to_be_visible()
    shop.wait_for_deliveries()
    assert Order.objects.get(amount_total=4500).status == OrderStatus.CANCELLED
    assert mailoutbox == []

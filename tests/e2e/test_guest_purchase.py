"""A guest finds, collects and pays for two products, and gets the order confirmed."""

import re

from django.core.management import call_command
from playwright.sync_api import expect

from orders.models import Order
from tests.e2e.steps import (
    PAYMENT_CONFIRMED_TIMEOUT_MS,
    add_to_cart,
    check_out,
    expect_subtotal,
    fill_stripe_page,
    open_product,
    set_quantity,
)


def test_a_guest_buys_two_products_and_sees_the_order_confirmed(page, shop, mailoutbox):
    call_command("load_demo_catalog", verbosity=0)

    page.goto("/")
    expect(page.get_by_role("heading", name="Shop everyday goods")).to_be_visible()
    page.get_by_role("searchbox", name="Search").fill("mug")
    page.get_by_role("button", name="Show products").click()
    expect(page.get_by_role("heading", name="Results for “mug”")).to_be_visible()
    expect(page.get_by_text("1 product", exact=True)).to_be_visible()
    open_product(page, "Enamel Camp Mug")
    add_to_cart(page, "$18.00")
    expect(page.get_by_role("status")).to_contain_text("Added 1 × Enamel Camp Mug ($18.00) to your cart.")

    page.get_by_role("link", name="Continue shopping").click()
    open_product(page, "Canvas Tote Bag")
    add_to_cart(page, "$24.00")
    page.get_by_role("link", name="Continue shopping").click()
    open_product(page, "Linen Apron")
    add_to_cart(page, "$38.00")
    expect_subtotal(page, "$80.00")

    set_quantity(page, "Enamel Camp Mug", 2)
    page.get_by_role("button", name="Remove Linen Apron").click()
    expect(page.get_by_role("status")).to_contain_text("Item removed from your cart.")
    lines = page.get_by_role("list", name="Items in your cart").get_by_role("listitem")
    expect(lines).to_have_count(2)
    expect(lines.filter(has_text="Enamel Camp Mug")).to_contain_text("$36.00")
    expect(lines.filter(has_text="Canvas Tote Bag")).to_contain_text("$24.00")
    expect_subtotal(page, "$60.00")
    expect(page.get_by_role("link", name=re.compile(r"^Cart 3 items$"))).to_be_visible()

    check_out(page)
    summary = page.get_by_role("table", name="Order summary")
    expect(summary.get_by_role("row", name=re.compile("Enamel Camp Mug"))).to_contain_text("$36.00")
    expect(summary.get_by_role("row", name=re.compile("Canvas Tote Bag"))).to_contain_text("$24.00")
    # The demo's shipping rates: the cheapest is preselected, the shopper picks the courier.
    expect(page.get_by_label(re.compile("^Standard post — \\$4.95"))).to_be_checked()
    expect(summary.get_by_role("row", name="Shipping")).to_contain_text("$4.95")
    page.get_by_label(re.compile("^Express courier — \\$12.00 \\(1–2 business days\\)")).check()
    page.get_by_role("button", name="Update total").click()
    expect(summary.get_by_role("row", name="Shipping")).to_contain_text("$12.00")
    expect(summary.get_by_role("row", name=re.compile("^Total"))).to_contain_text("$72.00")
    fill_stripe_page(page, email="ada@example.com")
    page.get_by_role("button", name="Pay $72.00").click()

    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible(
        timeout=PAYMENT_CONFIRMED_TIMEOUT_MS
    )
    order = Order.objects.get()
    expect(page.get_by_text(f"Order {order.number}", exact=True)).to_be_visible()
    status = page.get_by_role("status")
    expect(status).to_contain_text(
        "Your payment is confirmed. We're emailing your confirmation to ada@example.com."
    )
    expect(status).to_contain_text("Order status: Processing · Payment: Paid")
    expect(page.get_by_role("row", name="Shipping (Express courier)")).to_contain_text("$12.00")
    expect(page.get_by_role("row", name=re.compile("^Total paid"))).to_contain_text("$72.00")
    expect(page.get_by_role("heading", name="Shipping to")).to_be_visible()
    expect(page.get_by_text("1 Harbour Street")).to_be_visible()

    shop.wait_for_deliveries()
    assert [(message.to, message.subject) for message in mailoutbox] == [
        (["ada@example.com"], f"Your Northwind Goods order {order.number} is confirmed")
    ]
    page.get_by_role("link", name="Cart").click()
    expect(page.get_by_role("heading", name="Your cart is empty")).to_be_visible()

"""Staff in the admin: refund part of one paid order and ship another; price a product a shopper buys."""

import re

from playwright.sync_api import Page, expect

from orders.models import Order
from tests import factories
from tests.e2e.conftest import ACTION_TIMEOUT_MS
from tests.e2e.steps import (
    PAYMENT_CONFIRMED_TIMEOUT_MS,
    add_to_cart,
    check_out,
    expect_subtotal,
    fill_stripe_page,
    open_product,
)
from tests.staff.helpers import paid_order


def run_order_action(page: Page, action: str) -> None:
    """Run an action from the bar at the top of an order's admin page."""
    page.get_by_label("Action:").select_option(label=action)
    page.get_by_role("button", name="Run").click()


def open_order(page: Page, number: str) -> None:
    """Open an order from the order list, where the customer's email shows under its number."""
    page.get_by_role("link", name=re.compile(rf"^{re.escape(number)}\b")).click()
    expect(page.get_by_role("heading", name=number)).to_be_visible()


def order_fact(page: Page, section: str, label: str, value: str):
    """Expect the order page's `section` to show `label: value`."""
    pattern = re.compile(rf"{re.escape(label)}:\s*{re.escape(value)}")
    expect(page.get_by_role("group", name=section, exact=True)).to_contain_text(pattern)


def test_staff_refund_part_of_an_order_and_ship_another(page, shop, mailoutbox):
    refunded = paid_order(shop, unit_amount=1800, quantity=2)
    shipped = paid_order(shop, unit_amount=2500, quantity=1)
    factories.AdminFactory(email="staff@example.com")

    page.goto("/admin/")
    page.get_by_label("Email address").fill("staff@example.com")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Run the shop")).to_be_visible()
    page.get_by_role("link", name="Paid orders awaiting fulfilment").click()
    open_order(page, refunded.number)
    order_fact(page, "Amounts", "Still refundable", "$36.00")

    run_order_action(page, "Refund…")
    expect(page.get_by_role("heading", name=f"Refund order {refunded.number}")).to_be_visible()
    page.get_by_label("Amount (USD)").fill("10.00")
    page.get_by_label("Reason sent to Stripe").select_option(label="Requested by the customer")
    page.get_by_label("Note").fill("One mug arrived chipped")
    page.get_by_role("button", name="Refund through Stripe").click()
    accepted = f"Stripe accepted the refund of $10.00 for order {refunded.number}."
    expect(page.get_by_text(accepted)).to_be_visible()
    # Nothing is refunded in the shop's books until Stripe's webhook confirms it.
    shop.wait_for_deliveries()
    page.reload()
    order_fact(page, "Status", "Payment status", "Partially refunded")
    order_fact(page, "Amounts", "Refunded", "$10.00")
    order_fact(page, "Amounts", "Still refundable", "$26.00")
    refund_row = page.get_by_role("group", name="Refunds").get_by_role("row", name=re.compile(r"\$10\.00"))
    expect(refund_row).to_contain_text("Succeeded")
    expect(refund_row).to_contain_text("One mug arrived chipped")

    page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name="Orders").last.click()
    open_order(page, shipped.number)
    run_order_action(page, "Mark as fulfilled")
    expect(page.get_by_text(f"Marked fulfilled: {shipped.number}.")).to_be_visible()
    order_fact(page, "Status", "Fulfilment", "Fulfilled")
    run_order_action(page, "Mark as shipped…")
    expect(page.get_by_role("heading", name=f"Ship order {shipped.number}")).to_be_visible()
    page.get_by_label("Carrier").fill("UPS")
    page.get_by_label(f"Tracking number of {shipped.number}").fill("1Z999AA10123456784")
    page.get_by_role("button", name="Mark shipped and email the customers").click()

    expect(page.get_by_text(f"Marked shipped: {shipped.number}.")).to_be_visible()
    expect(page.get_by_role("heading", name=shipped.number)).to_be_visible()
    order_fact(page, "Status", "Fulfilment", "Shipped")
    order_fact(page, "Status", "Carrier", "UPS")
    order_fact(page, "Status", "Tracking number", "1Z999AA10123456784")
    shipped_emails = [message for message in mailoutbox if "has shipped" in message.subject]
    assert [(message.to, shipped.number in message.subject) for message in shipped_emails] == [
        ([shipped.customer_email], True)
    ]
    assert "1Z999AA10123456784" in shipped_emails[0].body


def test_staff_price_a_product_by_typing_32_00_and_a_shopper_pays_32_dollars(
    page, browser, live_server, shop
):
    factories.AdminFactory(email="staff@example.com")

    page.goto("/admin/")
    page.get_by_label("Email address").fill("staff@example.com")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/catalog/product/add/")
    page.get_by_label("Name:", exact=True).fill("Walnut tray")
    page.get_by_label("Description:").fill("Oiled walnut, 40 cm.")
    page.get_by_role("button", name="Add another Price").click()
    page.locator('[name="prices-0-unit_amount"]').fill("32.00")
    page.get_by_role("button", name="Save", exact=True).click()
    # On sale at once: the page asks before shoppers pay it.
    expect(page.get_by_text("Shoppers will pay $32.00 as soon as this is saved.")).to_be_visible()
    page.locator('[name="prices-0-confirm_live"]').check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Walnut tray"))).to_contain_text("$32.00")

    shopper = browser.new_page(base_url=live_server.url)
    shopper.set_default_timeout(ACTION_TIMEOUT_MS)
    shopper.goto("/")
    open_product(shopper, "Walnut tray")
    add_to_cart(shopper, "$32.00")
    expect_subtotal(shopper, "$32.00")
    check_out(shopper)
    fill_stripe_page(shopper, email="ada@example.com")
    shopper.get_by_role("button", name="Pay $32.00").click()

    expect(shopper.get_by_role("heading", name="Thank you for your order")).to_be_visible(
        timeout=PAYMENT_CONFIRMED_TIMEOUT_MS
    )
    expect(shopper.get_by_role("row", name=re.compile("^Total paid"))).to_contain_text("$32.00")
    order = Order.objects.get()
    assert (order.amount_total, order.currency) == (3200, "usd")
    shopper.close()

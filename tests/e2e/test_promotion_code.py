"""Staff create a promotion code in admin; a shopper pays with it and sees the discount everywhere."""

import re

from django.core.management import call_command
from playwright.sync_api import expect

from orders.models import Order
from tests import factories
from tests.e2e.steps import (
    PAYMENT_CONFIRMED_TIMEOUT_MS,
    add_to_cart,
    check_out,
    fill_stripe_page,
    open_product,
)


def test_a_shopper_pays_with_a_promotion_code_staff_created(page, shop):
    call_command("load_demo_catalog", verbosity=0)
    factories.AdminFactory(email="staff@example.com")

    page.goto("/admin/")
    page.get_by_label("Email address").fill("staff@example.com")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/catalog/coupon/add/")
    page.get_by_label("Name").fill("Welcome")
    page.get_by_label("Percent off").fill("25")
    page.locator("#id_promotion_codes-0-code").fill("WELCOME25")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()

    page.goto("/")
    page.get_by_role("searchbox", name="Search").fill("mug")
    page.get_by_role("button", name="Show products").click()
    open_product(page, "Enamel Camp Mug")
    add_to_cart(page, "$18.00")
    page.get_by_role("link", name="Cart", exact=False).first.click()
    check_out(page)

    page.get_by_label("Promotion code").fill("NOPE")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("alert")).to_have_text("This code is invalid.")
    page.get_by_label("Promotion code").fill("welcome25")
    page.get_by_role("button", name="Apply").click()
    summary = page.get_by_role("table", name="Order summary")
    expect(summary.get_by_role("row", name="Discount")).to_contain_text("−$4.50")
    # The discount is on the goods; the preselected Standard post ($4.95) is added after it.
    expect(summary.get_by_role("row", name=re.compile("^Total"))).to_contain_text("$18.45")
    fill_stripe_page(page)
    page.get_by_role("button", name="Pay $18.45").click()

    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible(
        timeout=PAYMENT_CONFIRMED_TIMEOUT_MS
    )
    expect(page.get_by_role("row", name="Discount")).to_contain_text("−$4.50")
    expect(page.get_by_role("row", name=re.compile("^Total paid"))).to_contain_text("$18.45")
    order = Order.objects.get()
    assert (order.amount_subtotal, order.amount_discount, order.amount_shipping, order.amount_total) == (
        1800,
        450,
        495,
        1845,
    )

    page.goto(f"/orders/{order.number}/")
    expect(page.get_by_role("row", name="Discount (WELCOME25)")).to_contain_text("−$4.50")
    expect(page.get_by_role("row", name=re.compile("^Total "))).to_contain_text("$18.45")

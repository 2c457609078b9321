"""A shopper picks a size and colour and buys the last one; the next shopper finds it sold out and
asks to be told; staff restock; the email arrives."""

import re

from django.core.management import call_command
from playwright.sync_api import expect

from catalog.models import Variant
from inventory.services import stock_adjust
from tests import factories
from tests.e2e.steps import (
    PAYMENT_CONFIRMED_TIMEOUT_MS,
    add_to_cart,
    check_out,
    fill_stripe_page,
    open_product,
)


def test_the_last_t_shirt_sells_once_and_the_next_shopper_is_told_when_it_is_back(
    page, browser, base_url, shop, mailoutbox
):
    call_command("load_demo_catalog", verbosity=0)
    medium_black = Variant.objects.get(
        product__slug="organic-cotton-t-shirt", option_key="Colour=Black|Size=M"
    )
    stock_adjust(variant=medium_black, quantity=-2, reason="Two kept for the window display")
    factories.AdminFactory(email="staff@example.com")

    # The first shopper browses the Clothing collection and picks M in black: the last one.
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clothing").click()
    expect(page.get_by_role("heading", name="Clothing", level=1)).to_be_visible()
    open_product(page, "Organic Cotton T-Shirt")
    size, colour = page.get_by_role("group", name="Size"), page.get_by_role("group", name="Colour")
    size.get_by_role("link", name="M", exact=True).click()
    colour.get_by_role("link", name="Black", exact=True).click()
    expect(page.get_by_test_id("stock-level")).to_have_text("M, Black: Only 1 left")
    add_to_cart(page, "$25.00")
    expect(page.get_by_role("list", name="Items in your cart")).to_contain_text("M, Black")
    check_out(page)
    fill_stripe_page(page, email="ada@example.com")
    page.get_by_role("button", name="Pay $29.95").click()
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible(
        timeout=PAYMENT_CONFIRMED_TIMEOUT_MS
    )
    medium_black.refresh_from_db()
    assert (medium_black.on_hand, medium_black.available, medium_black.sold) == (0, 0, 1)

    # A second shopper, in a browser of their own, clicks their way to M in black: sold out, and
    # asks to be told.
    second = browser.new_context(base_url=base_url).new_page()
    second.goto("/")
    second.get_by_role("navigation", name="Main").get_by_role("link", name="Clothing").click()
    open_product(second, "Organic Cotton T-Shirt")
    second.get_by_role("group", name="Size").get_by_role("link", name="M", exact=True).click()
    second.get_by_role("group", name="Colour").get_by_role("link", name="Black (sold out)").click()
    expect(second.get_by_test_id("stock-level")).to_have_text("M, Black: Sold out")
    expect(second.get_by_role("button", name=re.compile("^Add to cart"))).to_have_count(0)
    second.get_by_label("Your email").fill("bob@example.com")
    second.get_by_role("button", name="Email me once when it is back").click()
    expect(second.get_by_role("status")).to_contain_text("we will email you once, when it is back in stock")
    assert not [message for message in mailoutbox if message.to == ["bob@example.com"]]

    # Staff restock it, with a reason.
    page.goto("/admin/")
    page.get_by_label("Email address").fill("staff@example.com")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/catalog/variant/?stock=out")
    page.get_by_role("link", name="ORGANIC-COTTON-T-SHIRT-M-BLACK").click()
    page.get_by_label("Change on hand by").fill("6")
    page.get_by_label("Reason").fill("Delivery from the mill")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()

    [email] = [message for message in mailoutbox if message.to == ["bob@example.com"]]
    assert email.subject == "Organic Cotton T-Shirt is back in stock"
    assert "M, Black" in email.body
    second.reload()
    expect(second.get_by_test_id("stock-level")).to_have_text("M, Black: In stock")

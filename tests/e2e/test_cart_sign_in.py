"""What a guest put in their cart is still there after signing in, next to what the account held."""

import re

from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from tests import factories
from tests.e2e.steps import add_to_cart, expect_subtotal, open_product, sign_in


def test_a_guest_cart_is_merged_into_the_account_cart_on_sign_in(page, shop):
    member = factories.UserFactory(email="lin@example.com")
    EmailAddress.objects.create(user=member, email=member.email, primary=True, verified=True)
    saved = factories.CartItemFactory(
        cart__for_user=True,
        cart__user=member,
        cart__currency="usd",
        price__product__name="Linen Apron",
        price__unit_amount=3800,
    )
    factories.PriceFactory(product__name="Enamel Camp Mug", unit_amount=1800)
    both = factories.PriceFactory(product__name="Canvas Tote Bag", unit_amount=2400)
    factories.CartItemFactory(cart=saved.cart, price=both)

    page.goto("/")
    open_product(page, "Enamel Camp Mug")
    add_to_cart(page, "$18.00")
    page.get_by_role("link", name="Continue shopping").click()
    open_product(page, "Canvas Tote Bag")
    add_to_cart(page, "$24.00")
    expect(page.get_by_role("link", name=re.compile(r"^Cart 2 items$"))).to_be_visible()

    sign_in(page, "lin@example.com", factories.PASSWORD)
    expect(page.get_by_role("status")).to_contain_text(
        "The items you added before signing in are now in your cart."
    )
    page.get_by_role("link", name=re.compile(r"^Cart")).click()

    lines = page.get_by_role("list", name="Items in your cart").get_by_role("listitem")
    expect(lines).to_have_count(3)
    expect(lines.filter(has_text="Linen Apron")).to_contain_text("$38.00")
    expect(lines.filter(has_text="Enamel Camp Mug")).to_contain_text("$18.00")
    # In both carts: the guest's quantity is added to the account's.
    expect(page.get_by_label("Quantity of Canvas Tote Bag")).to_have_value("2")
    expect_subtotal(page, "$104.00")
    expect(page.get_by_role("link", name=re.compile(r"^Cart 4 items$"))).to_be_visible()

"""What shoppers do again and again in the journeys, through the pages as a person would."""

import re

from playwright.sync_api import Page, expect

# The success page reloads itself every few seconds until Stripe's webhook confirms the payment.
PAYMENT_CONFIRMED_TIMEOUT_MS = 15_000


def open_product(page: Page, name: str) -> None:
    """Open a product from the list on the page (home page or search results)."""
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def add_to_cart(page: Page, price_label: str) -> None:
    """On a product page, add one of the price shown as `price_label` ("$18.00", "$9.00 / month")."""
    # The price is hidden text after the visible "Add to cart"; Chromium names it "Add to cart : $18.00".
    # Playwright sends the pattern as /.../, so a "/" in it must be escaped too.
    price = re.escape(price_label).replace("/", r"\/")
    name = re.compile(rf"^Add to cart\s*:\s*{price}$")
    page.get_by_role("button", name=name).click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()


def set_quantity(page: Page, product_name: str, quantity: int) -> None:
    """On the cart page, change the quantity of one line."""
    page.get_by_label(f"Quantity of {product_name}").fill(str(quantity))
    page.get_by_role("button", name=f"Update quantity of {product_name}").click()
    expect(page.get_by_role("status")).to_contain_text("Quantity updated.")


def expect_subtotal(page: Page, amount: str) -> None:
    """Expect the cart page's summary to show `amount` as the subtotal."""
    summary = page.get_by_role("region", name="Summary")
    expect(summary).to_contain_text(re.compile(rf"Subtotal\s*{re.escape(amount)}"))


def check_out(page: Page) -> None:
    """From the cart page to Stripe's hosted payment page."""
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()


def fill_stripe_page(page: Page, *, email: str | None = None) -> None:
    """Fill Stripe's hosted page: the email when it asks for one, and the shipping address."""
    if email is not None:
        page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Full name").fill("Ada Buyer")
    page.get_by_label("Address line 1").fill("1 Harbour Street")
    page.get_by_label("City").fill("Portland")
    page.get_by_label("Postal code").fill("04101")
    page.get_by_label("Country", exact=True).select_option("US")


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in from the link in the header."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_up_and_verify(page: Page, mailoutbox, email: str, password: str, *, name: str = "") -> None:
    """On the sign-up page: open an account and confirm the address from the email's link, which
    signs the new customer in (in the browser they signed up in)."""
    page.get_by_label("Email").fill(email)
    if name:
        page.get_by_label("Name").fill(name)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_label(re.compile(r"^Password \(again\)")).fill(password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    # Webhooks may be sending order emails meanwhile: take the newest verification message.
    verification = next(message for message in reversed(mailoutbox) if "confirm-email" in message.body)
    page.goto(re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", verification.body).group(1))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

"""Subscribers run their own subscription in a browser: a member upgrades to a dearer plan after
seeing its price from Stripe's preview, pauses and resumes; a guest opens the link in their order
email and skips the next delivery."""

import re

from allauth.account.models import EmailAddress
from django.core.management import call_command
from playwright.sync_api import expect

from catalog.models import BillingInterval, Price, PriceType, Product
from tests import factories
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.steps import (
    PAYMENT_CONFIRMED_TIMEOUT_MS,
    add_to_cart,
    check_out,
    fill_stripe_page,
    open_product,
    sign_in,
)


def subscribe(page, product: str, price_label: str, *, email: str | None = None) -> None:
    page.goto("/")
    open_product(page, product)
    add_to_cart(page, price_label)
    check_out(page)
    fill_stripe_page(page, email=email)
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible(
        timeout=PAYMENT_CONFIRMED_TIMEOUT_MS
    )


def test_a_member_upgrades_with_the_price_shown_then_pauses_and_resumes(page, shop_of_its_own):
    simulator = shop_of_its_own
    call_command("load_demo_catalog", verbosity=0)
    socks = Product.objects.get(name="Merino Sock Club")
    Price.objects.create(
        product=socks,
        nickname="Two pairs",
        type=PriceType.RECURRING,
        unit_amount=2000,
        currency="usd",
        recurring_interval=BillingInterval.MONTH,
    )
    member = factories.UserFactory(email="maya@example.com")
    EmailAddress.objects.create(user=member, email=member.email, primary=True, verified=True)
    page.goto("/")
    sign_in(page, member.email, factories.PASSWORD)
    subscribe(page, "Merino Sock Club", "$12.00 / month")
    simulator.wait_for_deliveries()

    page.get_by_role("link", name="Account").click()
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Subscriptions").click()
    page.get_by_role("link", name="Merino Sock Club").click()
    page.get_by_label("Plan", exact=True).select_option(label="Merino Sock Club (Two pairs): $20.00 / month")
    page.get_by_role("button", name="See the price").click()

    expect(page.get_by_role("heading", name="Change your plan")).to_be_visible()
    # The first day of the month: nearly all of the $8.00 a month more.
    expect(page.locator(".change-amount-now")).to_contain_text(re.compile(r"^\$(7\.9\d|8\.00)"))
    page.get_by_role("button", name="Confirm the change").click()
    expect(page.get_by_role("status")).to_contain_text("Your plan is now 1 × Merino Sock Club")
    expect(page.get_by_role("table").first).to_contain_text("$20.00 / month")
    # On a phone the past payments fit: every amount whole, nothing to scroll sideways.
    simulator.wait_for_deliveries()
    page.reload()
    page.set_viewport_size({"width": 390, "height": 844})
    payments = page.get_by_role("region", name="Past payments")
    expect(payments.locator("td.numeric")).to_have_count(2)
    ARTIFACTS.mkdir(exist_ok=True)
    payments.screenshot(path=ARTIFACTS / "subscription-payments-390px.png")
    assert payments.evaluate("region => region.scrollWidth <= region.clientWidth")
    for amount in payments.locator("td.numeric").all():
        assert amount.evaluate(
            "cell => cell.getBoundingClientRect().right"
            " <= cell.closest('[role=region]').getBoundingClientRect().right"
        )
        assert amount.evaluate("cell => cell.scrollWidth <= cell.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=ARTIFACTS / "subscription-page-390px.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        "Your subscription is paused. Nothing is charged or delivered until you resume it."
    )
    page.get_by_role("button", name="Resume billing and deliveries").click()
    expect(page.get_by_role("status")).to_contain_text("Your subscription is running again")
    expect(page.get_by_role("button", name="Skip the next delivery")).to_be_visible()


def test_a_guest_opens_the_link_in_the_order_email_and_skips_the_next_delivery(page, shop, mailoutbox):
    simulator = shop
    call_command("load_demo_catalog", verbosity=0)
    subscribe(page, "Merino Sock Club", "$12.00 / month", email="noor@example.com")
    simulator.wait_for_deliveries()
    receipt = next(m for m in mailoutbox if m.to == ["noor@example.com"] and "confirmed" in m.subject)
    link = re.search(r"Change, pause or skip your subscription: https?://[^/\s]+(/\S+)", receipt.body).group(
        1
    )

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Merino Sock Club")
    page.get_by_role("button", name="Skip the next delivery").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Your next delivery is skipped: nothing is charged for it."
    )
    expect(page.get_by_text("Billing and deliveries restart on").first).to_be_visible()
    expect(page.get_by_role("button", name="Resume billing and deliveries")).to_be_visible()


def test_the_subscription_list_fits_a_phone(page, live_server, db):
    member = factories.UserFactory(email="maya@example.com")
    EmailAddress.objects.create(user=member, email=member.email, primary=True, verified=True)
    factories.SubscriptionFactory(user=member)
    factories.SubscriptionFactory(user=member, status="past_due")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    sign_in(page, member.email, factories.PASSWORD)

    page.goto("/accounts/subscriptions/")

    expect(page.get_by_role("link", name="Coffee club")).to_have_count(2)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "subscription-list-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

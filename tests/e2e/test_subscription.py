"""A visitor signs up, subscribes to a plan with a free trial, and finds it in their order history."""

import datetime
import re

from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from orders.models import Order
from tests.e2e.steps import (
    PAYMENT_CONFIRMED_TIMEOUT_MS,
    add_to_cart,
    check_out,
    fill_stripe_page,
    open_product,
    sign_up_and_verify,
)


def test_a_new_member_subscribes_with_a_trial_and_finds_it_in_order_history(page, shop, mailoutbox):
    call_command("load_demo_catalog", verbosity=0)
    trial_end = timezone.localdate() + datetime.timedelta(days=14)
    # The tea club and its shipping (the demo's cheapest rate, $4.95), both free during the trial.
    schedule = f"Due today $0.00, then $13.95 / month from {trial_end.day} {trial_end:%B %Y}"

    page.goto("/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="sign up").click()
    sign_up_and_verify(page, mailoutbox, "grace@example.com", "teapot-harbour-lantern", name="Grace Hopper")
    assert User.objects.get(email="grace@example.com").name == "Grace Hopper"

    page.get_by_role("link", name="Northwind Goods").click()
    open_product(page, "Sencha Loose-Leaf Tea")
    plan = page.get_by_role("listitem").filter(has_text="Tea club")
    expect(plan).to_contain_text("$9.00 / month")
    expect(plan).to_contain_text("14-day free trial")
    add_to_cart(page, "$9.00 / month")
    expect(page.get_by_role("list", name="Items in your cart")).to_contain_text("14-day free trial")
    expect(page.get_by_role("region", name="Summary")).to_contain_text(schedule)

    check_out(page)
    # Stripe knows the member's address from their customer record: it does not ask for it.
    expect(page.get_by_label("Email", exact=True)).not_to_be_attached()
    summary = page.get_by_role("table", name="Order summary")
    expect(summary).to_contain_text("$9.00 / month")
    expect(summary.get_by_role("row", name=re.compile("^Total due today"))).to_contain_text("$0.00")
    # Stripe's page writes the day the American way.
    stripe_day = f"{trial_end:%B} {trial_end.day}, {trial_end.year}"
    expect(page.get_by_text(f"Then $13.95 per month starting {stripe_day}")).to_be_visible()
    fill_stripe_page(page)
    page.get_by_role("button", name="Subscribe").click()

    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible(
        timeout=PAYMENT_CONFIRMED_TIMEOUT_MS
    )
    expect(page.get_by_role("status")).to_contain_text(
        "We're emailing your confirmation to grace@example.com"
    )
    number = Order.objects.get(user__email="grace@example.com").number
    expect(page.get_by_text(f"Order {number}", exact=True)).to_be_visible()
    expect(page.get_by_text(schedule)).to_be_visible()

    page.get_by_role("link", name="Account").click()
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Orders").click()
    expect(page.get_by_role("heading", name="Your orders")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(number))
    expect(row).to_contain_text("1 × Sencha Loose-Leaf Tea")
    expect(row).to_contain_text("Processing")
    expect(row).to_contain_text("Paid")
    row.get_by_role("link", name=number).click()

    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    items = page.get_by_role("table", name="Items")
    item = items.get_by_role("row", name=re.compile("Sencha Loose-Leaf Tea"))
    expect(item).to_contain_text("every month")
    expect(item).to_contain_text("14-day free trial")
    expect(page.get_by_role("row", name=re.compile("^Total"))).to_contain_text("$0.00")
    expect(page.get_by_text(schedule)).to_be_visible()

"""A guest subscribes with a free trial, signs up, and lives through the subscription: the trial
ends and it renews into an order, then they cancel it at the end of the period.

The clock is the simulator's `shop-simulator` test clock, advanced with the buttons of the
simulator's own /test_clocks page, as a person trying renewals by hand would. The journey has a
simulator of its own, so advancing the clock renews no other test's subscriptions.
"""

import calendar
import datetime
import re

from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Order
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.steps import (
    PAYMENT_CONFIRMED_TIMEOUT_MS,
    add_to_cart,
    check_out,
    fill_stripe_page,
    open_product,
    sign_up_and_verify,
)

SCREENS = ARTIFACTS / "screens"
PASSWORD = "kettle-orchard-lantern-7"


def shop_date(day: datetime.date) -> str:
    """The shop's way of writing a day: "15 December 2026"."""
    return f"{day.day} {day:%B %Y}"


def one_month_after(day: datetime.date) -> datetime.date:
    """Stripe's monthly period: the same day next month, or that month's last day."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def screenshot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / f"lifecycle-{name}.png", full_page=True)


def test_a_guest_subscribes_with_a_trial_signs_up_renews_and_cancels(page, shop_of_its_own, mailoutbox):
    simulator = shop_of_its_own
    call_command("load_demo_catalog", verbosity=0)
    trial_end = timezone.localdate() + datetime.timedelta(days=14)
    first_charge = one_month_after(trial_end)
    # The tea club and its shipping (the demo's cheapest rate, $4.95), both free during the trial.
    schedule = f"Due today $0.00, then $13.95 / month from {shop_date(trial_end)}"

    # A guest puts the tea club, with its free trial, in the cart and subscribes.
    page.goto("/")
    open_product(page, "Sencha Loose-Leaf Tea")
    add_to_cart(page, "$9.00 / month")
    expect(page.get_by_role("region", name="Summary")).to_contain_text(schedule)
    check_out(page)
    # The shop passes Stripe a customer without an address: Stripe's page asks the guest for one.
    fill_stripe_page(page, email="lena@example.com")
    page.get_by_role("button", name="Subscribe").click()

    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible(
        timeout=PAYMENT_CONFIRMED_TIMEOUT_MS
    )
    expect(page.get_by_role("status")).to_contain_text("We're emailing your confirmation to lena@example.com")
    expect(page.get_by_text(schedule)).to_be_visible()
    first_order = Order.objects.get()
    screenshot(page, "1-success")

    # They open an account with the address they subscribed with.
    page.get_by_role("link", name="Create an account").click()
    sign_up_and_verify(page, mailoutbox, "lena@example.com", PASSWORD)
    page.get_by_role("link", name="Account").click()
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Subscriptions").click()
    expect(page.get_by_role("heading", name="Your subscriptions")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Sencha Loose-Leaf Tea"))
    expect(row.get_by_role("cell").first).to_have_text("Free trial")
    expect(row).to_contain_text(f"Free trial until {shop_date(trial_end)}, then $13.95")
    expect(row).to_contain_text("$13.95 / month")

    # A month passes on Stripe's test clock: the trial ends and the first month is charged.
    page.goto(f"{simulator.url}/test_clocks")
    clock = page.get_by_role("region", name="shop-simulator")
    clock.get_by_role("button", name="Advance one month").click()
    # The page states the clock's time in UTC: the checkout's moment plus a month.
    month_later = one_month_after(datetime.datetime.now(datetime.UTC).date())
    expect(page.get_by_role("region", name="shop-simulator")).to_contain_text(
        f"Time: {shop_date(month_later)}"
    )
    simulator.wait_for_deliveries()

    page.goto("/orders/")
    orders = page.get_by_role("table", name="Your orders, newest first")
    renewal = orders.get_by_role("row", name=re.compile(f"Renewal of {first_order.number}"))
    expect(renewal).to_have_count(1)
    expect(renewal).to_contain_text("1 × Sencha Loose-Leaf Tea")
    expect(renewal).to_contain_text("Paid")
    expect(renewal).to_contain_text("$13.95")

    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Subscriptions").click()
    row = page.get_by_role("row", name=re.compile("Sencha Loose-Leaf Tea"))
    expect(row.get_by_role("cell").first).to_have_text("Active")
    expect(row).to_contain_text(f"Next charge $13.95 on {shop_date(first_charge)}")
    screenshot(page, "2-subscriptions-after-renewal")

    renewal_number = Order.objects.get(renewal_of=first_order).number
    assert (["lena@example.com"], f"Your Northwind Goods order {renewal_number} is confirmed") in [
        (message.to, message.subject) for message in mailoutbox
    ]

    row.get_by_role("link", name="Sencha Loose-Leaf Tea").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sencha Loose-Leaf Tea")
    expect(page.get_by_role("row", name=re.compile(renewal_number))).to_contain_text("$13.95")

    # They cancel: the subscription runs to the end of the month they paid for.
    page.get_by_role("button", name="Cancel at period end").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Your subscription will end on {shop_date(first_charge)}. You keep it until then."
    )
    expect(page.get_by_text(f"Ends on {shop_date(first_charge)}")).to_be_visible()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel at period end")).not_to_be_attached()
    screenshot(page, "3-cancelled-at-period-end")

    # Stripe's customer portal agrees, and leads back to the shop.
    page.get_by_role("button", name="Update card & invoices").click()
    expect(page.get_by_role("heading", name="Your subscriptions")).to_be_visible()
    portal = page.get_by_role("region", name="1 × Sencha Loose-Leaf Tea")
    expect(portal).to_contain_text(f"Cancels on {shop_date(first_charge)}; no further charge.")
    expect(page.get_by_role("table", name="Invoices")).to_contain_text("$13.95")
    page.get_by_role("link", name="Return to the shop").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sencha Loose-Leaf Tea")
    expect(page.get_by_text(f"Ends on {shop_date(first_charge)}")).to_be_visible()

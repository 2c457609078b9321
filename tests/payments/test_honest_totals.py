"""One payment schedule, read alike in the cart, on Stripe's page, on the success page, the order
pages (the customer's and staff's) and the confirmation email: what is due today, what recurs, from when."""

import datetime
import re
import secrets
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.billing import add_interval
from orders.links import order_link_url
from orders.models import Order
from tests import factories
from tests.admin.pages import change_url
from tests.payments.test_promotions import coupon_form


def visible_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" ,", ",").replace(" .", ".")


def shop_date(day: datetime.date) -> str:
    """The shop's way of writing a day: "15 December 2026"."""
    return f"{day.day} {day:%B %Y}"


@pytest.fixture
def mug():
    return factories.PriceFactory(product__name="Stoneware mug", unit_amount=3500)


@pytest.fixture
def tea():
    return factories.PriceFactory(
        monthly=True, product__name="Tea of the month", unit_amount=900, trial_period_days=14
    )


@pytest.fixture
def coffee():
    return factories.PriceFactory(monthly=True, product__name="Coffee club", unit_amount=1800)


def buy(purchase, stripe_sim):
    """Check out and pay on Stripe's page; return (the page's text before paying, the success page)."""
    checkout = purchase.shopper.checkout()
    assert checkout.status_code == 303, checkout.text
    page_url = checkout.headers["Location"]
    stripe_page = visible_text(purchase.shopper.get(page_url).text)
    paid = purchase.shopper.on_stripe_page(page_url, "pay")
    assert paid.status_code == 303, paid.text
    stripe_sim.wait_for_deliveries()
    return stripe_page, visible_text(purchase.shopper.get(paid.headers["Location"]).text)


def staff_order_page(order) -> str:
    staff = Client()
    staff.force_login(factories.SuperAdminFactory())
    return visible_text(staff.get(change_url(order)).text)


def test_a_trial_with_a_one_time_item_reads_the_same_everywhere(
    stripe_sim, guest_with_cart, mug, tea, mailoutbox
):
    today = timezone.localdate()
    trial_end = today + datetime.timedelta(days=14)
    schedule = f"Due today $35.00, then $9.00 / month from {shop_date(trial_end)}"
    purchase = guest_with_cart((mug, 1), (tea, 1))

    cart_page = visible_text(purchase.shopper.get("/cart/").text)
    assert schedule in cart_page
    assert "$44.00" not in cart_page

    stripe_page, success_page = buy(purchase, stripe_sim)
    assert "Total due today $35.00" in stripe_page
    assert f"Then $9.00 per month starting {trial_end:%B} {trial_end.day}, {trial_end.year}" in stripe_page

    assert schedule in success_page
    assert "Total paid $35.00" in success_page
    order = Order.objects.get()
    assert order.amount_total == 3500
    order_page = purchase.shopper.get(urlsplit(order_link_url(order=order)).path)
    assert schedule in visible_text(order_page.text)
    assert schedule in staff_order_page(order)
    (email,) = mailoutbox
    assert schedule in " ".join(email.body.split())
    assert schedule in visible_text(email.alternatives[0][0])


def test_a_line_in_its_free_trial_reads_nothing_now_then_its_price_everywhere(
    stripe_sim, guest_with_cart, tea, mailoutbox
):
    trial_end = timezone.localdate() + datetime.timedelta(days=14)
    line = f"$0.00 then $9.00 / month from {shop_date(trial_end)}"
    purchase = guest_with_cart((tea, 1))

    _stripe_page, success_page = buy(purchase, stripe_sim)

    assert line in success_page
    assert "$9.00 / month from" in success_page
    order = Order.objects.get()
    order_page = visible_text(purchase.shopper.get(urlsplit(order_link_url(order=order)).path).text)
    assert line in order_page
    (email,) = mailoutbox
    trial_line = "Tea of the month (every month, 14-day free trial): $0.00, then $9.00 / month from"
    assert f"{trial_line} {shop_date(trial_end)}" in email.body
    assert line in visible_text(email.alternatives[0][0])


def test_a_mixed_cart_without_trial_says_what_is_due_today_and_what_recurs_from_next_month(
    stripe_sim, user_with_cart, mug, coffee, mailoutbox
):
    today = timezone.localdate()
    next_month = add_interval(today, "month", 1)
    schedule = f"Due today $53.00, then $18.00 / month from {shop_date(next_month)}"
    user = factories.UserFactory(email="mixed-cart@example.com")
    purchase = user_with_cart(user, (mug, 1), (coffee, 1))

    assert schedule in visible_text(purchase.shopper.get("/cart/").text)

    stripe_page, success_page = buy(purchase, stripe_sim)
    assert "Total due today $53.00" in stripe_page
    assert (
        f"Then $18.00 per month starting {next_month:%B} {next_month.day}, {next_month.year}" in stripe_page
    )

    assert schedule in success_page
    order = Order.objects.get()
    own_page = purchase.shopper.get(reverse("orders:detail", kwargs={"number": order.number}))
    assert schedule in visible_text(own_page.text)
    assert schedule in staff_order_page(order)
    (email,) = mailoutbox
    assert schedule in " ".join(email.body.split())


def test_a_promotion_code_lowers_what_was_due_today_not_what_recurs(
    stripe_sim, guest_with_cart, mug, tea, mailoutbox
):
    code = f"TEN-{secrets.token_hex(3).upper()}"
    staff = Client()
    staff.force_login(factories.AdminFactory())
    staff.post(reverse("admin:catalog_coupon_add"), coupon_form("Ten off", codes=[code], percent_off="10"))
    trial_end = timezone.localdate() + datetime.timedelta(days=14)
    purchase = guest_with_cart((mug, 1), (tea, 1))
    page_url = purchase.shopper.checkout().headers["Location"]

    purchase.shopper.on_stripe_page(page_url, "apply_promotion_code", promotion_code=code)
    paid = purchase.shopper.on_stripe_page(page_url, "pay", promotion_code=code)
    assert paid.status_code == 303, paid.text
    stripe_sim.wait_for_deliveries()

    schedule = f"Due today $31.50, then $9.00 / month from {shop_date(trial_end)}"
    assert schedule in visible_text(purchase.shopper.get(paid.headers["Location"]).text)
    (email,) = mailoutbox
    assert schedule in " ".join(email.body.split())

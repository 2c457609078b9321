"""The cart says before "Check out" what a checkout of its subscriptions would do: a free trial it
would not give, and subscriptions billed at different intervals, which one checkout cannot bill."""

import re

from django.test import Client

from tests import factories


def cart_page(user, *lines) -> str:
    client = Client()
    client.force_login(user)
    cart = factories.CartFactory(for_user=True, user=user, currency=lines[0][0].currency)
    for price, quantity in lines:
        factories.CartItemFactory(cart=cart, price=price, quantity=quantity)
    return " ".join(re.sub(r"<[^>]+>", " ", client.get("/cart/").text).split())


def test_a_trial_subscription_beside_one_without_says_the_trial_is_not_given(db):
    tea = factories.PriceFactory(monthly=True, product__name="Tea of the month", trial_period_days=14)
    coffee = factories.PriceFactory(monthly=True, product__name="Coffee club", unit_amount=1800)

    page = cart_page(factories.UserFactory(), (tea, 1), (coffee, 1))

    assert "No free trial for Tea of the month in this checkout" in page
    assert "Due today $27.00" in page
    assert "Check out" in page
    alone = cart_page(factories.UserFactory(), (tea, 1))
    assert "No free trial" not in alone
    assert "Due today $0.00" in alone


def test_subscriptions_billed_at_different_intervals_are_refused_in_the_cart_with_the_reason(db):
    monthly = factories.PriceFactory(monthly=True, product__name="Tea of the month")
    yearly = factories.PriceFactory(yearly=True, product__name="Coffee club")

    page = cart_page(factories.UserFactory(), (monthly, 1), (yearly, 1))

    assert (
        "Your cart holds subscriptions billed at different intervals ($9.00 / month and $90.00 / year)"
        in page
    )
    assert "Check out" not in page
    assert "Check out" in cart_page(factories.UserFactory(), (monthly, 1))

"""A subscription with physical goods bills its shipping every period, as a line of its own: in
the cart, at checkout on Stripe, on the first order and on every renewal order."""

import re

from django.test import Client

from orders.models import Order
from payments.shipping import shipping_rate_push_to_stripe
from subscriptions.models import Subscription
from tests import factories
from tests.subscriptions.conftest import advance
from tests.subscriptions.test_changes import deliver_news, later_orders, period

DAY = 86_400


def visible(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_subscription_of_physical_goods_bills_its_shipping_every_period(
    clocked_member, member_subscribes, tea_plan, stripe_api
):
    rate = factories.ShippingRateFactory(display_name="Standard post", amount=500)
    shipping_rate_push_to_stripe(shipping_rate=rate)
    factories.ShippingRateFactory(display_name="Courier", amount=1500)
    member, clock = clocked_member
    stripe = stripe_api()
    cart = factories.CartFactory(for_user=True, user=member, currency="usd")
    factories.CartItemFactory(cart=cart, price=tea_plan, quantity=1)
    client = Client()
    client.force_login(member)

    page = visible(client.get("/cart/").text)

    assert "Shipping (Standard post) $5.00 / month" in page
    assert "Due today $14.00, then $14.00 / month from" in page
    cart.delete()
    subscription_id = member_subscribes(member, tea_plan)
    record = deliver_news(stripe, subscription_id)
    first = record.order
    assert first.amount_total == 1400
    assert sorted((item.product_name, item.amount_total) for item in first.items.all()) == [
        ("Shipping: Standard post", 500),
        ("Tea of the month", 900),
    ]
    assert record.product_names == "Tea of the month"
    assert record.amount_per_period == 1400
    assert "Shipping: Standard post" in client.get(record.get_absolute_url()).text

    advance(stripe, clock, to=period(stripe, subscription_id)[1] + DAY)
    deliver_news(stripe, subscription_id)

    [renewal] = later_orders(subscription_id)
    assert renewal.amount_total == 1400
    assert sorted(item.product_name for item in renewal.items.all()) == [
        "Shipping: Standard post",
        "Tea of the month",
    ]


def test_a_digital_subscription_has_no_shipping_line(guest_subscribes, stripe_api):
    factories.ShippingRateFactory(display_name="Standard post", amount=500)
    guide = factories.PriceFactory(
        monthly=True, product__name="Brewing notes", product__requires_shipping=False, unit_amount=400
    )

    subscription_id = guest_subscribes(guide)

    record = deliver_news(stripe_api(), subscription_id)
    assert [item["product_name"] for item in record.items] == ["Brewing notes"]
    assert Order.objects.get(stripe_subscription_id=subscription_id).amount_total == 400
    assert Subscription.objects.count() == 1


def test_a_physical_one_time_item_beside_a_digital_subscription_pays_shipping_once(
    clocked_member, user_with_cart, stripe_api
):
    rate = factories.ShippingRateFactory(display_name="Standard post", amount=500)
    shipping_rate_push_to_stripe(shipping_rate=rate)
    notes = factories.PriceFactory(
        monthly=True, product__name="Brewing notes", product__requires_shipping=False, unit_amount=400
    )
    mug = factories.PriceFactory(product__name="Enamel mug", unit_amount=1200)
    member, clock = clocked_member
    stripe = stripe_api()
    cart = factories.CartFactory(for_user=True, user=member, currency="usd")
    factories.CartItemFactory(cart=cart, price=notes, quantity=1)
    factories.CartItemFactory(cart=cart, price=mug, quantity=1)
    client = Client()
    client.force_login(member)

    page = visible(client.get("/cart/").text)

    assert "Shipping (Standard post) $5.00 once" in page
    assert "Due today $21.00, then $4.00 / month from" in page
    assert "$5.00 / month" not in page
    cart.delete()
    purchase = user_with_cart(member, (notes, 1), (mug, 1))
    page_url = purchase.shopper.checkout().headers["Location"]
    stripe_page = visible(purchase.shopper.get(page_url).text)
    assert "Shipping: Standard post 1 $5.00" in stripe_page
    assert "Total due today $21.00" in stripe_page
    assert "Then $4.00 per month" in stripe_page
    assert purchase.shopper.on_stripe_page(page_url, "pay", email=member.email).status_code == 303
    subscription_id = stripe.v1.checkout.sessions.retrieve(page_url.rsplit("/", 1)[1]).subscription
    record = deliver_news(stripe, subscription_id)
    first = record.order
    assert first.amount_total == 2100
    assert sorted((item.product_name, item.amount_total, item.price_type) for item in first.items.all()) == [
        ("Brewing notes", 400, "RECURRING"),
        ("Enamel mug", 1200, "ONE_TIME"),
        ("Shipping: Standard post", 500, "ONE_TIME"),
    ]
    order_page = visible(client.get(first.get_absolute_url()).text)
    assert "Shipping: Standard post $5.00 1 $5.00" in order_page
    assert "then $4.00 / month" in order_page
    assert record.amount_per_period == 400
    assert [item["product_name"] for item in record.items] == ["Brewing notes"]

    advance(stripe, clock, to=period(stripe, subscription_id)[1] + DAY)
    deliver_news(stripe, subscription_id)

    [renewal] = later_orders(subscription_id)
    assert renewal.amount_total == 400
    assert [item.product_name for item in renewal.items.all()] == ["Brewing notes"]

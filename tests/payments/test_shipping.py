"""Shipping rates and automatic tax end to end: created in admin, chosen on Stripe's page, on the order."""

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import ShippingRate
from orders.links import order_link_path
from orders.models import Order, OrderStatus
from tests import factories
from tests.admin.pages import change_url

GB_ADDRESS = {
    "address[line1]": "1 High Street",
    "address[city]": "Bath",
    "address[postal_code]": "BA1 1AA",
    "address[state]": "",
    "address[country]": "GB",
}


@pytest.fixture
def staff(db):
    client = Client()
    client.force_login(factories.AdminFactory())
    return client


def rate_form(name, amount, *, currency="usd", low="", high="", active=True):
    data = {
        "display_name": name,
        "amount": amount,
        "currency": currency,
        "delivery_min_days": low,
        "delivery_max_days": high,
    }
    if active:
        data["active"] = "on"
    return data


def add_rate(staff, *args, **kwargs) -> ShippingRate:
    response = staff.post(reverse("admin:catalog_shippingrate_add"), rate_form(*args, **kwargs))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    return ShippingRate.objects.order_by("-created_at").first()


def test_staff_create_a_rate_in_admin_and_stripe_has_it(stripe_sim, staff, stripe_api):
    rate = add_rate(staff, "Standard post", "4.95", low="3", high="5")

    assert (rate.amount, rate.currency) == (495, "usd")
    stripe_rate = stripe_api().v1.shipping_rates.retrieve(rate.stripe_shipping_rate_id)
    assert (stripe_rate.display_name, stripe_rate.fixed_amount.amount, stripe_rate.fixed_amount.currency) == (
        "Standard post",
        495,
        "usd",
    )
    estimate = stripe_rate.delivery_estimate
    assert (estimate.minimum.unit, estimate.minimum.value, estimate.maximum.value) == ("business_day", 3, 5)
    assert stripe_rate.active is True


def test_a_changed_amount_is_a_new_stripe_rate_and_the_old_one_is_archived(stripe_sim, staff, stripe_api):
    rate = add_rate(staff, "Courier", "9.00")
    old_id = rate.stripe_shipping_rate_id

    response = staff.post(change_url(rate), rate_form("Courier", "11.50"), follow=True)

    rate.refresh_from_db()
    assert rate.stripe_shipping_rate_id != old_id
    stripe = stripe_api()
    assert stripe.v1.shipping_rates.retrieve(rate.stripe_shipping_rate_id).fixed_amount.amount == 1150
    assert stripe.v1.shipping_rates.retrieve(old_id).active is False
    assert f"{old_id} is archived" in response.text

    staff.post(change_url(rate), rate_form("Courier", "11.50", active=False))
    assert stripe.v1.shipping_rates.retrieve(rate.stripe_shipping_rate_id).active is False


def test_a_deleted_rate_is_archived_in_stripe(stripe_sim, staff, stripe_api):
    rate = add_rate(staff, "Pigeon", "2.00")
    delete_url = reverse("admin:catalog_shippingrate_delete", args=[rate.pk])

    assert staff.post(delete_url, {"post": "yes"}).status_code == 302

    assert not ShippingRate.objects.exists()
    assert stripe_api().v1.shipping_rates.retrieve(rate.stripe_shipping_rate_id).active is False


def test_physical_goods_offer_the_rates_on_stripes_page_and_the_order_shows_shipping(
    stripe_sim, staff, guest_with_cart, stripe_api
):
    standard = add_rate(staff, "Standard post", "5.00", low="3", high="5")
    express = add_rate(staff, "Express courier", "15.00", low="1", high="1")
    add_rate(staff, "Euro post", "4.00", currency="eur")
    add_rate(staff, "Retired", "1.00", active=False)
    mug = factories.PriceFactory(product__name="Stoneware mug", unit_amount=1800)
    purchase = guest_with_cart((mug, 1))
    page_url = purchase.shopper.checkout().headers["Location"]

    page = purchase.shopper.get(page_url).text
    assert "Shipping address" in page
    assert "Standard post — $5.00 (3–5 business days)" in page
    assert "Express courier — $15.00 (1 business day)" in page
    assert "Euro post" not in page
    assert "Retired" not in page
    assert f'value="{standard.stripe_shipping_rate_id}" checked' in page

    updated = purchase.shopper.on_stripe_page(
        page_url, "update_totals", shipping_rate=express.stripe_shipping_rate_id
    )
    assert "$33.00" in updated.text
    paid = purchase.shopper.on_stripe_page(page_url, "pay", shipping_rate=express.stripe_shipping_rate_id)
    assert paid.status_code == 303
    stripe_sim.wait_for_deliveries()

    order = Order.objects.get()
    assert order.status == OrderStatus.PROCESSING
    assert (order.amount_subtotal, order.amount_shipping, order.amount_total) == (1800, 1500, 3300)
    assert order.shipping_rate_name == "Express courier"
    success = purchase.shopper.get(paid.headers["Location"]).text
    assert "Shipping (Express courier)" in success
    assert "$15.00" in success


def test_an_all_digital_cart_asks_no_address(stripe_sim, staff, guest_with_cart, stripe_api):
    add_rate(staff, "Standard post", "5.00")
    guide = factories.PriceFactory(
        product__name="Brewing guide (PDF)", product__requires_shipping=False, unit_amount=900
    )
    purchase = guest_with_cart((guide, 1))
    page_url = purchase.shopper.checkout().headers["Location"]

    page = purchase.shopper.get(page_url).text
    assert "Shipping address" not in page
    assert "Standard post" not in page
    session = stripe_api().v1.checkout.sessions.retrieve(Order.objects.get().stripe_checkout_session_id)
    assert (session.shipping_address_collection, session.shipping_options) == (None, [])
    paid = purchase.shopper.on_stripe_page(page_url, "pay")
    assert paid.status_code == 303
    stripe_sim.wait_for_deliveries()
    order = Order.objects.get()
    assert (order.amount_shipping, order.amount_total, order.shipping_address) == (0, 900, {})
    # Nothing to post: paid is done, and staff never find it among the orders to ship.
    assert (order.status, order.payment_status) == (OrderStatus.COMPLETED, "PAID")
    assert not Order.objects.awaiting_fulfilment().exists()
    guest_page = purchase.shopper.get(order_link_path(order=order)).text
    assert "Nothing to ship: digital goods and services only" in guest_page
    refused = staff.post(
        reverse("admin:orders_order_ship", args=[order.pk]), {"carrier": "Royal Mail"}, follow=True
    )
    assert "nothing ships for it (digital goods and services only)" in refused.text
    order.refresh_from_db()
    assert order.fulfillment_status == "UNFULFILLED"


def test_automatic_tax_for_a_gb_address_is_on_the_order(stripe_sim, staff, guest_with_cart, settings):
    settings.STRIPE_AUTOMATIC_TAX = True
    add_rate(staff, "Royal Mail", "5.00")
    mug = factories.PriceFactory(product__name="Stoneware mug", unit_amount=1800)
    purchase = guest_with_cart((mug, 2))
    page_url = purchase.shopper.checkout().headers["Location"]

    located = purchase.shopper.on_stripe_page(page_url, "update_totals", **GB_ADDRESS)
    # 20% of 36.00 and of 5.00 shipping.
    assert "Tax" in located.text
    assert "$8.20" in located.text
    paid = purchase.shopper.on_stripe_page(page_url, "pay", **GB_ADDRESS)
    assert paid.status_code == 303
    stripe_sim.wait_for_deliveries()

    order = Order.objects.get()
    assert (order.amount_subtotal, order.amount_shipping, order.amount_tax) == (3600, 500, 820)
    assert order.amount_total == order.amount_subtotal + order.amount_shipping + order.amount_tax == 4920
    success = purchase.shopper.get(paid.headers["Location"]).text
    assert "Tax" in success
    assert "$8.20" in success
    assert "$49.20" in success


def test_a_signed_in_shopper_with_tax_on_has_the_address_saved_to_their_customer(
    stripe_sim, user_with_cart, settings, stripe_api
):
    settings.STRIPE_AUTOMATIC_TAX = True
    mug = factories.PriceFactory(unit_amount=1000)
    purchase = user_with_cart(factories.UserFactory(), (mug, 1))
    response = purchase.shopper.checkout()
    assert response.status_code == 303
    session = stripe_api().v1.checkout.sessions.retrieve(Order.objects.get().stripe_checkout_session_id)
    assert session.automatic_tax.enabled is True

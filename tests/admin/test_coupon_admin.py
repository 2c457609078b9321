"""Coupons as staff type them: an amount off in major units of its currency, as prices are."""

import pytest
from django.urls import reverse

from catalog.models import Coupon
from tests import factories
from tests.admin.pages import change_url
from tests.payments.test_promotions import coupon_form


def test_five_dollars_off_typed_as_5_is_five_dollars_in_stripe(stripe_sim, super_admin_client, stripe_api):
    neighbour = factories.CouponFactory(percent_off=10)
    response = super_admin_client.post(
        reverse("admin:catalog_coupon_add"), coupon_form("Five off", amount_off="5", currency="USD")
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors

    coupon = Coupon.objects.get(name="Five off")
    assert (coupon.amount_off, coupon.currency, coupon.terms) == (500, "usd", "$5.00 off")
    assert stripe_api().v1.coupons.retrieve(coupon.stripe_coupon_id).amount_off == 500
    neighbour.refresh_from_db()
    assert (neighbour.percent_off, neighbour.amount_off) == (10, None)

    page = super_admin_client.get(change_url(coupon))
    assert "$5.00 off" in page.text
    assert 'name="amount_off"' not in page.text  # Stripe keeps the terms: read-only now


@pytest.mark.parametrize(
    ("typed", "currency", "error"),
    [
        ("5.001", "usd", "USD has 2 decimals at most."),
        ("5.5", "jpy", "JPY has no decimals: enter a whole amount."),
        ("$5", "usd", "Enter an amount such as 12.50 or 1,299.00, without a currency sign."),
    ],
)
def test_an_amount_off_the_currency_cannot_hold_is_refused(super_admin_client, typed, currency, error):
    response = super_admin_client.post(
        reverse("admin:catalog_coupon_add"), coupon_form("Odd", amount_off=typed, currency=currency)
    )
    assert response.status_code == 200
    assert error in response.text
    assert not Coupon.objects.exists()


def test_the_add_form_previews_how_shoppers_read_the_amount(super_admin_client):
    page = super_admin_client.get(reverse("admin:catalog_coupon_add"))
    assert 'data-money-preview="{amount} off"' in page.text
    assert "shop/money_preview" in page.text
    assert "Created at" not in page.text


def test_a_percentage_coupon_still_needs_no_amount(stripe_sim, super_admin_client):
    response = super_admin_client.post(
        reverse("admin:catalog_coupon_add"), coupon_form("Tenth", percent_off="10")
    )
    assert response.status_code == 302
    assert Coupon.objects.get().terms == "10% off"


def test_price_and_shipping_rate_amounts_preview_too(super_admin_client):
    for name in ["admin:catalog_price_add", "admin:catalog_shippingrate_add"]:
        assert 'data-money-preview="{amount}"' in super_admin_client.get(reverse(name)).text

"""What Stripe charged each period of a subscription, as its orders show it: the tax Stripe Tax
added and the discount a coupon gave for as long as the coupon lasts."""

import pytest

from orders.models import Order, PaymentStatus
from tests import factories
from tests.payments.subscriptions import advance_one_period, api_of, renewals_of, wait_until

IN_BATH = {
    "address[line1]": "1 High Street",
    "address[city]": "Bath",
    "address[postal_code]": "BA1 1AA",
    "address[state]": "",
    "address[country]": "GB",
}


# 20 % VAT on what is left after the coupon's 3.00, while the coupon lasts; then the full price, taxed.
DISCOUNTED, FULL_PRICE = (1000, 300, 140, 840), (1000, 0, 200, 1200)


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        # The checkout and the one renewal the coupon's two months still cover.
        pytest.param(
            {"duration": "repeating", "duration_in_months": 2},
            [DISCOUNTED, DISCOUNTED, FULL_PRICE],
            id="two months",
        ),
        pytest.param({"duration": "forever"}, [DISCOUNTED, DISCOUNTED, DISCOUNTED], id="forever"),
    ],
)
def test_every_order_of_a_taxed_subscription_with_a_coupon_shows_what_stripe_charged(
    fresh_sim, guest_with_cart, settings, duration, expected
):
    settings.STRIPE_AUTOMATIC_TAX = True
    api = api_of(fresh_sim)
    coupon = api.v1.coupons.create({"amount_off": 300, "currency": "usd", **duration})
    api.v1.promotion_codes.create({"code": "CLUB3", "promotion": {"type": "coupon", "coupon": coupon.id}})
    club = factories.PriceFactory(monthly=True, product__name="Coffee club", unit_amount=1000)
    bystander = factories.OrderFactory()
    purchase = guest_with_cart((club, 1))
    page_url = purchase.shopper.checkout().headers["Location"]
    shopper = purchase.shopper
    shopper.on_stripe_page(page_url, "apply_promotion_code", promotion_code="CLUB3", **IN_BATH)
    assert shopper.on_stripe_page(page_url, "pay", **IN_BATH).status_code == 303
    fresh_sim.wait_for_deliveries(timeout=10)
    first = Order.objects.exclude(pk=bystander.pk).get(renewal_of__isnull=True)
    assert first.payment_status == PaymentStatus.PAID

    for _ in range(2):
        advance_one_period(fresh_sim, first.stripe_subscription_id)
    renewals = wait_until(lambda: len(found := list(renewals_of(first))) == 2 and found)

    amounts = [
        (order.amount_subtotal, order.amount_discount, order.amount_tax, order.amount_total)
        for order in (first, *renewals)
    ]
    assert amounts == expected
    subscription = api.v1.subscriptions.retrieve(first.stripe_subscription_id)
    assert subscription.automatic_tax.enabled is True
    bystander.refresh_from_db()
    assert (bystander.amount_discount, bystander.amount_tax) == (0, 0)

"""Promotion codes end to end: created in admin, typed on Stripe's page, shown as the order's discount."""

import io
import secrets

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from catalog.models import SYNC_ERROR_KEY, Coupon, PromotionCode
from orders.models import Order, OrderStatus
from stripe_simulator import StripeSimulator
from tests import factories
from tests.admin.pages import change_url
from tests.conftest import point_shop_at_stripe_simulator


@pytest.fixture
def staff(db):
    client = Client()
    client.force_login(factories.AdminFactory())
    return client


def unique_code(prefix: str) -> str:
    # The simulator lives for the whole session: codes of other tests are still active in it.
    return f"{prefix}-{secrets.token_hex(3).upper()}"


def coupon_form(name, *, codes=(), active=True, **terms):
    data = {
        "name": name,
        "percent_off": "",
        "amount_off": "",
        "currency": "",
        "duration": "once",
        "duration_in_months": "",
        "promotion_codes-TOTAL_FORMS": str(len(codes)),
        "promotion_codes-INITIAL_FORMS": "0",
        "promotion_codes-MIN_NUM_FORMS": "0",
        "promotion_codes-MAX_NUM_FORMS": "1000",
        **terms,
    }
    if active:
        data["active"] = "on"
    for index, code in enumerate(codes):
        data.update({f"promotion_codes-{index}-code": code, f"promotion_codes-{index}-active": "on"})
    return data


def test_staff_create_a_coupon_and_code_in_admin_and_stripe_has_both(stripe_sim, staff, stripe_api):
    code = unique_code("SPRING")
    response = staff.post(
        reverse("admin:catalog_coupon_add"), coupon_form("Spring sale", codes=[code], percent_off="15")
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors

    coupon = Coupon.objects.get()
    promotion_code = PromotionCode.objects.get()
    stripe = stripe_api()
    stripe_coupon = stripe.v1.coupons.retrieve(coupon.stripe_coupon_id)
    assert (stripe_coupon.percent_off, stripe_coupon.name, stripe_coupon.duration) == (
        15,
        "Spring sale",
        "once",
    )
    stripe_code = stripe.v1.promotion_codes.retrieve(promotion_code.stripe_promotion_code_id)
    assert (stripe_code.code, stripe_code.promotion.coupon, stripe_code.active) == (
        code,
        coupon.stripe_coupon_id,
        True,
    )

    # Switching the coupon off stops its codes at Stripe.
    off = coupon_form("Spring sale", active=False)
    off.update({"promotion_codes-TOTAL_FORMS": "1", "promotion_codes-INITIAL_FORMS": "1"})
    off.update({"promotion_codes-0-id": str(promotion_code.pk), "promotion_codes-0-coupon": str(coupon.pk)})
    off.update({"promotion_codes-0-code": code, "promotion_codes-0-active": "on"})
    response = staff.post(change_url(coupon), off)
    assert response.status_code == 302
    assert stripe.v1.promotion_codes.retrieve(promotion_code.stripe_promotion_code_id).active is False


def test_a_pushed_code_cannot_change_its_terms(stripe_sim, staff, stripe_api):
    code = unique_code("FIXED")
    staff.post(
        reverse("admin:catalog_coupon_add"),
        coupon_form("Fixed", codes=[code], amount_off="500", currency="usd"),
    )
    promotion_code = PromotionCode.objects.get()
    coupon = promotion_code.coupon
    edit = coupon_form("Fixed", codes=[code])
    edit.update({"promotion_codes-INITIAL_FORMS": "1", "promotion_codes-0-id": str(promotion_code.pk)})
    edit.update({"promotion_codes-0-coupon": str(coupon.pk), "promotion_codes-0-max_redemptions": "3"})
    response = staff.post(change_url(coupon), edit)

    assert response.status_code == 200
    assert "Stripe keeps the max_redemptions of a promotion code it has" in response.text
    promotion_code.refresh_from_db()
    assert promotion_code.max_redemptions is None
    assert (
        stripe_api().v1.promotion_codes.retrieve(promotion_code.stripe_promotion_code_id).max_redemptions
        is None
    )


def test_refused_push_marks_the_coupon_and_tells_staff(staff, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    response = staff.post(
        reverse("admin:catalog_coupon_add"), coupon_form("Offline", percent_off="5"), follow=True
    )
    coupon = Coupon.objects.get()
    assert coupon.stripe_coupon_id is None
    assert SYNC_ERROR_KEY in coupon.metadata
    assert "Stripe did not take the change" in response.text


def test_shopper_pays_with_a_promotion_code_and_the_order_shows_the_discount(
    stripe_sim, staff, guest_with_cart
):
    code = unique_code("TENOFF")
    staff.post(reverse("admin:catalog_coupon_add"), coupon_form("Ten off", codes=[code], percent_off="10"))
    mug = factories.PriceFactory(product__name="Stoneware mug", unit_amount=1800)
    purchase = guest_with_cart((mug, 2))
    page_url = purchase.shopper.checkout().headers["Location"]

    page = purchase.shopper.get(page_url).text
    assert "Promotion code" in page
    refused = purchase.shopper.on_stripe_page(page_url, "apply_promotion_code", promotion_code="NOT-A-CODE")
    assert "This code is invalid." in refused.text
    applied = purchase.shopper.on_stripe_page(page_url, "apply_promotion_code", promotion_code=code.lower())
    assert "−$3.60" in applied.text
    assert "$32.40" in applied.text

    paid = purchase.shopper.on_stripe_page(page_url, "pay", promotion_code=code)
    assert paid.status_code == 303
    stripe_sim.wait_for_deliveries()
    order = Order.objects.get()
    assert order.status == OrderStatus.PROCESSING
    assert (order.amount_subtotal, order.amount_discount, order.amount_total) == (3600, 360, 3240)
    assert list(order.items.values_list("amount_total", flat=True)) == [3600]
    assert order.discount_code == code

    for page in (purchase.shopper.get(paid.headers["Location"]).text,):
        assert f"Discount ({code})" in page
        assert "−$3.60" in page
        assert "$32.40" in page


@pytest.fixture
def fresh_stripe(settings):
    """A Stripe account of its own, so that a pull sees only what this test put there."""
    with StripeSimulator(async_settle_delay=None) as simulator:
        point_shop_at_stripe_simulator(settings, simulator.url)
        yield simulator


def sync_stripe() -> str:
    out = io.StringIO()
    call_command("sync_stripe", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_sync_stripe_imports_coupons_and_codes_made_in_stripe_once(db, fresh_stripe, staff, stripe_api):
    stripe = stripe_api()
    summer = stripe.v1.coupons.create(
        {
            "name": "Summer",
            "amount_off": 500,
            "currency": "usd",
            "duration": "repeating",
            "duration_in_months": 2,
        }
    )
    stripe.v1.promotion_codes.create(
        {"code": "SUMMER5", "promotion": {"type": "coupon", "coupon": summer.id}, "max_redemptions": 50}
    )
    stripe.v1.coupons.create({"percent_off": 12.5, "duration": "once"})
    staff.post(
        reverse("admin:catalog_coupon_add"), coupon_form("Shop's own", codes=["SHOP10"], percent_off="10")
    )

    first = sync_stripe()

    assert "coupons: 1 created, 0 updated, 1 unchanged, 0 archived, 1 skipped" in first
    assert "promotion codes: 1 created, 0 updated, 1 unchanged, 0 archived, 0 skipped" in first
    assert "not a whole percentage" in first
    imported = Coupon.objects.get(stripe_coupon_id=summer.id)
    assert (
        imported.name,
        imported.amount_off,
        imported.currency,
        imported.duration,
        imported.duration_in_months,
    ) == (
        "Summer",
        500,
        "usd",
        "repeating",
        2,
    )
    code = PromotionCode.objects.get(code="SUMMER5")
    assert (code.coupon, code.max_redemptions, code.active) == (imported, 50, True)
    assert Coupon.objects.count() == 2
    assert PromotionCode.objects.count() == 2

    stripe.v1.promotion_codes.update(code.stripe_promotion_code_id, {"active": False})
    second = sync_stripe()

    assert "coupons: 0 created, 0 updated, 2 unchanged, 0 archived, 1 skipped" in second
    assert "promotion codes: 0 created, 0 updated, 1 unchanged, 1 archived, 0 skipped" in second
    assert (Coupon.objects.count(), PromotionCode.objects.count()) == (2, 2)
    code.refresh_from_db()
    assert code.active is False

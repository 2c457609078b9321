"""axe-core finds no critical or serious violation on the admin pages staff work in, at a laptop's
width and a phone's."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from catalog.models import Product
from orders.models import STAFF_ATTENTION_KEY
from tests import factories
from tests.e2e.test_staff_admin_pages import sign_in_to_admin
from tests.images import png_upload


def serious_violations(page):
    response = Axe().run(page).response
    return [
        f"{violation['impact']} {violation['id']}: {[node['target'] for node in violation['nodes'][:3]]}"
        for violation in response["violations"]
        if violation["impact"] in {"critical", "serious"}
    ]


@pytest.fixture
def admin_pages(db):
    factories.AdminFactory(email="staff@example.com")
    product = factories.ProductFactory(name="Enamel mug")
    factories.ProductImageFactory(product=product, image=png_upload("mug.png"), alt_text="The mug")
    factories.PriceFactory(product=product, unit_amount=1800)
    factories.PriceFactory(product=product, monthly=True)
    coupon = factories.CouponFactory(percent_off=10)
    factories.PromotionCodeFactory(coupon=coupon)
    order = factories.OrderFactory(
        paid=True, stripe_payment_intent_id="pi_axe", metadata={STAFF_ATTENTION_KEY: ["Check the address."]}
    )
    factories.OrderItemFactory(order=order)
    factories.RefundFactory(order=order, amount=100, currency="usd", stripe_refund_id="re_axe")
    product = Product.objects.get(pk=product.pk)
    return [
        reverse("admin:index"),
        reverse("admin:catalog_product_changelist"),
        reverse("admin:catalog_product_add"),
        reverse("admin:catalog_product_change", args=[product.pk]),
        reverse("admin:catalog_price_add"),
        reverse("admin:catalog_coupon_add"),
        reverse("admin:catalog_coupon_change", args=[coupon.pk]),
        reverse("admin:catalog_promotioncode_add"),
        reverse("admin:catalog_shippingrate_add"),
        reverse("admin:orders_order_changelist"),
        reverse("admin:orders_order_change", args=[order.pk]),
        reverse("admin:orders_order_refund", args=[order.pk]),
        reverse("admin:orders_order_ship", args=[order.pk]),
        reverse("admin:orders_order_restock", args=[order.pk]),
    ]


def test_the_admin_pages_have_no_critical_or_serious_axe_violation(page, live_server, admin_pages):
    sign_in_to_admin(page, "staff@example.com")
    found = {}
    for width, height in [(1280, 800), (390, 844)]:
        page.set_viewport_size({"width": width, "height": height})
        for path in admin_pages:
            page.goto(path)
            page.wait_for_load_state("load")
            if violations := serious_violations(page):
                found[f"{path} at {width} px"] = violations

    assert found == {}

"""The admin pages staff work in: every input labelled, price rows in view, pictures asked for
again, the order's Refund and Ship buttons by its money, one date format, nothing raw."""

import datetime
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from orders.models import STAFF_ATTENTION_KEY, FulfillmentStatus, Order
from tests import factories
from tests.admin.pages import change_url, changelist_url
from tests.admin.test_catalog_admin import _product_form
from tests.images import png_upload

pytestmark = pytest.mark.django_db

FORM_CONTROL = re.compile(r"<(input|select|textarea)\b([^>]*)>")


def attribute(tag_attributes, name):
    found = re.search(rf'\b{name}="([^"]*)"', tag_attributes)
    return found.group(1) if found else None


def unlabelled_controls(html):
    """Return the ids of visible form controls that no <label for> and no aria-label names."""
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    missing = []
    for _, attributes in FORM_CONTROL.findall(html):
        control_id = attribute(attributes, "id")
        if attribute(attributes, "type") in {"hidden", "submit", "button"} or not control_id:
            continue
        if "__prefix__" in control_id or attribute(attributes, "aria-label"):
            continue
        if control_id not in labelled:
            missing.append(control_id)
    return missing


def labels_of_nothing(html):
    """Return the `for` of labels that name no form control on the page."""
    controls = {attribute(attributes, "id") for _, attributes in FORM_CONTROL.findall(html)}
    return [target for target in re.findall(r'<label[^>]*\bfor="([^"]+)"', html) if target not in controls]


def dangling_describedby(html):
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    references = re.findall(r'aria-describedby="([^"]+)"', html)
    return [
        ref for value in references for ref in value.split() if ref not in ids and "__prefix__" not in ref
    ]


@pytest.fixture
def product_with_everything():
    product = factories.ProductFactory(name="Enamel mug")
    factories.ProductImageFactory(product=product, image=png_upload("mug.png"), alt_text="The mug")
    factories.PriceFactory(product=product, unit_amount=1800)
    factories.PriceFactory(product=product, monthly=True)
    return Product.objects.get(pk=product.pk)


def test_every_input_of_the_catalog_and_order_pages_is_labelled_and_described_by_what_exists(
    super_admin_client, product_with_everything
):
    coupon = factories.CouponFactory(percent_off=10)
    factories.PromotionCodeFactory(coupon=coupon)
    order = factories.OrderFactory(paid=True, metadata={STAFF_ATTENTION_KEY: ["Look at this."]})
    factories.OrderItemFactory(order=order)
    for url in [
        change_url(order),
        reverse("admin:catalog_promotioncode_add"),
        change_url(product_with_everything),
        reverse("admin:catalog_product_add"),
        change_url(coupon),
        reverse("admin:catalog_coupon_add"),
        reverse("admin:catalog_price_add"),
        reverse("admin:catalog_shippingrate_add"),
    ]:
        html = super_admin_client.get(url).text
        assert unlabelled_controls(html) == [], url
        assert dangling_describedby(html) == [], url
        assert labels_of_nothing(html) == [], url


def test_the_price_rows_are_stacked_with_each_error_beside_its_field(super_admin_client):
    response = super_admin_client.post(
        reverse("admin:catalog_product_add"),
        _product_form("Mug", prices=[{"unit_amount": "18.00", "type": "RECURRING"}]),
    )

    assert response.status_code == 200
    html = response.text
    assert 'data-inline-type="stacked"' in html.split('id="prices-group"')[1][:400]
    block = html.split('id="prices-0"')[1]
    assert (
        "A recurring price needs a billing interval."
        in block[: block.index('id="id_prices-0-recurring_interval"')]
    )
    assert not Product.objects.filter(name="Mug").exists()


def test_after_an_error_the_page_asks_for_each_chosen_picture_again(super_admin_client):
    form = _product_form(
        "",
        images=[
            {"image": png_upload("mug.png"), "alt_text": "White enamel mug", "position": "0"},
            {"image": png_upload("side.png"), "alt_text": "Its side", "position": "1"},
        ],
    )

    response = super_admin_client.post(reverse("admin:catalog_product_add"), form)

    assert response.status_code == 200
    assert (
        "Nothing was saved: fix the errors below, then choose “mug.png” and “side.png” again."
        in response.text
    )
    assert "choose “mug.png” again: a browser forgets a chosen file" in response.text
    assert "choose “side.png” again" in response.text
    assert not Product.objects.exists()


def test_add_forms_show_no_history_before_anything_exists(super_admin_client):
    for name in ["product", "price", "shippingrate", "coupon"]:
        html = super_admin_client.get(reverse(f"admin:catalog_{name}_add")).text
        assert "Created at" not in html, name
        assert "Updated at" not in html, name
        assert "Stripe sync" not in html, name


def test_no_raw_metadata_box_faces_staff(super_admin_client, product_with_everything):
    price = product_with_everything.prices.first()
    order = factories.OrderFactory(paid=True)
    for url in [change_url(product_with_everything), change_url(price), change_url(order)]:
        html = super_admin_client.get(url).text
        assert 'name="metadata"' not in html, url
        assert ">Metadata<" not in html, url


def test_the_product_list_shows_a_thumbnail_and_keeps_its_columns_few(
    super_admin_client, product_with_everything
):
    html = super_admin_client.get(changelist_url(Product)).text

    # The picture's task ran when it was saved: the list shows the thumbnail, not the placeholder.
    [src] = re.findall(
        r'<td class="field-thumbnail"><img src="([^"]+)" alt="" width="48" height="48"></td>', html
    )
    assert src.startswith(settings.MEDIA_URL), src
    assert src.endswith(".webp"), src
    assert "column-stripe_product_id" not in html
    assert "column-in_sync_with_stripe" in html


def test_the_order_page_puts_refund_and_ship_buttons_by_its_money(super_admin_client):
    order = factories.OrderFactory(paid=True, stripe_payment_intent_id="pi_buttons", amount_total=3600)

    html = super_admin_client.get(change_url(order)).text

    money = html.split('id="order-money-heading"')[1].split("</section>")[0]
    assert "$36.00" in money
    assert (
        f'<a class="button" href="{reverse("admin:orders_order_refund", args=[order.pk])}">Refund…</a>'
        in money
    )
    assert (
        f'<a class="button" href="{reverse("admin:orders_order_ship", args=[order.pk])}">Ship…</a>' in money
    )


def test_ship_from_the_order_page_ships_that_order_and_comes_back(super_admin_client, mailoutbox):
    order = factories.OrderFactory(paid=True)
    neighbour = factories.OrderFactory(paid=True)

    form = super_admin_client.get(reverse("admin:orders_order_ship", args=[order.pk]))
    assert form.status_code == 200
    assert f'name="tracking_{order.pk}"' in form.text
    assert 'name="from_order_page" value="yes"' in form.text
    assert f'href="{change_url(order)}" class="button cancel-link"' in form.text
    shipped = super_admin_client.post(
        changelist_url(Order),
        {
            "action": "mark_shipped",
            "apply": "yes",
            "from_order_page": "yes",
            "_selected_action": [str(order.pk)],
            "carrier": "UPS",
            f"tracking_{order.pk}": "1Z999",
        },
    )

    assert shipped["Location"] == change_url(order)
    assert Order.objects.get(pk=order.pk).fulfillment_status == FulfillmentStatus.SHIPPED
    assert Order.objects.get(pk=neighbour.pk).fulfillment_status == FulfillmentStatus.UNFULFILLED
    html = super_admin_client.get(change_url(order)).text
    assert "Ship…" not in html


def test_an_unpaid_order_offers_no_refund(super_admin_client):
    order = factories.OrderFactory()

    html = super_admin_client.get(change_url(order)).text

    assert "Refund…</a>" not in html


def test_dates_read_one_way_across_the_order_pages(super_admin_client, settings):
    settings.TIME_ZONE = "UTC"
    created = datetime.datetime(2026, 12, 6, 8, 54, tzinfo=datetime.UTC)
    order = factories.OrderFactory(paid=True)
    Order.objects.filter(pk=order.pk).update(created_at=created, paid_at=created)

    page = super_admin_client.get(change_url(order)).text
    listing = super_admin_client.get(changelist_url(Order)).text

    assert "6 Dec 2026, 08:54" in page
    assert "a.m." not in page
    assert "6 Dec 2026<br>08:54" in listing


def test_the_history_tables_scroll_in_a_labelled_region_the_keyboard_reaches(super_admin_client):
    order = factories.OrderFactory(paid=True)
    factories.OrderItemFactory(order=order)

    html = super_admin_client.get(change_url(order)).text

    regions = re.findall(
        r'<div class="wrapper shop-scroll-region" tabindex="0" role="region" aria-labelledby="([^"]+)">', html
    )
    assert {"items-heading", "refunds-heading", "status_changes-heading"} <= set(regions)
    for heading in regions:
        assert f'id="{heading}"' in html


def test_staff_tick_off_a_note_they_have_looked_into_and_the_others_stay(super_admin_client):
    notes = ["The refund of $10.00 failed at Stripe.", "The dispute needs evidence."]
    order = factories.OrderFactory(paid=True, customer_name="Ada", metadata={STAFF_ATTENTION_KEY: notes})
    neighbour = factories.OrderFactory(paid=True, metadata={STAFF_ATTENTION_KEY: notes[:1]})

    page = super_admin_client.get(change_url(order)).text
    assert "Needs your attention" in page
    response = super_admin_client.post(
        change_url(order), {"customer_name": "Ada Lovelace", "handled_notes": [notes[0]], **_empty_inlines()}
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.metadata[STAFF_ATTENTION_KEY] == notes[1:]
    assert order.customer_name == "Ada Lovelace"
    assert Order.objects.get(pk=neighbour.pk).metadata[STAFF_ATTENTION_KEY] == notes[:1]
    assert order.updated_at <= timezone.now()


def test_an_order_stripe_gave_no_payers_name_shows_the_shipping_name_and_keeps_it_once_saved(
    super_admin_client,
):
    unnamed = factories.OrderFactory(
        paid=True, customer_name="", shipping_name="Charles Babbage", amount_total=5000, refunded_amount=2500
    )
    named = factories.OrderFactory(paid=True, customer_name="Ada Lovelace", shipping_name="Charles Babbage")
    neighbour = factories.OrderFactory(paid=True, customer_name="", shipping_name="Grace Hopper")

    page = super_admin_client.get(change_url(unnamed)).text
    name_input = re.search(r'<input[^>]*name="customer_name"[^>]*>', page).group(0)
    assert 'value="Charles Babbage"' in name_input
    assert "From the shipping address: Stripe gave no name for the payer." in page
    # The summary writes amounts as everywhere else.
    assert "refunded $25.00" in " ".join(page.split())
    assert 'value="Ada Lovelace"' in super_admin_client.get(change_url(named)).text
    assert "From the shipping address" not in super_admin_client.get(change_url(named)).text

    response = super_admin_client.post(
        change_url(unnamed), {"customer_name": "Charles Babbage", **_empty_inlines()}
    )

    assert response.status_code == 302
    assert Order.objects.get(pk=unnamed.pk).customer_name == "Charles Babbage"
    assert Order.objects.get(pk=named.pk).customer_name == "Ada Lovelace"
    assert Order.objects.get(pk=neighbour.pk).customer_name == ""


def _empty_inlines():
    data = {}
    for prefix in ["items", "refunds", "status_changes"]:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data

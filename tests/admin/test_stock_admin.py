"""Stock in admin: adjustments with a reason kept as history, the low-stock filter and dashboard
figure, and the CSV export."""

import csv
import io

from django.urls import reverse

from catalog.models import Variant
from inventory.models import StockAdjustment
from inventory.services import stock_adjust
from tests import factories


def tracked_variant(name: str, units: int) -> Variant:
    variant = factories.PriceFactory(product__name=name).variant
    Variant.objects.filter(pk=variant.pk).update(track_stock=True)
    variant.refresh_from_db()
    if units:
        stock_adjust(variant=variant, quantity=units, reason="First delivery")
    variant.refresh_from_db()
    return variant


def variant_form(variant: Variant, **changes) -> dict:
    return {
        "product": str(variant.product_id),
        "option_values": "{}",
        "sku": variant.sku,
        "position": "0",
        "track_stock": "on",
        "adjust_by": "",
        "adjust_reason": "",
        "adjustments-TOTAL_FORMS": "0",
        "adjustments-INITIAL_FORMS": "0",
        **changes,
    }


def test_staff_adjust_stock_with_a_reason_and_the_history_keeps_who_when_and_why(
    super_admin_client, super_admin
):
    mug = tracked_variant("Mug", 5)
    teapot = tracked_variant("Teapot", 2)
    url = reverse("admin:catalog_variant_change", args=[mug.pk])

    refused = super_admin_client.post(url, variant_form(mug, adjust_by="4"))
    assert "Say why the stock changes" in refused.text
    too_many = super_admin_client.post(url, variant_form(mug, adjust_by="-6", adjust_reason="Broken"))
    assert "Only 5 are in stock to take away." in too_many.text
    assert "are held" not in too_many.text
    Variant.objects.filter(pk=mug.pk).update(held=2, available=3)
    held = super_admin_client.post(url, variant_form(mug, adjust_by="-4", adjust_reason="Broken"))
    assert "Only 3 can be taken away: 2 more are held for checkouts in progress." in held.text
    Variant.objects.filter(pk=mug.pk).update(held=0, available=5)

    super_admin_client.post(url, variant_form(mug, adjust_by="-2", adjust_reason="Two broken in the store"))

    mug.refresh_from_db()
    assert (mug.on_hand, mug.available, mug.received) == (3, 3, 3)
    latest = StockAdjustment.objects.filter(variant=mug).first()
    assert (latest.quantity, latest.reason, latest.user, latest.on_hand_after) == (
        -2,
        "Two broken in the store",
        super_admin,
        3,
    )
    page = super_admin_client.get(url).text
    assert "Two broken in the store" in page
    assert "First delivery" in page
    teapot.refresh_from_db()
    assert (teapot.on_hand, teapot.available) == (2, 2)


def test_the_low_stock_filter_and_dashboard_count_tracked_variants_with_three_or_fewer(super_admin_client):
    tracked_variant("Low mug", 2)
    tracked_variant("Sold-out cap", 0)
    tracked_variant("Plenty of tees", 40)
    factories.PriceFactory(product__name="Untracked ebook")

    listed = super_admin_client.get(reverse("admin:catalog_variant_changelist"), {"stock": "low"})
    assert sorted(variant.product.name for variant in listed.context["cl"].result_list) == [
        "Low mug",
        "Sold-out cap",
    ]
    index = super_admin_client.get(reverse("admin:index")).text
    assert "Variants low on stock" in index
    assert f"{reverse('admin:catalog_variant_changelist')}?stock=low" in index


def test_staff_export_the_stock_as_csv(super_admin_client):
    mug = tracked_variant("Mug", 5)
    ebook = factories.PriceFactory(product__name="Ebook").variant

    response = super_admin_client.post(
        reverse("admin:catalog_variant_changelist"),
        {"action": "export_stock_csv", "_selected_action": [str(mug.pk), str(ebook.pk)]},
    )

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "sku",
        "product",
        "options",
        "tracked",
        "on_hand",
        "held",
        "available",
        "sold",
        "received",
    ]
    assert sorted(rows[1:]) == [
        ["EBOOK", "Ebook", "", "no", "0", "0", "0", "0", "0"],
        ["MUG", "Mug", "", "yes", "5", "0", "5", "0", "5"],
    ]

"""Stock moves one conditional write at a time; what staff and the repair command change."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from catalog.models import Variant
from inventory.exceptions import NotEnoughStock
from inventory.models import BackInStockRequest, StockHold
from inventory.services import StockLine, stock_adjust, stock_hold_for_checkout, stock_release_for_order
from inventory.tasks import back_in_stock_notify
from tests import factories

pytestmark = pytest.mark.django_db
LATER = timezone.now() + timedelta(minutes=30)


def tracked(units: int, name: str = "Mug") -> Variant:
    variant = factories.PriceFactory(product__name=name).variant
    Variant.objects.filter(pk=variant.pk).update(track_stock=True)
    stock_adjust(variant=variant, quantity=units, reason="Delivery")
    variant.refresh_from_db()
    return variant


def counters(variant) -> tuple:
    variant.refresh_from_db()
    return variant.on_hand, variant.held, variant.available


def test_holding_again_for_the_same_order_takes_nothing_more():
    mug = tracked(5)
    line = [StockLine(variant_id=mug.pk, quantity=2, name="Mug")]

    stock_hold_for_checkout(order_number="ORD-AAAAAAAAAAAA", lines=line, expires_at=LATER)
    stock_hold_for_checkout(order_number="ORD-AAAAAAAAAAAA", lines=line, expires_at=LATER)

    assert counters(mug) == (5, 2, 3)


def test_a_released_checkout_held_again_takes_its_units_again():
    mug = tracked(5)
    line = [StockLine(variant_id=mug.pk, quantity=2, name="Mug")]
    stock_hold_for_checkout(order_number="ORD-AAAAAAAAAAAA", lines=line, expires_at=LATER)
    stock_release_for_order(order_number="ORD-AAAAAAAAAAAA", note="test")
    stock_release_for_order(order_number="ORD-AAAAAAAAAAAA", note="again")
    assert counters(mug) == (5, 0, 5)

    stock_hold_for_checkout(order_number="ORD-AAAAAAAAAAAA", lines=line, expires_at=LATER)

    assert counters(mug) == (5, 2, 3)


def test_a_short_line_gives_back_the_lines_taken_before_it():
    mug, cap = tracked(5), tracked(1, "Cap")

    with pytest.raises(NotEnoughStock, match="Only 1 left of “Cap”"):
        stock_hold_for_checkout(
            order_number="ORD-AAAAAAAAAAAA",
            lines=[StockLine(variant_id=mug.pk, quantity=2, name="Mug"), StockLine(cap.pk, 2, "Cap")],
            expires_at=LATER,
        )

    assert counters(mug) == (5, 0, 5)
    assert counters(cap) == (1, 0, 1)
    assert not StockHold.objects.filter(state="HELD").exists()


def test_staff_cannot_take_away_units_held_by_checkouts():
    mug = tracked(3)
    stock_hold_for_checkout(
        order_number="ORD-AAAAAAAAAAAA", lines=[StockLine(mug.pk, 2, "Mug")], expires_at=LATER
    )

    with pytest.raises(NotEnoughStock):
        stock_adjust(variant=mug, quantity=-2, reason="Count")

    assert counters(mug) == (3, 2, 1)


def test_reconcile_gives_back_units_taken_without_a_hold_and_leaves_busy_variants_alone():
    lost, busy, neighbour = tracked(4), tracked(4, "Cap"), tracked(4, "Pot")
    stock_hold_for_checkout(
        order_number="ORD-AAAAAAAAAAAA", lines=[StockLine(neighbour.pk, 1, "Pot")], expires_at=LATER
    )
    # A checkout whose process died after taking the units, before recording its hold.
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Variant.objects.filter(pk=lost.pk).update(held=2, available=2, updated_at=an_hour_ago)
    Variant.objects.filter(pk=busy.pk).update(held=2, available=2)
    Variant.objects.filter(pk=neighbour.pk).update(updated_at=an_hour_ago)

    output = StringIO()
    call_command("stock_reconcile", stdout=output)

    assert "1 variant(s) fixed." in output.getvalue()
    assert counters(lost) == (4, 0, 4)
    assert counters(busy) == (4, 2, 2)
    assert counters(neighbour) == (4, 1, 3)


def test_a_variant_sold_when_out_is_held_beyond_its_stock_as_a_backorder(client):
    mug = tracked(1)
    Variant.objects.filter(pk=mug.pk).update(sell_when_out=True)

    stock_hold_for_checkout(
        order_number="ORD-AAAAAAAAAAAA", lines=[StockLine(mug.pk, 3, "Mug")], expires_at=LATER
    )

    assert counters(mug) == (1, 3, -2)
    assert "Available to order" in client.get(mug.product.get_absolute_url()).text


def test_raising_a_cart_lines_quantity_past_the_stock_is_refused(client):
    mug = tracked(3)
    price = mug.prices.get()
    client.post(
        reverse("cart:add"), {"product_id": str(price.product_id), "price_id": str(price.pk), "quantity": 1}
    )
    line = client.get(reverse("cart:detail")).context["lines"][0]

    refused = client.post(reverse("cart:item_update", args=[line.pk]), {"quantity": 4}, follow=True)

    assert "Only 3 left, and your cart already holds 1: you can have at most 3." in refused.text
    assert [line.quantity for line in refused.context["lines"]] == [1]
    client.post(reverse("cart:item_update", args=[line.pk]), {"quantity": 3})
    assert [line.quantity for line in client.get(reverse("cart:detail")).context["lines"]] == [3]


def test_a_back_in_stock_email_whose_outbox_write_failed_is_sent_once_when_the_task_is_retried(
    mailoutbox, outbox_write_fails_once
):
    mug, bowl = tracked(0), tracked(0, name="Bowl")
    for email in ("ada@example.com", "bob@example.com"):
        BackInStockRequest.objects.create(variant=mug, email=email)
    BackInStockRequest.objects.create(variant=bowl, email="grace@example.com")

    # The task queued by the restock fails on the outbox write; the worker tries it again.
    stock_adjust(variant=mug, quantity=5, reason="Restock")
    assert len(outbox_write_fails_once) == 1
    back_in_stock_notify.call(variant_id=str(mug.pk))
    back_in_stock_notify.call(variant_id=str(mug.pk))

    assert sorted(message.to[0] for message in mailoutbox) == ["ada@example.com", "bob@example.com"]
    assert BackInStockRequest.objects.get(variant=bowl).notified_at is None

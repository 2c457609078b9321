"""Stock moves one conditional write at a time; what staff and the repair command change."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Variant
from inventory.exceptions import NotEnoughStock
from inventory.models import BackInStockRequest, StockHold, StockHoldState
from inventory.services import (
    StockLine,
    stock_adjust,
    stock_hold_for_checkout,
    stock_release_for_order,
    stock_sell_for_order,
)
from inventory.tasks import back_in_stock_notify
from orders.models import STAFF_ATTENTION_KEY
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


def test_the_cart_counts_an_item_once_across_its_one_time_and_subscription_prices(client):
    mug = tracked(3)
    once, monthly = mug.prices.get(), factories.PriceFactory(product=mug.product, variant=mug, monthly=True)
    neighbour = Client()

    def add(shopper, price, quantity):
        data = {"product_id": str(price.product_id), "price_id": str(price.pk), "quantity": quantity}
        return shopper.post(reverse("cart:add"), data, follow=True)

    add(client, once, 2)
    refused = add(client, monthly, 2)
    add(neighbour, once, 3)

    assert "Only 3 left, and your cart already holds 2: you can have at most 3." in refused.text
    lines = client.get(reverse("cart:detail")).context["lines"]
    assert [line.quantity for line in lines] == [2]
    add(client, monthly, 1)
    monthly_line = client.get(reverse("cart:detail")).context["lines"][1]
    raised = client.post(reverse("cart:item_update", args=[monthly_line.pk]), {"quantity": 2}, follow=True)
    assert "Only 3 left, and your cart already holds 3: you can have at most 3." in raised.text

    # One taken away in the store: two lines of 2 + 1 are one more than is left; both say so.
    stock_adjust(variant=mug, quantity=-1, reason="Broken")
    cart = client.get(reverse("cart:detail"))
    assert [(line.quantity, line.stock_short) for line in cart.context["lines"]] == [(2, True), (1, True)]
    assert cart.text.count("Only 2 left: lower the quantity to check out.") == 2
    assert [line.quantity for line in neighbour.get(reverse("cart:detail")).context["lines"]] == [3]


class ProcessDied(BaseException):
    """The process selling stock stopped between its two writes."""


def dies_at_the_second_write(monkeypatch):
    real_update, writes = QuerySet.update, []

    def update(self, **kwargs):
        writes.append(self.model)
        if len(writes) == 2:
            raise ProcessDied
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", update)


@pytest.mark.parametrize(
    "reconciled_first", [True, False], ids=["reconciled-then-reported", "reported-again-first"]
)
def test_a_sale_cut_short_between_its_two_writes_never_puts_the_sold_units_back_on_sale(
    monkeypatch, reconciled_first
):
    mug, neighbour = tracked(4), tracked(4, "Pot")
    for number, variant, quantity in [("ORD-PAID", mug, 2), ("ORD-OPEN", mug, 1), ("ORD-NEXT", neighbour, 1)]:
        stock_hold_for_checkout(
            order_number=number, lines=[StockLine(variant.pk, quantity, "")], expires_at=LATER
        )
    dies_at_the_second_write(monkeypatch)
    with pytest.raises(ProcessDied):
        stock_sell_for_order(order_number="ORD-PAID")
    monkeypatch.undo()
    an_hour_ago = timezone.now() - timedelta(hours=1)

    # The repair command runs, and the payment is reported again (a webhook retried, the sweep).
    steps = [
        lambda: Variant.objects.filter(pk=mug.pk).update(updated_at=an_hour_ago),
        lambda: call_command("stock_reconcile", stdout=StringIO()),
    ]
    report_again = lambda: stock_sell_for_order(order_number="ORD-PAID")  # noqa: E731
    for step in [*steps, report_again] if reconciled_first else [report_again, *steps]:
        step()

    mug.refresh_from_db()
    assert (mug.on_hand, mug.held, mug.available, mug.sold, mug.received) == (2, 1, 1, 2, 4)
    assert StockHold.objects.get(order_number="ORD-PAID").state == StockHoldState.SOLD
    assert StockHold.objects.get(order_number="ORD-OPEN").state == StockHoldState.HELD
    assert counters(neighbour) == (4, 1, 3)


def test_a_payment_arriving_after_its_hold_was_released_with_nothing_left_is_flagged_for_staff():
    mug, teapot = tracked(1), tracked(3, "Teapot")
    late, on_time = factories.OrderFactory(), factories.OrderFactory()
    for order, variant in [(late, mug), (on_time, teapot)]:
        stock_hold_for_checkout(
            order_number=order.number, lines=[StockLine(variant.pk, 1, "")], expires_at=LATER
        )
        # The sweep released the hold at the session's expiry; the payment settled after.
        stock_release_for_order(order_number=order.number, note="session expired")
    stock_adjust(variant=mug, quantity=-1, reason="Sold in the store")

    for order in (late, on_time):
        stock_sell_for_order(order_number=order.number)

    late.refresh_from_db()
    on_time.refresh_from_db()
    assert StockHold.objects.get(order_number=late.number).state == StockHoldState.BACKORDERED
    assert late.metadata[STAFF_ATTENTION_KEY] == [
        "Backorder: no stock of Mug when the payment arrived after its checkout's hold had ended; "
        "ship it once restocked."
    ]
    assert StockHold.objects.get(order_number=on_time.number).state == StockHoldState.SOLD
    assert STAFF_ATTENTION_KEY not in on_time.metadata
    assert counters(teapot) == (2, 0, 2)

"""Stock held at checkout over real HTTP: concurrent shoppers, the embedded database, the Stripe
simulator and its webhooks. No oversell, and every way a checkout ends gives the units back or
sells them once."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import StringIO

import stripe
from django.core.management import call_command
from django.utils import timezone

from catalog.models import Variant
from inventory.models import StockHold, StockHoldState
from inventory.services import stock_adjust
from inventory.tasks import stock_holds_sweep
from orders.models import STAFF_ATTENTION_KEY, Order, OrderStatus, PaymentStatus
from payments import checkout as checkout_module
from tests import factories
from tests.payments.subscriptions import advance_one_period, renewals_of, wait_until


def stocked_price(name: str, units: int, **price_fields):
    """Return a price of a new product whose one item has `units` on the shelf."""
    price = factories.PriceFactory(product__name=name, **price_fields)
    Variant.objects.filter(pk=price.variant_id).update(track_stock=True)
    stock_adjust(variant=Variant.objects.get(pk=price.variant_id), quantity=units, reason="First delivery")
    return price


def counters(price) -> dict:
    return Variant.objects.filter(pk=price.variant_id).values(
        "on_hand", "held", "available", "sold", "received"
    )[0]


def assert_invariants(row: dict) -> None:
    assert row["available"] >= 0
    assert row["available"] + row["held"] == row["on_hand"]
    assert row["on_hand"] + row["sold"] == row["received"]


class InvariantWatch:
    """Read the variants over and over while shoppers check out, and keep every reading."""

    def __init__(self, *prices):
        self.prices, self.readings, self._stop = prices, [], threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while not self._stop.is_set():
            for price in self.prices:
                self.readings.append(counters(price))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        assert self.readings
        for row in self.readings:
            assert_invariants(row)


def checkout_all_at_once(purchases) -> list:
    barrier = threading.Barrier(len(purchases))

    def go(purchase):
        barrier.wait()
        return purchase.shopper.checkout()

    with ThreadPoolExecutor(max_workers=len(purchases)) as pool:
        return list(pool.map(go, purchases))


def cart_message(purchase) -> str:
    return purchase.shopper.get("/cart/").text


def test_twenty_shoppers_at_once_for_five_units_make_five_sessions_and_the_released_units_sell_again(
    stripe_sim, guest_with_cart
):
    mug = stocked_price("Stoneware mug", 5)
    neighbour = stocked_price("Teapot", 4)
    purchases = [guest_with_cart((mug, 1)) for _ in range(20)]

    with InvariantWatch(mug, neighbour):
        responses = checkout_all_at_once(purchases)

    started = [p for p, r in zip(purchases, responses, strict=True) if r.status_code == 303]
    refused = [p for p, r in zip(purchases, responses, strict=True) if r.status_code == 302]
    assert (len(started), len(refused)) == (5, 15)
    for purchase in refused:
        assert "“Stoneware mug” sold out while it was in your cart" in cart_message(purchase)
        purchase.cart.refresh_from_db()
        assert not purchase.cart.is_locked
    assert Order.objects.count() == 5
    assert counters(mug) == {"on_hand": 5, "held": 5, "available": 0, "sold": 0, "received": 5}
    assert counters(neighbour) == {"on_hand": 4, "held": 0, "available": 4, "sold": 0, "received": 4}

    # Three pay; two let their sessions expire, and two of the refused buy the released units.
    orders = {order.cart_id: order for order in Order.objects.all()}
    for purchase in started[:3]:
        page = stripe_sim.url + "/checkout/" + orders[purchase.cart.pk].stripe_checkout_session_id
        assert purchase.shopper.on_stripe_page(page, "pay").status_code == 303
    for purchase in started[3:]:
        stripe_sim.expire(orders[purchase.cart.pk].stripe_checkout_session_id)
    stripe_sim.wait_for_deliveries()
    assert counters(mug) == {"on_hand": 2, "held": 0, "available": 2, "sold": 3, "received": 5}

    with InvariantWatch(mug):
        again = checkout_all_at_once(refused[:4])
    assert sorted(response.status_code for response in again) == [302, 302, 303, 303]
    assert counters(mug) == {"on_hand": 2, "held": 2, "available": 0, "sold": 3, "received": 5}
    assert_invariants(counters(mug))
    assert counters(neighbour)["available"] == 4


def test_a_cart_of_several_items_is_held_whole_or_not_at_all(stripe_sim, guest_with_cart):
    tee = stocked_price("Cotton tee", 5)
    cap = stocked_price("Wool cap", 2)
    purchases = [guest_with_cart((tee, 1), (cap, 1)) for _ in range(6)]

    with InvariantWatch(tee, cap):
        responses = checkout_all_at_once(purchases)

    assert sorted(response.status_code for response in responses) == [302] * 4 + [303] * 2
    # The refused kept no tee: only the two whole checkouts hold anything.
    assert counters(tee) == {"on_hand": 5, "held": 2, "available": 3, "sold": 0, "received": 5}
    assert counters(cap) == {"on_hand": 2, "held": 2, "available": 0, "sold": 0, "received": 2}
    assert StockHold.objects.filter(state=StockHoldState.HELD).count() == 4
    refusals = [cart_message(p) for p, r in zip(purchases, responses, strict=True) if r.status_code == 302]
    # A checkout may find the last tee taken for a moment by one that then gives it back for want of
    # a cap: every refusal names what ran out, and at least three (four refused, five tees) the cap.
    assert all("sold out while it was in your cart" in message for message in refusals)
    assert sum("“Wool cap” sold out while it was in your cart" in message for message in refusals) >= 3


def test_asking_for_more_than_is_left_names_how_many_are_left_and_changes_nothing(
    stripe_sim, guest_with_cart
):
    lamp = stocked_price("Desk lamp", 3)
    purchase = guest_with_cart((lamp, 4))

    assert purchase.shopper.checkout().status_code == 302

    assert "Only 3 left of “Desk lamp”" in cart_message(purchase)
    assert counters(lamp)["available"] == 3
    purchase.cart.refresh_from_db()
    assert purchase.cart.items.get().quantity == 4


def start(purchase, stripe_sim):
    response = purchase.shopper.checkout()
    assert response.status_code == 303, response.text
    return response.headers["Location"], Order.objects.get(cart=purchase.cart)


def hold_state(order) -> str:
    return StockHold.objects.get(order_number=order.number).state


def two_minutes_ago(monkeypatch):
    """Run what follows as if two minutes ago, until monkeypatch.undo()."""
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() - timedelta(minutes=2))


def test_a_checkout_refused_for_stock_starts_when_tried_again_minutes_after_a_restock(
    stripe_sim, guest_with_cart, monkeypatch
):
    lamp = stocked_price("Desk lamp", 1)
    purchase = guest_with_cart((lamp, 2))
    two_minutes_ago(monkeypatch)
    assert purchase.shopper.checkout().status_code == 302
    assert "Only 1 left of “Desk lamp”" in cart_message(purchase)
    monkeypatch.undo()

    stock_adjust(variant=Variant.objects.get(pk=lamp.variant_id), quantity=4, reason="Delivery")
    response = purchase.shopper.checkout()

    assert response.status_code == 303, cart_message(purchase)
    order = Order.objects.get(cart=purchase.cart)
    hold = StockHold.objects.get(order_number=order.number)
    assert timedelta(minutes=30) <= hold.expires_at - timezone.now() <= timedelta(minutes=31)
    assert counters(lamp) == {"on_hand": 5, "held": 2, "available": 3, "sold": 0, "received": 5}


def test_a_checkout_stripe_could_not_start_starts_when_tried_again_minutes_later(
    stripe_sim, guest_with_cart, monkeypatch
):
    lamp = stocked_price("Desk lamp", 3)
    neighbour = guest_with_cart((lamp, 1))
    start(neighbour, stripe_sim)
    purchase = guest_with_cart((lamp, 1))

    def unreachable(**kwargs):
        raise stripe.APIConnectionError("Stripe is down")

    two_minutes_ago(monkeypatch)
    monkeypatch.setattr(checkout_module, "_stripe_session_create", unreachable)
    assert purchase.shopper.checkout().status_code == 302
    assert "We could not reach our payment provider" in cart_message(purchase)
    monkeypatch.undo()
    assert counters(lamp)["held"] == 1

    response = purchase.shopper.checkout()

    assert response.status_code == 303, cart_message(purchase)
    assert counters(lamp) == {"on_hand": 3, "held": 2, "available": 1, "sold": 0, "received": 3}
    assert Order.objects.get(cart=neighbour.cart).status == OrderStatus.PENDING


def test_the_session_expires_when_the_hold_does(stripe_sim, guest_with_cart, stripe_api, settings):
    settings.CHECKOUT_HOLD_MINUTES = 45
    vase = stocked_price("Vase", 2)
    _, order = start(guest_with_cart((vase, 1)), stripe_sim)

    session = stripe_api().v1.checkout.sessions.retrieve(order.stripe_checkout_session_id)
    hold = StockHold.objects.get(order_number=order.number)
    assert int(hold.expires_at.timestamp()) == session.expires_at
    assert timedelta(minutes=45) <= hold.expires_at - timezone.now() <= timedelta(minutes=46)


def test_an_expired_session_releases_its_units(stripe_sim, guest_with_cart):
    vase = stocked_price("Vase", 2)
    _, order = start(guest_with_cart((vase, 2)), stripe_sim)

    stripe_sim.expire(order.stripe_checkout_session_id)
    stripe_sim.wait_for_deliveries()

    assert hold_state(order) == StockHoldState.RELEASED
    assert counters(vase) == {"on_hand": 2, "held": 0, "available": 2, "sold": 0, "received": 2}


def test_a_shopper_cancelling_the_payment_releases_the_units(stripe_sim, guest_with_cart):
    vase = stocked_price("Vase", 2)
    purchase = guest_with_cart((vase, 1))
    _, order = start(purchase, stripe_sim)

    assert purchase.shopper.post("/payments/cancel/").status_code == 302
    stripe_sim.wait_for_deliveries()

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert hold_state(order) == StockHoldState.RELEASED
    assert counters(vase)["available"] == 2


def test_a_declined_bank_payment_releases_and_a_cleared_one_sells(stripe_sim, guest_with_cart):
    vase = stocked_price("Vase", 2)
    failing, succeeding = guest_with_cart((vase, 1)), guest_with_cart((vase, 1))
    failing_page, failing_order = start(failing, stripe_sim)
    succeeding_page, succeeding_order = start(succeeding, stripe_sim)

    failing.shopper.on_stripe_page(failing_page, "pay_async")
    succeeding.shopper.on_stripe_page(succeeding_page, "pay_async")
    stripe_sim.wait_for_deliveries()
    # Settling: the units stay held, neither sold nor back on sale.
    assert counters(vase) == {"on_hand": 2, "held": 2, "available": 0, "sold": 0, "received": 2}

    stripe_sim.settle_async(failing_order.stripe_checkout_session_id, succeeded=False)
    stripe_sim.settle_async(succeeding_order.stripe_checkout_session_id, succeeded=True)
    stripe_sim.wait_for_deliveries()

    failing_order.refresh_from_db()
    assert failing_order.payment_status == PaymentStatus.FAILED
    assert hold_state(failing_order) == StockHoldState.RELEASED
    assert hold_state(succeeding_order) == StockHoldState.SOLD
    assert counters(vase) == {"on_hand": 1, "held": 0, "available": 1, "sold": 1, "received": 2}


def test_the_sweep_releases_a_session_that_ended_without_any_webhook(stripe_sim, guest_with_cart):
    vase = stocked_price("Vase", 3)
    _, ended = start(guest_with_cart((vase, 1)), stripe_sim)
    _, still_open = start(guest_with_cart((vase, 1)), stripe_sim)
    with stripe_sim.deliveries_dropped():
        stripe_sim.expire(ended.stripe_checkout_session_id)
    assert hold_state(ended) == StockHoldState.HELD
    # The sweep looks only at holds past their expiry: make the ended one's so.
    StockHold.objects.filter(order_number=ended.number).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    stock_holds_sweep.enqueue()

    assert hold_state(ended) == StockHoldState.RELEASED
    assert hold_state(still_open) == StockHoldState.HELD
    ended.refresh_from_db()
    assert ended.status == OrderStatus.CANCELLED
    assert counters(vase) == {"on_hand": 3, "held": 1, "available": 2, "sold": 0, "received": 3}


def test_a_paid_order_sells_its_units_once_however_often_it_is_confirmed(stripe_sim, guest_with_cart):
    vase = stocked_price("Vase", 2)
    purchase = guest_with_cart((vase, 2))
    page, order = start(purchase, stripe_sim)

    success = purchase.shopper.on_stripe_page(page, "pay").headers["Location"]
    stripe_sim.wait_for_deliveries()
    purchase.shopper.get(success)
    StockHold.objects.filter(order_number=order.number).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    stock_holds_sweep.enqueue()

    assert hold_state(order) == StockHoldState.SOLD
    assert counters(vase) == {"on_hand": 0, "held": 0, "available": 0, "sold": 2, "received": 2}


def test_a_renewal_takes_its_units_when_stripe_charges_it_and_is_a_backorder_when_there_are_none(
    fresh_sim, guest_with_cart
):
    beans = stocked_price("Coffee beans", 2, monthly=True, unit_amount=1200)
    purchase = guest_with_cart((beans, 1))
    page = purchase.shopper.checkout().headers["Location"]
    assert purchase.shopper.on_stripe_page(page, "pay").status_code == 303
    fresh_sim.wait_for_deliveries(timeout=10)
    first = Order.objects.get(renewal_of__isnull=True)
    assert counters(beans) == {"on_hand": 1, "held": 0, "available": 1, "sold": 1, "received": 2}

    advance_one_period(fresh_sim, first.stripe_subscription_id)
    wait_until(lambda: renewals_of(first).count() == 1)
    assert counters(beans) == {"on_hand": 0, "held": 0, "available": 0, "sold": 2, "received": 2}
    assert STAFF_ATTENTION_KEY not in renewals_of(first)[0].metadata

    advance_one_period(fresh_sim, first.stripe_subscription_id)
    wait_until(lambda: renewals_of(first).count() == 2)
    backorder = renewals_of(first)[1]
    assert backorder.payment_status == PaymentStatus.PAID
    assert "Backorder: no stock of Coffee beans" in backorder.metadata[STAFF_ATTENTION_KEY][0]
    assert StockHold.objects.get(order_number=backorder.number).state == StockHoldState.BACKORDERED
    assert counters(beans) == {"on_hand": 0, "held": 0, "available": 0, "sold": 2, "received": 2}


def test_a_variants_price_names_its_sku_and_options_in_stripe(stripe_sim, guest_with_cart, stripe_api):
    product = factories.ProductFactory(name="Tee", option_axes=[{"name": "Size", "values": ["S", "M"]}])
    medium = Variant.objects.create(
        product=product, option_values={"Size": "M"}, sku="TEE-M", track_stock=False
    )
    price = factories.PriceFactory(product=product, variant=medium)

    start(guest_with_cart((price, 1)), stripe_sim)

    price.refresh_from_db()
    product.refresh_from_db()
    stripe_price = stripe_api().v1.prices.retrieve(price.stripe_price_id)
    assert stripe_price.product == product.stripe_product_id
    assert (stripe_price.metadata["sku"], stripe_price.metadata["option Size"]) == ("TEE-M", "M")


def test_reconciling_with_stripe_sells_a_payment_the_shop_never_heard_of_and_releases_an_expiry(
    fresh_sim, guest_with_cart
):
    vase = stocked_price("Vase", 3)
    paying, expiring = guest_with_cart((vase, 1)), guest_with_cart((vase, 1))
    with fresh_sim.deliveries_dropped():
        page, paid = start(paying, fresh_sim)
        _, expired = start(expiring, fresh_sim)
        assert paying.shopper.on_stripe_page(page, "pay").status_code == 303
        fresh_sim.expire(expired.stripe_checkout_session_id)
    Order.objects.filter(pk__in=[paid.pk, expired.pk]).update(created_at=timezone.now() - timedelta(hours=1))
    assert counters(vase)["held"] == 2

    call_command("reconcile_stripe", stdout=StringIO(), stderr=StringIO())

    assert (hold_state(paid), hold_state(expired)) == (StockHoldState.SOLD, StockHoldState.RELEASED)
    assert counters(vase) == {"on_hand": 2, "held": 0, "available": 2, "sold": 1, "received": 3}

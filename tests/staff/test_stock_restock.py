"""A refund can put the goods back on the shelf: staff choose how many, at most what was sold."""

import pytest
from django.urls import reverse

from accounts.models import UserRole
from catalog.models import Variant
from inventory.models import StockAdjustment, StockHold
from inventory.services import stock_adjust
from orders.models import Order
from tests import factories
from tests.staff.helpers import REFUSED_ROLES, checkout_paid, is_login_redirect, order_change_url, refund_url


def paid_order_of_stock(simulator, *, units: int, quantity: int, name: str = "Stoneware mug") -> Order:
    price = factories.PriceFactory(product__name=name, unit_amount=1800)
    Variant.objects.filter(pk=price.variant_id).update(track_stock=True)
    stock_adjust(variant=Variant.objects.get(pk=price.variant_id), quantity=units, reason="First delivery")
    cart = factories.CartFactory(currency=price.currency)
    factories.CartItemFactory(cart=cart, price=price, quantity=quantity)
    return checkout_paid(simulator, cart)


def counters(order) -> dict:
    variant_id = StockHold.objects.get(order_number=order.number).variant_id
    return Variant.objects.filter(pk=variant_id).values("on_hand", "available", "sold", "received")[0]


def refund(client, order, amount, **restock):
    page = client.get(refund_url(order))
    assert page.status_code == 200
    data = {
        "amount": amount,
        "stripe_reason": "requested_by_customer",
        "reason": "Returned",
        "request_token": page.context["form"].initial["request_token"],
        **restock,
    }
    return client.post(refund_url(order), data, follow=True)


def test_a_refund_puts_back_the_units_staff_choose_and_never_more_than_were_sold(client_as, stripe_sim):
    client = client_as(UserRole.ADMIN)
    order = paid_order_of_stock(stripe_sim, units=5, quantity=3)
    neighbour = paid_order_of_stock(stripe_sim, units=4, quantity=1, name="Teapot")
    assert counters(order) == {"on_hand": 2, "available": 2, "sold": 3, "received": 5}
    hold = StockHold.objects.get(order_number=order.number)
    field = f"restock_{hold.pk}"
    page = client.get(refund_url(order))
    assert "Put back: Stoneware mug" in page.text

    too_many = refund(client, order, "18.00", **{field: 4})
    assert "Ensure this value is less than or equal to 3." in too_many.text
    assert counters(order)["on_hand"] == 2

    refund(client, order, "18.00", **{field: 2})
    stripe_sim.wait_for_deliveries()

    assert counters(order) == {"on_hand": 4, "available": 4, "sold": 3, "received": 7}
    adjustment = StockAdjustment.objects.get(order=order)
    assert (adjustment.quantity, adjustment.user.role) == (2, UserRole.ADMIN)
    assert adjustment.reason == f"Returned with the refund of order {order.number}"
    # One more can go back later, not two.
    page = client.get(refund_url(order))
    assert "Up to 1, the units sold" in page.text
    assert counters(neighbour) == {"on_hand": 3, "available": 3, "sold": 1, "received": 4}


def restock_url(order):
    return reverse("admin:orders_order_restock", args=[order.pk])


def put_back(client, order, quantity, reason="Parcel came back unopened", follow=True):
    hold = StockHold.objects.get(order_number=order.number)
    data = {"hold": str(hold.pk), "quantity": quantity, "reason": reason}
    return client.post(restock_url(order), data, follow=follow)


def test_staff_put_back_returned_units_without_a_refund_never_more_than_were_sold(client_as, stripe_sim):
    client = client_as(UserRole.ADMIN)
    order = paid_order_of_stock(stripe_sim, units=5, quantity=3)
    neighbour = paid_order_of_stock(stripe_sim, units=4, quantity=1, name="Teapot")
    order_page = client.get(order_change_url(order)).text
    assert f'href="{restock_url(order)}"' in order_page
    assert "Put back in stock…" in order_page

    too_many = put_back(client, order, 4)
    assert "At most 3: the units sold with this order and not put back yet." in too_many.text
    no_reason = put_back(client, order, 1, reason="")
    assert "Say why the units come back" in no_reason.text
    assert counters(order) == {"on_hand": 2, "available": 2, "sold": 3, "received": 5}

    done = put_back(client, order, 2)

    assert "2 × Stoneware mug put back in stock from order" in done.text
    assert counters(order) == {"on_hand": 4, "available": 4, "sold": 3, "received": 7}
    adjustment = StockAdjustment.objects.get(order=order)
    assert (adjustment.quantity, adjustment.user.role) == (2, UserRole.ADMIN)
    assert adjustment.reason == f"Returned from order {order.number}: Parcel came back unopened"
    assert ": up to 1</option>" in client.get(restock_url(order)).text
    assert "At most 1" in put_back(client, order, 2).text
    assert counters(order)["on_hand"] == 4
    assert counters(neighbour) == {"on_hand": 3, "available": 3, "sold": 1, "received": 4}


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_who_may_not_handle_orders_cannot_put_units_back(client_as, stripe_sim, role):
    order = paid_order_of_stock(stripe_sim, units=5, quantity=3)

    client = client_as(role)

    assert is_login_redirect(client.get(restock_url(order)))
    assert is_login_redirect(put_back(client, order, 1, follow=False))

    assert counters(order) == {"on_hand": 2, "available": 2, "sold": 3, "received": 5}
    assert not StockAdjustment.objects.filter(order=order).exists()

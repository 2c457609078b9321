"""Real concurrent requests: threads, each with its own database connection."""

import threading

import pytest
from django.db import connections

from cart.models import Cart, CartItem, CartStatus
from cart.selectors import price_get_for_sale
from cart.services import cart_add_price, cart_get_or_create_for_request, cart_remove_item
from tests.cart.helpers import guest_request
from tests.factories import CartFactory, CartItemFactory, PriceFactory

THREADS = 3


def run_together(work, count=THREADS):
    """Run work(index) in `count` threads released at the same moment; re-raise their errors."""
    barrier = threading.Barrier(count)
    errors = []

    def run(index):
        try:
            barrier.wait()
            work(index)
        except Exception as error:  # the assertion below reports it
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.django_db
def test_concurrent_adds_of_one_price_end_as_one_line_with_the_sum():
    cart = CartFactory()
    price = price_get_for_sale(price_id=(created := PriceFactory()).pk, product_id=created.product_id)

    run_together(lambda index: [cart_add_price(cart=cart, price=price, quantity=1) for _ in range(2)])

    assert list(CartItem.objects.filter(cart=cart).values_list("quantity", flat=True)) == [THREADS * 2]
    stored = Cart.objects.get(pk=cart.pk)
    assert CartItem.objects.get(cart=cart).expires_at == stored.expires_at


@pytest.mark.django_db
def test_concurrent_first_adds_of_one_session_make_one_active_cart():
    session_request = guest_request()
    session_request.session.create()
    session = session_request.session
    price = price_get_for_sale(price_id=(created := PriceFactory()).pk, product_id=created.product_id)

    def first_add(index):
        cart = cart_get_or_create_for_request(request=guest_request(session))
        cart_add_price(cart=cart, price=price, quantity=1)

    run_together(first_add)

    (cart,) = Cart.objects.filter(status=CartStatus.ACTIVE)
    assert CartItem.objects.get(cart=cart).quantity == THREADS


@pytest.mark.django_db
def test_removing_the_last_line_while_adding_never_leaves_a_line_without_the_carts_currency():
    cart = CartFactory(currency="usd")
    last = CartItemFactory(cart=cart)
    price = price_get_for_sale(price_id=(created := PriceFactory()).pk, product_id=created.product_id)

    def change(index):
        if index == 0:
            cart_remove_item(cart=cart, item=last)
        else:
            cart_add_price(cart=cart, price=price, quantity=1)

    run_together(change, count=2)

    assert Cart.objects.get(pk=cart.pk).currency == "usd"
    assert list(CartItem.objects.filter(cart=cart).values_list("price_id", flat=True)) == [price.pk]

"""Every cart write changes one cart: other shoppers' carts beside it stay exactly as they were."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cart.exceptions import InvalidQuantity, QuantityLimitExceeded
from cart.models import Cart, CartItem, CartStatus
from cart.services import (
    cart_expire,
    cart_freeze,
    cart_merge_guest_into_user,
    cart_remove_item,
    cart_touch,
    cart_update_item,
)
from tests.cart.test_services import add
from tests.factories import CartFactory, CartItemFactory, PriceFactory, UserFactory

MUG_PRICE = 1500


def state(cart_id):
    """Return what a shopper could notice of a cart, and what the TTL monitor acts on."""
    cart = Cart.objects.get(pk=cart_id)
    lines = sorted(CartItem.objects.filter(cart_id=cart_id).values_list("price_id", "quantity", "expires_at"))
    return (
        cart.status,
        cart.currency,
        cart.checkout_session_id,
        cart.expires_at,
        cart.last_activity_at,
        lines,
    )


@pytest.fixture
def mug(db):
    return PriceFactory(unit_amount=MUG_PRICE)


@pytest.fixture
def neighbours(mug):
    """Other shoppers' carts, each holding the mug: a guest's (two days old, in usd), a user's, one
    being paid for, and an empty one in no currency. Return a function that asserts them untouched."""
    long_ago = timezone.now() - timedelta(days=2)
    carts = [
        CartFactory(currency="usd", last_activity_at=long_ago, expires_at=long_ago + timedelta(days=7)),
        CartFactory(for_user=True, currency="usd", last_activity_at=long_ago),
        CartFactory(currency="usd", checkout_session_id="cs_neighbour", last_activity_at=long_ago),
    ]
    for quantity, cart in enumerate(carts, start=3):
        CartItemFactory(cart=cart, price=mug, quantity=quantity)
    carts.append(CartFactory(last_activity_at=long_ago))
    before = {cart.pk: state(cart.pk) for cart in carts}

    def assert_untouched():
        assert {cart_id: state(cart_id) for cart_id in before} == before

    return assert_untouched


def test_adding_to_a_cart_changes_no_other_cart(neighbours, mug):
    cart = CartFactory()

    add(cart, mug, 2)
    add(cart, mug, 1)

    assert list(CartItem.objects.filter(cart=cart).values_list("quantity", flat=True)) == [3]
    neighbours()


def test_updating_and_removing_a_line_change_no_other_cart(neighbours, mug):
    cart = CartFactory()
    line = add(cart, mug, 2)
    other = add(cart, PriceFactory(), 1)

    cart_update_item(cart=cart, item=line, quantity=5)
    cart_remove_item(cart=cart, item=other)
    cart_remove_item(cart=cart, item=line)

    # Emptied, the cart takes any currency again, whatever other carts hold.
    assert Cart.objects.get(pk=cart.pk).currency == ""
    neighbours()


def test_touching_a_cart_changes_no_other_cart(neighbours, mug):
    cart = CartFactory(last_activity_at=timezone.now() - timedelta(minutes=61))
    CartItemFactory(cart=cart, price=mug)

    assert cart_touch(cart=cart) is True

    neighbours()


def test_freezing_a_cart_for_checkout_freezes_no_other_cart(neighbours, mug):
    cart = CartFactory(currency="usd")
    CartItemFactory(cart=cart, price=mug)

    assert cart_freeze(cart=cart, checkout_session_id="cs_mine") is True

    assert Cart.objects.get(pk=cart.pk).checkout_session_id == "cs_mine"
    neighbours()


def test_expiring_a_cart_expires_no_other_cart(neighbours, mug):
    cart = CartFactory()

    assert cart_expire(cart_ids=[cart.pk]) == 1

    assert Cart.objects.get(pk=cart.pk).status == CartStatus.EXPIRED
    neighbours()


def test_merging_a_guest_cart_changes_no_other_cart(neighbours, mug):
    user_cart = CartFactory(for_user=True, currency="usd")
    CartItemFactory(cart=user_cart, price=PriceFactory(), quantity=1)
    guest = CartFactory(currency="usd")
    CartItemFactory(cart=guest, price=mug, quantity=2)

    merge = cart_merge_guest_into_user(guest_cart=guest, user=user_cart.user)

    assert merge.merged_line_count == 1
    assert CartItem.objects.get(cart=user_cart, price=mug).quantity == 2
    neighbours()


def test_merging_an_emptied_guest_cart_deletes_only_that_cart(neighbours):
    guest = CartFactory()

    cart_merge_guest_into_user(guest_cart=guest, user=UserFactory())

    assert not Cart.objects.filter(pk=guest.pk).exists()
    neighbours()


# --- CART_MAX_QUANTITY: 99 is allowed, 100 is not ------------------------------------------------


@pytest.mark.django_db
def test_exactly_99_units_fit_in_one_add_and_one_more_is_refused(mug):
    cart = CartFactory()

    assert add(cart, mug, 99).quantity == 99
    with pytest.raises(QuantityLimitExceeded):
        add(cart, mug, 1)

    assert CartItem.objects.get(cart=cart).quantity == 99


@pytest.mark.django_db
def test_a_line_of_98_takes_one_more_and_can_be_set_to_99_but_not_100(mug):
    cart = CartFactory()
    line = add(cart, mug, 98)

    assert add(cart, mug, 1).quantity == 99
    cart_update_item(cart=cart, item=line, quantity=99)
    with pytest.raises(InvalidQuantity):
        cart_update_item(cart=cart, item=line, quantity=100)

    assert CartItem.objects.get(cart=cart).quantity == 99


@pytest.mark.django_db
def test_the_cart_page_takes_99_of_an_item_and_refuses_100(client, mug):
    form = {"product_id": mug.product_id, "price_id": mug.pk}

    added = client.post(reverse("cart:add"), {**form, "quantity": 99}, follow=True)
    refused = client.post(reverse("cart:add"), {**form, "quantity": 100}, follow=True)

    assert "Added 99 × " in added.text
    assert "You can have at most 99 of one item in your cart." in refused.text
    assert list(CartItem.objects.values_list("quantity", flat=True)) == [99]

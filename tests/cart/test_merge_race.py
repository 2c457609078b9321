"""Sign-ins that race over one guest cart: threads, each with its own database connection."""

import pytest

from cart import services
from cart.models import Cart, CartItem, CartStatus
from cart.selectors import price_get_for_sale
from cart.services import cart_add_price, cart_freeze, cart_merge_guest_into_user
from tests.cart.test_concurrency import run_together
from tests.factories import CartFactory, CartItemFactory, PriceFactory, UserFactory


def lines(cart_id):
    return sorted(CartItem.objects.filter(cart_id=cart_id).values_list("price_id", "quantity"))


@pytest.fixture
def guest_cart(db):
    """A guest cart with 2 mugs and 3 pens, beside another guest's cart that must stay as it is."""
    guest = CartFactory(currency="usd")
    CartItemFactory(cart=guest, price=PriceFactory(product__name="Mug"), quantity=2)
    CartItemFactory(cart=guest, price=PriceFactory(product__name="Pen"), quantity=3)
    bystander = CartFactory(currency="usd")
    CartItemFactory(cart=bystander, quantity=4)
    guest.bystander_lines = (bystander.pk, lines(bystander.pk))
    return guest


def assert_bystander_untouched(guest):
    bystander_id, before = guest.bystander_lines
    assert Cart.objects.get(pk=bystander_id).status == CartStatus.ACTIVE
    assert lines(bystander_id) == before


@pytest.mark.parametrize("user_has_a_cart", [True, False])
def test_two_sign_ins_at_once_merge_the_guest_cart_once(guest_cart, user_has_a_cart):
    user = UserFactory()
    expected = dict(lines(guest_cart.pk))
    if user_has_a_cart:
        user_cart = CartFactory(for_user=True, user=user, currency="usd")
        mug = CartItem.objects.filter(cart=guest_cart).order_by("quantity").first()
        CartItemFactory(cart=user_cart, price=mug.price, quantity=1)
        expected[mug.price_id] += 1
    merges = []

    def sign_in(index):
        # Each request reads the guest cart through its own session, as a sign-in does.
        merges.append(cart_merge_guest_into_user(guest_cart=Cart.objects.get(pk=guest_cart.pk), user=user))

    run_together(sign_in, count=2)

    (user_cart,) = Cart.objects.filter(user=user, status=CartStatus.ACTIVE)
    assert lines(user_cart.pk) == sorted(expected.items())
    assert sorted(merge.merged_line_count for merge in merges) == [0, 2]
    assert {merge.cart.pk for merge in merges} == {user_cart.pk}
    assert not Cart.objects.filter(pk=guest_cart.pk).exists()
    assert not CartItem.objects.filter(cart_id=guest_cart.pk).exists()
    assert_bystander_untouched(guest_cart)


def test_a_checkout_freezing_the_guest_cart_during_a_sign_in_keeps_it_or_loses_it_whole(guest_cart):
    user = UserFactory()
    user_cart = CartFactory(for_user=True, user=user, currency="usd")
    guest_lines = lines(guest_cart.pk)
    outcome = {}

    def race(index):
        if index == 0:
            outcome["frozen"] = cart_freeze(
                cart=Cart.objects.get(pk=guest_cart.pk), checkout_session_id="cs_race"
            )
        else:
            outcome["merge"] = cart_merge_guest_into_user(
                guest_cart=Cart.objects.get(pk=guest_cart.pk), user=user
            )

    run_together(race, count=2)

    if outcome["frozen"]:
        # The checkout won: the guest pays for the cart as it was, and nothing of it is merged.
        assert outcome["merge"].merged_line_count == 0
        guest = Cart.objects.get(pk=guest_cart.pk)
        assert (guest.status, guest.checkout_session_id) == (CartStatus.ACTIVE, "cs_race")
        assert lines(guest_cart.pk) == guest_lines
        assert lines(user_cart.pk) == []
    else:
        # The sign-in won: the lines moved once, and no checkout holds the guest cart.
        assert outcome["merge"].merged_line_count == 2
        assert not Cart.objects.filter(pk=guest_cart.pk).exists()
        assert lines(user_cart.pk) == guest_lines
    assert_bystander_untouched(guest_cart)


def test_a_guest_cart_frozen_after_the_sign_in_read_it_is_left_to_the_guest(guest_cart):
    user = UserFactory()
    read_at_sign_in = Cart.objects.get(pk=guest_cart.pk)
    assert cart_freeze(cart=Cart.objects.get(pk=guest_cart.pk), checkout_session_id="cs_meanwhile")
    guest_lines = lines(guest_cart.pk)

    merge = cart_merge_guest_into_user(guest_cart=read_at_sign_in, user=user)

    assert merge.merged_line_count == 0
    guest = Cart.objects.get(pk=guest_cart.pk)
    assert (guest.status, guest.checkout_session_id) == (CartStatus.ACTIVE, "cs_meanwhile")
    assert lines(guest_cart.pk) == guest_lines
    assert not CartItem.objects.filter(cart__user=user).exists()
    assert_bystander_untouched(guest_cart)


def test_a_guest_cart_that_expired_after_the_sign_in_read_it_is_not_merged(guest_cart):
    user = UserFactory()
    read_at_sign_in = Cart.objects.get(pk=guest_cart.pk)
    Cart.objects.filter(pk=guest_cart.pk).update(status=CartStatus.EXPIRED)

    merge = cart_merge_guest_into_user(guest_cart=read_at_sign_in, user=user)

    assert merge.merged_line_count == 0
    assert not CartItem.objects.filter(cart__user=user).exists()
    assert_bystander_untouched(guest_cart)


def test_a_line_the_guest_adds_while_signing_in_is_merged_not_lost(guest_cart, monkeypatch):
    user = UserFactory()
    late = PriceFactory(product__name="Late addition")
    read_lines = services.cart_lines

    def read_then_the_guest_adds(cart):
        lines_read = read_lines(cart)
        if cart.pk == guest_cart.pk and not CartItem.objects.filter(cart=cart, price=late).exists():
            # Another tab of the guest adds a line just after the sign-in read the cart.
            cart_add_price(
                cart=cart, price=price_get_for_sale(price_id=late.pk, product_id=late.product_id), quantity=1
            )
        return lines_read

    monkeypatch.setattr(services, "cart_lines", read_then_the_guest_adds)
    expected = sorted([*lines(guest_cart.pk), (late.pk, 1)])

    merge = cart_merge_guest_into_user(guest_cart=Cart.objects.get(pk=guest_cart.pk), user=user)

    assert lines(merge.cart.pk) == expected
    assert merge.merged_line_count == 3
    assert not Cart.objects.filter(pk=guest_cart.pk).exists()
    assert_bystander_untouched(guest_cart)

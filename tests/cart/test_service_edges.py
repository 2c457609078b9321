"""Cart services at their edges: a guest cart gone by sign-in, a repeated touch, a merge up to 99."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cart import services
from cart.models import Cart, CartItem, CartStatus
from cart.services import (
    cart_get_or_create_for_request,
    cart_merge_guest_into_user,
    cart_submit,
    cart_thaw,
    cart_touch,
)
from tests.cart.helpers import guest_request, user_request
from tests.cart.test_merge import lines, sign_in
from tests.factories import CartFactory, CartItemFactory, PriceFactory, UserFactory


@pytest.mark.django_db
def test_signing_in_after_the_guest_cart_expired_keeps_the_users_cart_as_it_was(client):
    user_cart = CartFactory(for_user=True, currency="usd")
    CartItemFactory(cart=user_cart, quantity=2)
    before = lines(user_cart)
    guest = CartFactory(currency="usd", expires_at=timezone.now() - timedelta(seconds=1))
    CartItemFactory(cart=guest, quantity=5)
    session = client.session
    session["cart_id"] = str(guest.pk)
    session.save()

    response = sign_in(client, user_cart.user)

    assert response.status_code == 200
    assert "cart_id" not in client.session
    assert "before signing in" not in response.text
    assert lines(user_cart) == before


@pytest.mark.django_db
def test_a_second_touch_in_the_same_request_writes_nothing(database_commands):
    cart = CartFactory(last_activity_at=timezone.now() - timedelta(minutes=61))
    CartItemFactory(cart=cart)
    assert cart_touch(cart=cart) is True
    stored = Cart.objects.get(pk=cart.pk)

    with database_commands() as commands:
        assert cart_touch(cart=cart) is False

    assert commands.captured_queries == []
    assert CartItem.objects.get(cart=cart).expires_at == stored.expires_at


@pytest.mark.django_db
def test_thawing_without_a_checkout_session_leaves_a_cart_in_use_alone():
    cart = CartFactory()
    CartItemFactory(cart=cart)
    version = Cart.objects.get(pk=cart.pk).updated_at

    assert cart_thaw(cart_id=cart.pk, checkout_session_id=None) is False
    assert cart_thaw(cart_id=cart.pk, checkout_session_id="") is False

    assert Cart.objects.get(pk=cart.pk).updated_at == version


@pytest.mark.django_db
def test_a_merge_that_reaches_exactly_99_is_not_reported_as_capped():
    user_cart = CartFactory(for_user=True, currency="usd")
    guest = CartFactory(currency="usd")
    shared, guest_only = PriceFactory(), PriceFactory()
    CartItemFactory(cart=user_cart, price=shared, quantity=60)
    CartItemFactory(cart=guest, price=shared, quantity=39)
    CartItemFactory(cart=guest, price=guest_only, quantity=99)

    merge = cart_merge_guest_into_user(guest_cart=guest, user=user_cart.user)

    assert not merge.capped
    assert lines(user_cart) == sorted([(shared.pk, 99), (guest_only.pk, 99)])


@pytest.mark.django_db
def test_a_page_view_just_past_the_interval_touches_the_cart():
    cart = CartFactory(last_activity_at=timezone.now() - timedelta(minutes=60, seconds=30))

    assert cart_touch(cart=cart) is True


@pytest.mark.django_db
def test_a_touch_from_a_request_that_read_the_cart_before_another_touched_it_writes_nothing():
    cart = CartFactory(last_activity_at=timezone.now() - timedelta(minutes=61))
    read_by_the_other_request = Cart.objects.get(pk=cart.pk)
    assert cart_touch(cart=cart) is True
    touched = Cart.objects.get(pk=cart.pk)

    assert cart_touch(cart=read_by_the_other_request) is False

    assert Cart.objects.get(pk=cart.pk).updated_at == touched.updated_at


@pytest.mark.django_db
def test_thawing_or_submitting_names_the_cart_as_well_as_its_session():
    frozen = CartFactory(checkout_session_id="cs_edges")
    other = CartFactory()

    assert cart_thaw(cart_id=other.pk, checkout_session_id="cs_edges") is False
    assert cart_submit(cart_id=other.pk, checkout_session_id="cs_edges") is False

    stored = Cart.objects.get(pk=frozen.pk)
    assert (stored.status, stored.checkout_session_id) == (CartStatus.ACTIVE, "cs_edges")


# --- A shopper's past carts beside the open one ---------------------------------------------------


@pytest.mark.django_db
def test_signing_in_merges_into_a_new_cart_not_into_the_users_checked_out_one():
    user = UserFactory()
    paid_for = CartFactory(for_user=True, user=user, currency="usd", status=CartStatus.CHECKED_OUT)
    CartItemFactory(cart=paid_for, quantity=1)
    guest = CartFactory(currency="usd")
    item = CartItemFactory(cart=guest, quantity=2)

    merge = cart_merge_guest_into_user(guest_cart=guest, user=user)

    assert merge.cart.pk != paid_for.pk
    assert merge.cart.status == CartStatus.ACTIVE
    assert lines(merge.cart) == [(item.price_id, 2)]
    assert Cart.objects.get(pk=paid_for.pk).status == CartStatus.CHECKED_OUT
    assert CartItem.objects.filter(cart=paid_for).count() == 1


@pytest.mark.django_db
def test_a_new_guest_cart_leaves_the_sessions_checked_out_cart_as_it_was(move_clock):
    request = guest_request()
    request.session.create()
    paid_for = CartFactory(session_key=request.session.session_key, status=CartStatus.CHECKED_OUT)
    move_clock(timedelta(days=8))

    fresh = cart_get_or_create_for_request(request=request)

    assert fresh.pk != paid_for.pk
    assert Cart.objects.get(pk=paid_for.pk).status == CartStatus.CHECKED_OUT


@pytest.mark.django_db
def test_a_concurrent_first_add_finds_the_users_open_cart_beside_their_past_ones(monkeypatch):
    user = UserFactory()
    CartFactory(for_user=True, user=user, status=CartStatus.CHECKED_OUT)
    CartFactory(for_user=True, user=user, status=CartStatus.EXPIRED)
    winner = CartFactory(for_user=True, user=user)
    # This request read "no cart yet" just before another one created it.
    monkeypatch.setattr(services, "cart_get_for_request", lambda request: None)

    assert cart_get_or_create_for_request(request=user_request(user)) == winner


@pytest.mark.django_db
def test_a_page_view_never_pushes_the_expiry_of_a_cart_checked_out_meanwhile():
    cart = CartFactory(last_activity_at=timezone.now() - timedelta(minutes=61))
    Cart.objects.filter(pk=cart.pk).update(status=CartStatus.CHECKED_OUT)
    before = Cart.objects.get(pk=cart.pk)

    assert cart_touch(cart=cart) is False

    assert Cart.objects.get(pk=cart.pk).expires_at == before.expires_at

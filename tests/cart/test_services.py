from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from cart import services
from cart.admin import cart_expiry
from cart.exceptions import (
    CartLineNotFound,
    CartLocked,
    CartUnavailable,
    CurrencyMismatch,
    InvalidQuantity,
    PriceUnavailable,
    ProductUnavailable,
    QuantityLimitExceeded,
)
from cart.models import Cart, CartItem, CartStatus
from cart.selectors import CART_SESSION_KEY, cart_get_for_request, cart_lines, cart_totals, price_get_for_sale
from cart.services import (
    cart_add_price,
    cart_expire,
    cart_freeze,
    cart_get_or_create_for_request,
    cart_remove_item,
    cart_submit,
    cart_thaw,
    cart_touch,
    cart_update_item,
)
from tests.cart.helpers import guest_request, user_request
from tests.factories import CartFactory, CartItemFactory, PriceFactory, UserFactory

LOCKED_MESSAGE = "Your cart is being checked out — finish or cancel the payment first."


def add(cart, price, quantity=1):
    return cart_add_price(
        cart=cart, price=price_get_for_sale(price_id=price.pk, product_id=price.product_id), quantity=quantity
    )


def snapshot(cart):
    """Return what a shopper could notice of a cart: its fields and its lines."""
    cart = Cart.objects.get(pk=cart.pk)
    lines = sorted((str(item.price_id), item.quantity) for item in CartItem.objects.filter(cart=cart))
    return (cart.status, cart.currency, cart.expires_at, cart.last_activity_at, lines)


# --- Creating the cart ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_visit_creates_no_cart_and_the_first_add_creates_a_guest_cart():
    request = guest_request()
    assert cart_get_for_request(request) is None
    assert not Cart.objects.exists()

    cart = cart_get_or_create_for_request(request=request)

    assert cart.session_key == request.session.session_key is not None
    assert request.session[CART_SESSION_KEY] == str(cart.pk)
    assert cart.user is None
    assert cart.status == CartStatus.ACTIVE
    assert (
        timezone.now() + timedelta(days=6, hours=23) < cart.expires_at <= timezone.now() + timedelta(days=7)
    )
    assert cart_get_or_create_for_request(request=request) == cart
    assert Cart.objects.count() == 1


@pytest.mark.django_db
def test_a_signed_in_users_cart_belongs_to_the_user_and_never_expires():
    user = UserFactory()

    cart = cart_get_or_create_for_request(request=user_request(user))

    assert cart.user == user
    assert cart.session_key is None
    assert cart.expires_at is None
    assert cart_get_for_request(user_request(user)) == cart


@pytest.mark.django_db
def test_two_concurrent_first_adds_end_with_one_active_cart(monkeypatch):
    request = guest_request()
    request.session.create()
    winner = CartFactory(session_key=request.session.session_key)
    # The second request read "no cart yet" just before the first one created it.
    monkeypatch.setattr(services, "cart_get_for_request", lambda request: None)

    cart = cart_get_or_create_for_request(request=request)

    assert cart == winner
    assert Cart.objects.filter(status=CartStatus.ACTIVE).count() == 1


@pytest.mark.django_db
def test_two_concurrent_first_adds_of_a_user_end_with_one_active_cart(monkeypatch):
    user = UserFactory()
    winner = CartFactory(for_user=True, user=user)
    monkeypatch.setattr(services, "cart_get_for_request", lambda request: None)

    assert cart_get_or_create_for_request(request=user_request(user)) == winner
    assert Cart.objects.filter(user=user, status=CartStatus.ACTIVE).count() == 1


# --- Adding -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_adding_the_same_price_twice_adds_up_on_one_line():
    cart = CartFactory()
    price = PriceFactory()

    add(cart, price, 2)
    item = add(cart, price, 3)

    assert item.quantity == 5
    assert CartItem.objects.get(cart=cart).quantity == 5
    assert Cart.objects.get(pk=cart.pk).currency == "usd"


@pytest.mark.django_db
def test_two_prices_of_one_product_are_two_lines():
    cart = CartFactory()
    one_time = PriceFactory()
    monthly = PriceFactory(product=one_time.product, monthly=True)

    add(cart, one_time)
    add(cart, monthly)

    assert sorted(item.price_id for item in CartItem.objects.filter(cart=cart)) == sorted(
        [one_time.pk, monthly.pk]
    )


@pytest.mark.django_db
def test_two_concurrent_adds_of_the_same_price_end_as_one_line_with_the_sum(monkeypatch):
    cart = CartFactory()
    price = PriceFactory()
    # The other request's line: it appeared after this request looked for a line to add to.
    CartItemFactory(cart=cart, price=price, quantity=2)
    real_increment = services._line_increment
    calls = []

    def increment_missing_the_other_line_once(line, **kwargs):
        calls.append(kwargs)
        return False if len(calls) == 1 else real_increment(line, **kwargs)

    monkeypatch.setattr(services, "_line_increment", increment_missing_the_other_line_once)

    item = add(cart, price, 3)

    assert len(calls) == 2  # the duplicate key was caught and the add retried
    assert item.quantity == 5
    assert list(CartItem.objects.filter(cart=cart).values_list("quantity", flat=True)) == [5]


@pytest.mark.django_db
def test_a_duplicate_line_that_keeps_failing_is_not_swallowed(monkeypatch):
    cart = CartFactory()
    price = PriceFactory()
    CartItemFactory(cart=cart, price=price, quantity=2)
    monkeypatch.setattr(services, "_line_increment", lambda line, **kwargs: False)

    with pytest.raises(IntegrityError):
        add(cart, price, 3)
    assert CartItem.objects.get(cart=cart).quantity == 2


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [0, -1, 100, "2", 2.0, True])
def test_a_quantity_outside_1_to_99_is_refused(quantity):
    cart = CartFactory()
    price = PriceFactory()
    before = snapshot(cart)

    with pytest.raises(InvalidQuantity, match="Choose a quantity from 1 to 99"):
        add(cart, price, quantity)
    assert snapshot(cart) == before


@pytest.mark.django_db
def test_a_line_cannot_pass_the_maximum_and_nothing_changes():
    cart = CartFactory()
    price = PriceFactory()
    add(cart, price, 95)
    before = snapshot(cart)

    with pytest.raises(QuantityLimitExceeded) as refused:
        add(cart, price, 5)
    assert str(refused.value) == (
        "You can have at most 99 of one item in your cart. You already have 95, so you can add up to 4 more."
    )
    assert snapshot(cart) == before

    add(cart, price, 4)
    with pytest.raises(QuantityLimitExceeded, match="already holds 99 of this item"):
        add(cart, price, 1)
    assert CartItem.objects.get(cart=cart).quantity == 99


@pytest.mark.django_db
def test_price_for_sale_refuses_inactive_deleted_or_foreign_prices_and_hidden_products():
    price = PriceFactory()
    other_product_price = PriceFactory()
    inactive = PriceFactory(product=price.product, active=False)
    deleted = PriceFactory(product=price.product, deleted_at=timezone.now())
    inactive_product = PriceFactory(product__active=False)
    deleted_product = PriceFactory(product__deleted_at=timezone.now())

    assert price_get_for_sale(price_id=price.pk, product_id=price.product_id) == price
    for refused in (inactive, deleted):
        with pytest.raises(PriceUnavailable, match="this price is no longer available"):
            price_get_for_sale(price_id=refused.pk, product_id=refused.product_id)
    with pytest.raises(PriceUnavailable):
        price_get_for_sale(price_id=other_product_price.pk, product_id=price.product_id)
    for refused in (inactive_product, deleted_product):
        with pytest.raises(ProductUnavailable, match="this product is no longer available"):
            price_get_for_sale(price_id=refused.pk, product_id=refused.product_id)


@pytest.mark.django_db
def test_price_for_sale_reads_the_price_and_its_product_by_id_without_a_join(database_commands):
    price = PriceFactory()

    with database_commands() as commands:
        found = price_get_for_sale(price_id=price.pk, product_id=price.product_id)

    assert (found, found.product) == (price, price.product)
    sent = [command["sql"] for command in commands.captured_queries]
    assert [command.split(".")[1] for command in sent] == ["catalog_price", "catalog_product"]
    # The embedded engine runs a $lookup over the whole collection before the $match after it.
    assert not any("$lookup" in command for command in sent)


@pytest.mark.django_db
def test_adding_a_price_that_was_withdrawn_meanwhile_is_refused():
    cart = CartFactory()
    price = price_get_for_sale(**{"price_id": (p := PriceFactory()).pk, "product_id": p.product_id})
    price.active = False

    with pytest.raises(PriceUnavailable):
        cart_add_price(cart=cart, price=price, quantity=1)
    assert not CartItem.objects.exists()


@pytest.mark.django_db
def test_a_cart_holds_one_currency():
    cart = CartFactory()
    add(cart, PriceFactory(currency="usd"))
    before = snapshot(cart)

    with pytest.raises(CurrencyMismatch) as refused:
        add(cart, PriceFactory(currency="eur"))

    assert str(refused.value).startswith("Your cart is in USD and this price is in EUR.")
    assert snapshot(cart) == before


@pytest.mark.django_db
def test_an_emptied_cart_takes_any_currency_again():
    cart = CartFactory()
    item = add(cart, PriceFactory(currency="usd"))
    cart_remove_item(cart=cart, item=item)

    # The caller's cart reads as stored: no currency any more.
    assert cart.currency == Cart.objects.get(pk=cart.pk).currency == ""

    add(cart, PriceFactory(currency="eur"))

    assert Cart.objects.get(pk=cart.pk).currency == "eur"


@pytest.mark.django_db
def test_a_cart_that_keeps_a_line_keeps_its_currency():
    cart = CartFactory()
    mug_line = add(cart, PriceFactory(currency="usd"))
    add(cart, PriceFactory(currency="usd"))

    cart_remove_item(cart=cart, item=mug_line)

    with pytest.raises(CurrencyMismatch):
        add(cart, PriceFactory(currency="eur"))
    assert Cart.objects.get(pk=cart.pk).currency == "usd"


# --- Updating and removing --------------------------------------------------------------------


@pytest.mark.django_db
def test_update_sets_the_quantity_and_remove_deletes_the_line():
    cart = CartFactory()
    mug, pen = PriceFactory(), PriceFactory()
    mug_line, pen_line = add(cart, mug), add(cart, pen)

    cart_update_item(cart=cart, item=mug_line, quantity=7)
    cart_remove_item(cart=cart, item=pen_line)

    assert list(CartItem.objects.filter(cart=cart).values_list("price_id", "quantity")) == [(mug.pk, 7)]


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [0, -3, 100])
def test_update_refuses_a_bad_quantity(quantity):
    cart = CartFactory()
    line = add(cart, PriceFactory(), 2)
    before = snapshot(cart)

    with pytest.raises(InvalidQuantity):
        cart_update_item(cart=cart, item=line, quantity=quantity)
    assert snapshot(cart) == before


@pytest.mark.django_db
def test_a_line_of_another_cart_is_not_found_and_stays():
    mine, theirs = CartFactory(), CartFactory()
    their_line = add(theirs, PriceFactory(), 2)
    before = snapshot(theirs)

    with pytest.raises(CartLineNotFound):
        cart_update_item(cart=mine, item=their_line, quantity=5)
    with pytest.raises(CartLineNotFound):
        cart_remove_item(cart=mine, item=their_line)
    assert snapshot(theirs) == before


@pytest.mark.django_db
def test_a_cart_being_checked_out_refuses_every_change():
    cart = CartFactory()
    line = add(cart, PriceFactory(), 2)
    Cart.objects.filter(pk=cart.pk).update(checkout_session_id="cs_test_open")
    before = snapshot(cart)

    for change in (
        lambda: add(cart, PriceFactory()),
        lambda: add(cart, line.price),
        lambda: cart_update_item(cart=cart, item=line, quantity=3),
        lambda: cart_remove_item(cart=cart, item=line),
    ):
        with pytest.raises(CartLocked) as refused:
            change()
        assert str(refused.value) == LOCKED_MESSAGE
    assert snapshot(cart) == before


@pytest.mark.django_db
def test_a_line_removed_in_another_tab_first_is_not_found_the_second_time():
    cart = CartFactory()
    line, kept = add(cart, PriceFactory()), add(cart, PriceFactory())
    cart_remove_item(cart=cart, item=line)
    before = snapshot(cart)

    with pytest.raises(CartLineNotFound):
        cart_remove_item(cart=cart, item=line)
    assert snapshot(cart) == before
    assert CartItem.objects.filter(pk=kept.pk).exists()


@pytest.mark.django_db
def test_a_cart_checked_out_or_merged_away_in_another_tab_refuses_changes_as_expired():
    checked_out, merged_away = CartFactory(), CartFactory()
    line = add(checked_out, PriceFactory())
    add(merged_away, PriceFactory())
    # Its payment completed, in another tab: not expired, and no longer being checked out.
    Cart.objects.filter(pk=checked_out.pk).update(status=CartStatus.CHECKED_OUT)
    # A login merged it into the shopper's own cart, which deletes it.
    Cart.objects.filter(pk=merged_away.pk).delete()

    with pytest.raises(CartUnavailable):
        cart_update_item(cart=checked_out, item=line, quantity=2)
    with pytest.raises(CartUnavailable):
        add(merged_away, PriceFactory())


@pytest.mark.django_db
def test_a_cart_that_expired_or_was_checked_out_meanwhile_refuses_changes(move_clock):
    expired, checked_out = CartFactory(), CartFactory()
    expired_line, checked_out_line = add(expired, PriceFactory()), add(checked_out, PriceFactory())
    Cart.objects.filter(pk=checked_out.pk).update(status=CartStatus.CHECKED_OUT)
    before = snapshot(expired)
    move_clock(timedelta(days=8))

    with pytest.raises(CartUnavailable, match="Your cart has expired"):
        cart_update_item(cart=expired, item=expired_line, quantity=2)
    with pytest.raises(CartUnavailable):
        cart_remove_item(cart=checked_out, item=checked_out_line)
    assert snapshot(expired) == before
    assert CartItem.objects.filter(pk=checked_out_line.pk).exists()


# --- Lines and totals -------------------------------------------------------------------------


@pytest.mark.django_db
def test_lines_and_totals_leave_out_what_can_no_longer_be_bought():
    cart = CartFactory()
    mug = PriceFactory(unit_amount=1800)
    coffee = PriceFactory(monthly=True, unit_amount=900)
    withdrawn = PriceFactory(unit_amount=5000)
    add(cart, mug, 2)
    add(cart, coffee, 1)
    add(cart, withdrawn, 1)
    withdrawn.product.__class__.objects.filter(pk=withdrawn.product_id).update(active=False)

    lines = cart_lines(Cart.objects.get(pk=cart.pk))
    totals = cart_totals(cart, lines)

    assert [(line.product.name, line.price.unit_amount, line.is_available) for line in lines] == [
        (mug.product.name, 1800, True),
        (coffee.product.name, 900, True),
        (withdrawn.product.name, 5000, False),
    ]
    assert (totals.subtotal, totals.item_count, totals.currency) == (4500, 3, "usd")
    assert totals.has_unavailable_lines


# --- Expiry -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_change_moves_the_guest_carts_expiry_and_its_items_with_it():
    cart = CartFactory(
        expires_at=timezone.now() + timedelta(days=1), last_activity_at=timezone.now() - timedelta(days=6)
    )
    first = add(cart, PriceFactory())
    add(cart, PriceFactory())
    cart_update_item(cart=cart, item=first, quantity=4)

    stored = Cart.objects.get(pk=cart.pk)
    assert stored.expires_at > timezone.now() + timedelta(days=6, hours=23)
    assert stored.last_activity_at > timezone.now() - timedelta(minutes=1)
    assert set(CartItem.objects.filter(cart=cart).values_list("expires_at", flat=True)) == {stored.expires_at}


@pytest.mark.django_db
def test_user_cart_items_never_expire():
    user = UserFactory()
    cart = cart_get_or_create_for_request(request=user_request(user))
    add(cart, PriceFactory())

    assert Cart.objects.get(pk=cart.pk).expires_at is None
    assert list(CartItem.objects.filter(cart=cart).values_list("expires_at", flat=True)) == [None]


@pytest.mark.django_db
def test_touch_writes_nothing_within_the_interval(database_commands):
    cart = CartFactory(last_activity_at=timezone.now() - timedelta(minutes=59))
    add_line = CartItemFactory(cart=cart)
    before = snapshot(cart)

    with database_commands() as commands:
        assert cart_touch(cart=cart) is False

    assert commands.captured_queries == []
    assert snapshot(cart) == before
    assert CartItem.objects.get(pk=add_line.pk).expires_at == Cart.objects.get(pk=cart.pk).expires_at


@pytest.mark.django_db
def test_touch_after_the_interval_pushes_the_expiry_of_the_cart_and_its_items():
    cart = CartFactory(
        last_activity_at=timezone.now() - timedelta(minutes=61), expires_at=timezone.now() + timedelta(days=2)
    )
    CartItemFactory(cart=cart)
    CartItemFactory(cart=cart)

    assert cart_touch(cart=cart) is True

    stored = Cart.objects.get(pk=cart.pk)
    assert stored.expires_at > timezone.now() + timedelta(days=6, hours=23)
    assert set(CartItem.objects.filter(cart=cart).values_list("expires_at", flat=True)) == {stored.expires_at}


@pytest.mark.django_db
def test_an_expired_cart_is_never_returned_before_the_ttl_monitor_removes_it(move_clock):
    request = guest_request()
    cart = cart_get_or_create_for_request(request=request)
    add(cart, PriceFactory(), 3)
    move_clock(timedelta(days=7, seconds=1))

    assert cart_get_for_request(guest_request(request.session)) is None
    fresh = cart_get_or_create_for_request(request=guest_request(request.session))
    add(fresh, PriceFactory(), 1)

    assert fresh.pk != cart.pk
    # Still stored until the monitor runs, but retired so it can never come back.
    assert Cart.objects.get(pk=cart.pk).status == CartStatus.EXPIRED
    assert list(CartItem.objects.filter(cart=fresh).values_list("quantity", flat=True)) == [1]


@pytest.mark.django_db
def test_nothing_of_an_expired_cart_remains_after_the_ttl_monitor(move_clock, run_ttl_monitor):
    request = guest_request()
    cart = cart_get_or_create_for_request(request=request)
    add(cart, PriceFactory(), 3)
    add(cart, PriceFactory(), 1)
    move_clock(timedelta(days=7, seconds=1))

    run_ttl_monitor()

    assert not Cart.objects.filter(pk=cart.pk).exists()
    assert not CartItem.objects.filter(cart_id=cart.pk).exists()
    request = guest_request(request.session)
    assert cart_get_for_request(request) is None
    fresh = cart_get_or_create_for_request(request=guest_request(request.session))
    assert fresh.pk != cart.pk
    assert cart_lines(fresh) == []


@pytest.mark.django_db
def test_a_checked_out_cart_is_not_the_current_cart():
    user = UserFactory()
    cart = cart_get_or_create_for_request(request=user_request(user))
    Cart.objects.filter(pk=cart.pk).update(status=CartStatus.CHECKED_OUT)

    assert cart_get_for_request(user_request(user)) is None
    assert cart_get_or_create_for_request(request=user_request(user)).pk != cart.pk


# --- The checkout lifecycle: freeze, thaw, submit, expire -------------------------------------

SESSION_ID = "cs_test_lifecycle"


def state(cart):
    cart = Cart.objects.get(pk=cart.pk)
    return (cart.status, cart.checkout_session_id)


@pytest.mark.django_db
def test_freezing_locks_the_cart_on_its_session_and_a_repeat_of_that_session_is_accepted():
    cart = CartFactory()
    line = add(cart, PriceFactory(), 2)

    assert cart_freeze(cart=cart, checkout_session_id=SESSION_ID) is True
    assert (cart.status, cart.checkout_session_id) == (CartStatus.ACTIVE, SESSION_ID)
    # A concurrent checkout of the same cart got the same session from Stripe.
    assert cart_freeze(cart=cart, checkout_session_id=SESSION_ID) is True

    with pytest.raises(CartLocked):
        cart_update_item(cart=cart, item=line, quantity=3)
    assert state(cart) == (CartStatus.ACTIVE, SESSION_ID)


@pytest.mark.django_db
def test_freezing_refuses_a_cart_frozen_by_another_session_or_no_longer_active():
    other_checkout = CartFactory(checkout_session_id="cs_test_other")
    checked_out = CartFactory(status=CartStatus.CHECKED_OUT)
    expired = CartFactory(status=CartStatus.EXPIRED)

    for cart in (other_checkout, checked_out, expired):
        before = state(cart)
        assert cart_freeze(cart=cart, checkout_session_id=SESSION_ID) is False
        assert state(cart) == before


@pytest.mark.django_db
def test_thawing_releases_only_a_cart_frozen_by_that_session_and_moves_its_version():
    cart = CartFactory(checkout_session_id=SESSION_ID)
    version = Cart.objects.get(pk=cart.pk).updated_at

    assert cart_thaw(cart_id=cart.pk, checkout_session_id="cs_test_other") is False
    assert cart_thaw(cart_id=cart.pk, checkout_session_id=None) is False
    assert state(cart) == (CartStatus.ACTIVE, SESSION_ID)

    assert cart_thaw(cart_id=cart.pk, checkout_session_id=SESSION_ID) is True
    assert cart_thaw(cart_id=cart.pk, checkout_session_id=SESSION_ID) is False
    assert state(cart) == (CartStatus.ACTIVE, None)
    assert Cart.objects.get(pk=cart.pk).updated_at > version
    # The shopper can change the cart again.
    add(cart, PriceFactory())


@pytest.mark.django_db
def test_thawing_never_reopens_a_checked_out_cart():
    cart = CartFactory(checkout_session_id=SESSION_ID)
    cart_submit(cart_id=cart.pk, checkout_session_id=SESSION_ID)

    assert cart_thaw(cart_id=cart.pk, checkout_session_id=SESSION_ID) is False
    assert state(cart) == (CartStatus.CHECKED_OUT, SESSION_ID)


@pytest.mark.django_db
def test_submitting_checks_out_the_cart_of_the_paid_session_once(monkeypatch):
    cart = CartFactory(checkout_session_id=SESSION_ID)
    paid_at = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: paid_at)

    assert cart_submit(cart_id=cart.pk, checkout_session_id=SESSION_ID) is True
    version = Cart.objects.get(pk=cart.pk).updated_at
    # Staff read on the cart's page when it was checked out.
    assert version == paid_at
    assert cart_submit(cart_id=cart.pk, checkout_session_id=SESSION_ID) is False

    assert state(cart) == (CartStatus.CHECKED_OUT, SESSION_ID)
    assert Cart.objects.get(pk=cart.pk).updated_at == version


@pytest.mark.django_db
def test_submitting_leaves_a_cart_that_no_longer_belongs_to_that_session_in_use():
    other_checkout = CartFactory(checkout_session_id="cs_test_other")
    # Its session ended unpaid and the shopper went on using the cart.
    reused = CartFactory()

    assert cart_submit(cart_id=other_checkout.pk, checkout_session_id=SESSION_ID) is False
    assert cart_submit(cart_id=reused.pk, checkout_session_id=SESSION_ID) is False
    assert cart_submit(cart_id=reused.pk, checkout_session_id=None) is False
    assert cart_submit(cart_id=None, checkout_session_id=SESSION_ID) is False

    assert state(other_checkout) == (CartStatus.ACTIVE, "cs_test_other")
    assert state(reused) == (CartStatus.ACTIVE, None)


@pytest.mark.django_db
def test_expiring_retires_active_carts_and_leaves_carts_in_checkout_and_closed_carts_alone():
    active = CartFactory()
    item = CartItemFactory(cart=active)
    in_checkout = CartFactory(checkout_session_id=SESSION_ID)
    checked_out = CartFactory(status=CartStatus.CHECKED_OUT)

    assert cart_expire(cart_ids=[active.pk, in_checkout.pk, checked_out.pk]) == 1

    assert state(active) == (CartStatus.EXPIRED, None)
    assert state(in_checkout) == (CartStatus.ACTIVE, SESSION_ID)
    assert state(checked_out) == (CartStatus.CHECKED_OUT, None)
    # Its items stay until the TTL index removes them with the cart.
    assert CartItem.objects.filter(pk=item.pk).exists()
    assert cart_expire(cart_ids=[active.pk]) == 0


@pytest.mark.django_db
def test_a_cart_expired_before_its_time_reads_expired_when_that_happened(settings, move_clock):
    settings.TIME_ZONE = "UTC"
    guest, member = CartFactory(), CartFactory(for_user=True)
    move_clock(timedelta(hours=3))

    cart_expire(cart_ids=[guest.pk, member.pk])

    # What staff read on the cart list: not the guest cart's later expiry, nor its last change.
    expired = f"Expired {timezone.now():%-d %b %Y, %H:%M}"
    assert [cart_expiry(Cart.objects.get(pk=cart.pk)) for cart in (guest, member)] == [expired, expired]

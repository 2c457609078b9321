import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from cart.exceptions import CartLocked, CurrencyMismatch
from cart.models import Cart, CartItem, CartStatus
from cart.selectors import cart_guest_for_session
from cart.services import cart_merge_guest_into_user
from orders.models import Order, PaymentStatus
from payments.confirmation import checkout_session_confirm
from tests.factories import PASSWORD, CartFactory, CartItemFactory, PriceFactory, UserFactory


def lines(cart):
    return sorted((item.price_id, item.quantity) for item in CartItem.objects.filter(cart=cart))


@pytest.mark.django_db
def test_guest_lines_move_into_a_new_user_cart_and_the_guest_cart_is_gone():
    user = UserFactory()
    guest = CartFactory()
    mug = CartItemFactory(cart=guest, quantity=2)
    pen = CartItemFactory(cart=guest, quantity=1)
    Cart.objects.filter(pk=guest.pk).update(currency="usd")
    guest.refresh_from_db()

    merge = cart_merge_guest_into_user(guest_cart=guest, user=user)

    assert merge.cart.user == user
    assert merge.merged_line_count == 2
    assert not merge.capped
    assert lines(merge.cart) == sorted([(mug.price_id, 2), (pen.price_id, 1)])
    assert list(CartItem.objects.filter(cart=merge.cart).values_list("expires_at", flat=True)) == [None, None]
    assert not Cart.objects.filter(pk=guest.pk).exists()
    assert not CartItem.objects.filter(cart_id=guest.pk).exists()


@pytest.mark.django_db
def test_overlapping_lines_add_up_one_line_per_price():
    user_cart = CartFactory(for_user=True, currency="usd")
    guest = CartFactory(currency="usd")
    shared = PriceFactory()
    only_user, only_guest = PriceFactory(), PriceFactory()
    CartItemFactory(cart=user_cart, price=shared, quantity=3)
    CartItemFactory(cart=user_cart, price=only_user, quantity=1)
    CartItemFactory(cart=guest, price=shared, quantity=4)
    CartItemFactory(cart=guest, price=only_guest, quantity=2)

    merge = cart_merge_guest_into_user(guest_cart=guest, user=user_cart.user)

    assert merge.cart == user_cart
    assert lines(user_cart) == sorted([(shared.pk, 7), (only_user.pk, 1), (only_guest.pk, 2)])
    assert not Cart.objects.filter(pk=guest.pk).exists()


@pytest.mark.django_db
def test_merged_quantities_are_capped_at_the_maximum():
    user_cart = CartFactory(for_user=True, currency="usd")
    guest = CartFactory(currency="usd")
    price = PriceFactory()
    CartItemFactory(cart=user_cart, price=price, quantity=60)
    CartItemFactory(cart=guest, price=price, quantity=50)

    merge = cart_merge_guest_into_user(guest_cart=guest, user=user_cart.user)

    assert merge.capped
    assert lines(user_cart) == [(price.pk, 99)]


@pytest.mark.django_db
def test_an_empty_guest_cart_is_dropped_and_the_user_cart_untouched():
    user_cart = CartFactory(for_user=True, currency="usd")
    CartItemFactory(cart=user_cart, quantity=2)
    before = lines(user_cart)
    guest = CartFactory()

    merge = cart_merge_guest_into_user(guest_cart=guest, user=user_cart.user)

    assert merge.cart == user_cart
    assert merge.merged_line_count == 0
    assert lines(user_cart) == before
    assert not Cart.objects.filter(pk=guest.pk).exists()


@pytest.mark.django_db
def test_an_empty_guest_cart_and_no_user_cart_make_no_cart():
    user = UserFactory()
    guest = CartFactory()

    merge = cart_merge_guest_into_user(guest_cart=guest, user=user)

    assert merge.cart is None
    assert not Cart.objects.exists()


@pytest.mark.django_db
def test_an_empty_user_cart_takes_the_guest_lines_and_currency():
    user_cart = CartFactory(for_user=True)
    guest = CartFactory(currency="eur")
    price = PriceFactory(currency="eur")
    CartItemFactory(cart=guest, price=price, quantity=2)

    cart_merge_guest_into_user(guest_cart=guest, user=user_cart.user)

    user_cart.refresh_from_db()
    assert user_cart.currency == "eur"
    assert lines(user_cart) == [(price.pk, 2)]


@pytest.mark.django_db
def test_guest_lines_that_can_no_longer_be_bought_are_dropped():
    user = UserFactory()
    guest = CartFactory(currency="usd")
    kept = CartItemFactory(cart=guest, quantity=1)
    CartItemFactory(cart=guest, price__active=False)
    CartItemFactory(cart=guest, price__product__deleted_at=timezone.now())

    merge = cart_merge_guest_into_user(guest_cart=guest, user=user)

    assert lines(merge.cart) == [(kept.price_id, 1)]


@pytest.mark.django_db
def test_a_user_cart_being_checked_out_refuses_the_merge_and_nothing_changes():
    user_cart = CartFactory(for_user=True, currency="usd", checkout_session_id="cs_test_open")
    CartItemFactory(cart=user_cart, quantity=1)
    guest = CartFactory(currency="usd")
    CartItemFactory(cart=guest, quantity=2)
    before = (lines(user_cart), lines(guest))

    with pytest.raises(CartLocked):
        cart_merge_guest_into_user(guest_cart=guest, user=user_cart.user)

    assert (lines(user_cart), lines(guest)) == before
    assert Cart.objects.get(pk=guest.pk).status == CartStatus.ACTIVE


@pytest.mark.django_db
def test_carts_in_different_currencies_are_not_merged():
    user_cart = CartFactory(for_user=True, currency="usd")
    CartItemFactory(cart=user_cart, quantity=1)
    guest = CartFactory(currency="eur")
    CartItemFactory(cart=guest, price__currency="eur", quantity=2)
    before = (lines(user_cart), lines(guest))

    with pytest.raises(CurrencyMismatch):
        cart_merge_guest_into_user(guest_cart=guest, user=user_cart.user)
    assert (lines(user_cart), lines(guest)) == before


@pytest.mark.django_db
def test_merging_the_same_guest_cart_twice_adds_its_lines_once():
    user = UserFactory()
    guest = CartFactory(currency="usd")
    item = CartItemFactory(cart=guest, quantity=2)
    stale_copy = Cart.objects.get(pk=guest.pk)

    first = cart_merge_guest_into_user(guest_cart=guest, user=user)
    second = cart_merge_guest_into_user(guest_cart=stale_copy, user=user)

    assert second.cart == first.cart
    assert lines(first.cart) == [(item.price_id, 2)]


# --- Through the real sign-in page --------------------------------------------------------------


def sign_in(client, user):
    # Shoppers sign in with an address they verified (mandatory verification).
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}, follow=True)


@pytest.mark.django_db
def test_signing_in_brings_the_guest_cart_into_the_users_cart(client):
    user = UserFactory()
    user_cart = CartFactory(for_user=True, user=user, currency="usd")
    shared = PriceFactory(product__name="Enamel Mug")
    CartItemFactory(cart=user_cart, price=shared, quantity=1)
    tea = PriceFactory(product__name="Sencha Tea")
    for price, quantity in ((shared, 2), (tea, 1)):
        client.post(
            reverse("cart:add"), {"product_id": price.product_id, "price_id": price.pk, "quantity": quantity}
        )
    guest_cart_id = client.session["cart_id"]

    response = sign_in(client, user)

    assert response.status_code == 200
    assert "The items you added before signing in are now in your cart." in response.content.decode()
    assert "cart_id" not in client.session
    assert not Cart.objects.filter(pk=guest_cart_id).exists()
    assert lines(user_cart) == sorted([(shared.pk, 3), (tea.pk, 1)])
    cart_page = client.get(reverse("cart:detail")).content.decode()
    assert "Enamel Mug" in cart_page
    assert "Sencha Tea" in cart_page
    assert '<span class="badge" data-testid="cart-count">4</span>' in cart_page


@pytest.mark.django_db
def test_signing_in_without_a_guest_cart_changes_nothing(client):
    user_cart = CartFactory(for_user=True, currency="usd")
    CartItemFactory(cart=user_cart, quantity=2)

    response = sign_in(client, user_cart.user)

    assert response.status_code == 200
    assert lines(user_cart) == [(CartItem.objects.get().price_id, 2)]
    assert Cart.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_merge_at_sign_in_is_explained(client):
    user_cart = CartFactory(for_user=True, currency="usd", checkout_session_id="cs_test_open")
    CartItemFactory(cart=user_cart, quantity=1)
    price = PriceFactory()
    client.post(reverse("cart:add"), {"product_id": price.product_id, "price_id": price.pk, "quantity": 1})

    html = sign_in(client, user_cart.user).content.decode()

    assert "We could not move the items you added before signing in" in html
    assert "Your cart is being checked out" in html
    assert lines(user_cart) == [(CartItem.objects.filter(cart=user_cart).get().price_id, 1)]


@pytest.mark.django_db
def test_guest_cart_is_found_at_sign_in_by_the_session_whatever_its_new_key():
    guest = CartFactory(session_key="old-key")

    assert cart_guest_for_session({"cart_id": str(guest.pk)}) == guest
    assert cart_guest_for_session({}) is None


# --- Signing in while a guest checkout is open ------------------------------------------------


@pytest.fixture
def guest_paying(client, quiet_sim):
    """A guest who put a mug in the cart and is on Stripe's payment page; return the session id."""
    mug = PriceFactory(product__name="Stoneware mug", unit_amount=1800)
    client.post(reverse("cart:add"), {"product_id": mug.product_id, "price_id": mug.pk, "quantity": 2})
    response = client.post(reverse("payments:checkout"))
    assert response.status_code == 303
    return response["Location"].rsplit("/", 1)[1]


def verified_user(email):
    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.mark.django_db
def test_signing_in_during_a_guest_checkout_leaves_the_locked_cart_to_the_guest(
    client, guest_paying, quiet_sim
):
    user = verified_user("ada@example.com")
    guest_cart = Cart.objects.get(checkout_session_id=guest_paying)

    html = sign_in(client, user).content.decode()

    assert "The items you added before signing in are now in your cart." not in html
    assert "You were paying as a guest when you signed in" in html
    guest_cart.refresh_from_db()
    assert (guest_cart.status, guest_cart.checkout_session_id) == (CartStatus.ACTIVE, guest_paying)
    assert lines(guest_cart) == [(CartItem.objects.get().price_id, 2)]
    assert not Cart.objects.filter(user=user).exists()

    quiet_sim.pay(guest_paying, email="ada@example.com")
    checkout_session_confirm(session_id=guest_paying)

    order = Order.objects.get()
    assert order.payment_status == PaymentStatus.PAID
    assert order.user == user
    guest_cart.refresh_from_db()
    assert guest_cart.status == CartStatus.CHECKED_OUT
    assert "Stoneware mug" not in client.get(reverse("cart:detail")).content.decode()
    assert order.number in client.get(reverse("orders:list")).content.decode()


@pytest.mark.django_db
def test_a_guest_order_paid_with_another_email_stays_the_guests(client, guest_paying, quiet_sim):
    sign_in(client, verified_user("ada@example.com"))

    quiet_sim.pay(guest_paying, email="someone.else@example.com")
    checkout_session_confirm(session_id=guest_paying)

    order = Order.objects.get()
    assert order.payment_status == PaymentStatus.PAID
    assert order.user is None

"""Carts in admin: active and expired carts, and the expire action."""

import pytest
from django.utils import timezone

from cart.models import Cart, CartItem, CartStatus
from tests import factories
from tests.admin.pages import change_url, changelist_url, messages_of, result_pks, run_action


def test_expire_action_expires_active_carts_and_keeps_their_items(super_admin_client):
    item = factories.CartItemFactory()
    cart = item.cart
    other = factories.CartFactory()

    response = run_action(super_admin_client, Cart, "expire", [cart])

    assert "Expired 1 cart." in messages_of(response)
    cart.refresh_from_db()
    assert cart.status == CartStatus.EXPIRED
    assert cart not in Cart.objects.open()
    # Items stay until the TTL index removes them with the cart.
    assert CartItem.objects.filter(pk=item.pk).exists()
    other.refresh_from_db()
    assert other.status == CartStatus.ACTIVE


def test_expire_action_leaves_carts_in_checkout_and_closed_carts_alone(super_admin_client):
    in_checkout = factories.CartFactory(checkout_session_id="cs_test_open")
    checked_out = factories.CartFactory(status=CartStatus.CHECKED_OUT)

    response = run_action(super_admin_client, Cart, "expire", [in_checkout, checked_out])

    assert messages_of(response) == [
        "Expired 0 carts.",
        "Left 2 carts unchanged: not active, or in checkout.",
    ]
    in_checkout.refresh_from_db()
    checked_out.refresh_from_db()
    assert in_checkout.status == CartStatus.ACTIVE
    assert checked_out.status == CartStatus.CHECKED_OUT


def test_shopper_cannot_expire_carts(client, db):
    cart = factories.CartFactory()
    client.force_login(factories.UserFactory())

    run_action(client, Cart, "expire", [cart])

    cart.refresh_from_db()
    assert cart.status == CartStatus.ACTIVE


def test_admin_role_can_expire_carts(admin_role_client):
    cart = factories.CartFactory()

    run_action(admin_role_client, Cart, "expire", [cart])

    cart.refresh_from_db()
    assert cart.status == CartStatus.EXPIRED


@pytest.fixture
def carts(db, monkeypatch):
    """Carts seen by staff two hours from now, before the TTL monitor has removed a cart past its expiry.

    The embedded engine deletes a cart the moment its expiry passes, so the clock moves instead.
    """
    now = timezone.now()
    carts = {
        "active": factories.CartFactory(),
        "user": factories.CartFactory(for_user=True),
        "past_expiry": factories.CartFactory(expires_at=now + timezone.timedelta(hours=1)),
        "expired": factories.CartFactory(status=CartStatus.EXPIRED),
    }
    monkeypatch.setattr(timezone, "now", lambda: now + timezone.timedelta(hours=2))
    return carts


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"expired_by_time": "yes"}, {"past_expiry"}),
        ({"expired_by_time": "no"}, {"active", "user", "expired"}),
        ({"status__exact": "EXPIRED"}, {"expired"}),
        ({"status__exact": "ACTIVE"}, {"active", "user", "past_expiry"}),
        ({"owner": "user"}, {"user"}),
        ({"owner": "guest"}, {"active", "past_expiry", "expired"}),
    ],
)
def test_cart_filters(super_admin_client, carts, params, expected):
    response = super_admin_client.get(changelist_url(Cart, **params))

    assert result_pks(response) == {str(carts[name].pk) for name in expected}


def test_cart_list_shows_owner_and_item_count(super_admin_client):
    user_cart = factories.CartFactory(for_user=True, user__email="ada@example.com")
    factories.CartItemFactory(cart=user_cart)
    factories.CartItemFactory(cart=user_cart)
    factories.CartFactory()

    response = super_admin_client.get(changelist_url(Cart))

    counts = {cart.pk: cart.item_count for cart in response.context["cl"].result_list}
    assert counts[user_cart.pk] == 2
    assert sorted(counts.values()) == [0, 2]
    assert "Cart of ada@example.com" in response.text


def test_search_finds_a_cart_by_user_email(super_admin_client):
    cart = factories.CartFactory(for_user=True, user__email="ada@example.com")
    factories.CartFactory(for_user=True)

    assert result_pks(super_admin_client.get(changelist_url(Cart, q="ada@"))) == {str(cart.pk)}


# --- A guest's session key is their session: staff never see it --------------------------------

GUEST_KEY = "k3y0fag7estsess10nthatlogsy0u1n"


@pytest.fixture
def guest_item(db):
    return factories.CartItemFactory(cart=factories.CartFactory(session_key=GUEST_KEY))


def _pages_about(item):
    return [
        changelist_url(Cart),
        change_url(item.cart),
        changelist_url(CartItem),
        change_url(item),
        changelist_url(Cart, q="guest"),
    ]


def test_cart_pages_show_a_fingerprint_of_a_guest_session_never_the_key(super_admin_client, guest_item):
    fingerprint = guest_item.cart.session_fingerprint

    for url in _pages_about(guest_item):
        text = super_admin_client.get(url).text

        # Not the key, nor any eight characters of it.
        assert not any(GUEST_KEY[start : start + 8] in text for start in range(len(GUEST_KEY) - 7)), url
        if url != changelist_url(Cart, q="guest"):
            assert fingerprint in text, url
    assert len(fingerprint) == 10
    assert fingerprint != factories.CartFactory().session_fingerprint


@pytest.mark.parametrize("model", [Cart, CartItem])
def test_only_a_whole_session_key_finds_a_guest_cart(super_admin_client, guest_item, model):
    other = factories.CartItemFactory()
    found = {Cart: str(guest_item.cart.pk), CartItem: str(guest_item.pk)}[model]

    assert result_pks(super_admin_client.get(changelist_url(model, q=GUEST_KEY))) == {found}
    for partial in [GUEST_KEY[:8], GUEST_KEY[:8] + ".*", ".*", GUEST_KEY.upper()]:
        found_by_partial = result_pks(super_admin_client.get(changelist_url(model, q=partial)))
        assert found not in found_by_partial, partial
        assert str(other.pk) not in found_by_partial, partial

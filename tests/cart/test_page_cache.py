"""The cart page kept in the shared cache: a shopper sees every change to their cart, its prices,
stock and shipping at once, and never another shopper's cart."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from cart import services as cart_services
from cart.models import Cart
from cart.services import cart_freeze
from catalog.models import Price, ShippingRate, Variant
from inventory.services import stock_adjust
from tests.factories import PriceFactory, ShippingRateFactory, UserFactory

pytestmark = pytest.mark.django_db

CART = reverse("cart:detail")


def add(client, price, quantity=1):
    data = {"product_id": str(price.product_id), "price_id": str(price.pk), "quantity": quantity}
    return client.post(reverse("cart:add"), data, follow=True)


def cart_page(client) -> str:
    """The cart page as a shopper opens it again: the second view of an unchanged cart is the kept one."""
    client.get(CART)
    return client.get(CART).content.decode()


def csrf_token_in(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_a_line_added_on_another_device_shows_at_once_and_a_neighbours_cart_is_untouched():
    ada = UserFactory()
    phone, laptop, neighbour = Client(), Client(), Client()
    phone.force_login(ada)
    laptop.force_login(ada)
    mug = PriceFactory(product__name="Mug", unit_amount=1200)
    teapot = PriceFactory(product__name="Teapot", unit_amount=3000)
    bowl = PriceFactory(product__name="Bowl", unit_amount=800)
    add(phone, mug)
    add(neighbour, teapot)
    assert "Teapot" not in cart_page(phone)
    neighbour_before = cart_page(neighbour)

    add(laptop, bowl)

    html = phone.get(CART).content.decode()
    assert "Bowl" in html
    assert "$20.00" in html
    assert "Teapot" not in html
    neighbour_after = neighbour.get(CART).content.decode()
    assert neighbour_after.replace(csrf_token_in(neighbour_after), "") == neighbour_before.replace(
        csrf_token_in(neighbour_before), ""
    )


def test_a_price_edit_shows_at_once_on_a_kept_cart_page(client):
    mug = PriceFactory(product__name="Mug", unit_amount=1200)
    add(client, mug, 2)
    assert "$24.00" in cart_page(client)

    Price.objects.filter(pk=mug.pk).update(unit_amount=1500)

    assert "$30.00" in client.get(CART).content.decode()


def test_stock_running_short_shows_at_once_on_a_kept_cart_page(client):
    mug = PriceFactory(product__name="Mug")
    variant = Variant.objects.get(pk=mug.variant_id)
    Variant.objects.filter(pk=variant.pk).update(track_stock=True)
    stock_adjust(variant=variant, quantity=3, reason="Delivery")
    add(client, mug, 2)
    assert 'data-testid="stock-short"' not in cart_page(client)

    stock_adjust(variant=variant, quantity=-2, reason="Broken")

    assert 'data-testid="stock-short"' in client.get(CART).content.decode()


def test_a_shipping_rate_edit_shows_at_once_on_a_kept_cart_page(client):
    rate = ShippingRateFactory(display_name="Standard post", amount=495)
    add(client, PriceFactory(product__name="Coffee club", product__requires_shipping=True, monthly=True))
    assert "Shipping (Standard post)" in cart_page(client)

    ShippingRate.objects.filter(pk=rate.pk).update(display_name="Royal Mail")

    assert "Shipping (Royal Mail)" in client.get(CART).content.decode()


def test_a_checkout_started_elsewhere_locks_a_kept_cart_page(client):
    add(client, PriceFactory(product__name="Mug"))
    assert "Check out" in cart_page(client)

    cart_freeze(cart=Cart.objects.get(), checkout_session_id="cs_test_elsewhere")

    html = client.get(CART).content.decode()
    assert "Your cart is being checked out" in html
    assert "Return to payment" in html


def test_the_payment_schedule_names_the_day_the_page_is_read(client, move_clock):
    # A signed-in shopper's cart never expires, so it is still there tomorrow.
    client.force_login(UserFactory())
    add(client, PriceFactory(product__name="Coffee club", monthly=True))
    today = cart_page(client)

    move_clock(timedelta(days=1))

    tomorrow = client.get(CART).content.decode()
    schedule = re.compile(r'<p class="payment-schedule"><strong>(.*?)</strong>')
    assert schedule.search(tomorrow).group(1) != schedule.search(today).group(1)


def test_a_message_is_shown_once_and_never_kept(client):
    mug = PriceFactory(product__name="Mug")
    add(client, mug)
    client.get(CART)

    shown = add(client, mug)

    assert "Added 1 × Mug" in shown.content.decode()
    assert "Added 1 × Mug" not in client.get(CART).content.decode()
    assert "Added 1 × Mug" not in client.get(CART).content.decode()


def test_a_kept_cart_page_gives_the_shopper_a_csrf_token_their_cookie_accepts():
    browser = Client(enforce_csrf_checks=True)
    mug = PriceFactory(product__name="Mug")
    token = csrf_token_in(browser.get(mug.product.get_absolute_url()).content.decode())
    added = browser.post(
        reverse("cart:add"),
        {"product_id": mug.product_id, "price_id": mug.pk, "quantity": 1, "csrfmiddlewaretoken": token},
    )
    assert added.status_code == 302
    html = cart_page(browser)
    item = Cart.objects.get().items.get()

    response = browser.post(
        reverse("cart:item_update", args=[item.pk]),
        {"quantity": 3, "csrfmiddlewaretoken": csrf_token_in(html)},
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.quantity == 3


def test_a_cart_keeps_one_page_in_the_cache_through_all_its_changes(client):
    mug = PriceFactory(product__name="Mug")
    for _ in range(3):
        add(client, mug)
        cart_page(client)

    kept_cart_pages = connection.database["django_cache"].count_documents({"_id": {"$regex": ":cart:"}})
    assert kept_cart_pages == 1


def test_a_page_read_between_a_carts_version_move_and_its_line_write_is_not_served_after(client, monkeypatch):
    # Without transactions (a standalone MongoDB) another request can read the cart between the
    # two writes of an add: here the add runs without one, and a page view comes in between.
    mug, bowl = PriceFactory(product__name="Mug"), PriceFactory(product__name="Bowl")
    add(client, mug)
    line_add = cart_services._line_add

    def line_add_after_a_page_view(**kwargs):
        assert "Bowl" not in client.get(CART).content.decode()
        return line_add(**kwargs)

    monkeypatch.setattr(cart_services, "run_atomically", lambda write, refresh=(): write())
    monkeypatch.setattr(cart_services, "_line_add", line_add_after_a_page_view)
    add(client, bowl)
    monkeypatch.undo()

    assert "Bowl" in client.get(CART).content.decode()

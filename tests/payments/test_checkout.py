"""Starting a checkout: what goes to Stripe comes from the database, and every refusal leaves the
cart as it was, usable, with no order and a message that says what to do."""

import socket

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from cart.models import CartItem
from catalog.models import Price, Variant
from orders.models import Order, OrderStatus
from payments import checkout as checkout_module
from tests import factories


@pytest.fixture
def mug(db):
    return factories.PriceFactory(product__name="Stoneware mug", unit_amount=1800)


def post_checkout(client, data=None):
    return client.post("/payments/checkout/", data or {})


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def assert_cart_untouched(cart, items_before):
    cart.refresh_from_db()
    assert not cart.is_locked
    assert cart.status == "ACTIVE"
    assert sorted(CartItem.objects.filter(cart=cart).values_list("price_id", "quantity")) == items_before


def items_of(cart):
    return sorted(CartItem.objects.filter(cart=cart).values_list("price_id", "quantity"))


def test_line_items_come_from_the_database_not_from_the_form(
    quiet_sim, client, guest_client, mug, stripe_api
):
    cart = guest_client((mug, 2))
    other = factories.PriceFactory(unit_amount=1)

    response = post_checkout(
        client, {"price": other.stripe_price_id or str(other.pk), "unit_amount": "1", "quantity": "9"}
    )

    assert response.status_code == 303
    order = Order.objects.get()
    assert list(order.items.values_list("price_id", "unit_amount", "quantity")) == [(mug.pk, 1800, 2)]
    line_items = stripe_api().v1.checkout.sessions.line_items.list(order.stripe_checkout_session_id)
    assert [(item.price.unit_amount, item.quantity) for item in line_items.data] == [(1800, 2)]
    cart.refresh_from_db()
    assert cart.checkout_session_id == order.stripe_checkout_session_id


def test_prices_get_their_stripe_product_and_price_once(quiet_sim, client, guest_client, mug, stripe_api):
    guest_client((mug, 1))
    post_checkout(client)

    mug.refresh_from_db()
    mug.product.refresh_from_db()
    stripe_price = stripe_api().v1.prices.retrieve(mug.stripe_price_id)
    assert (stripe_price.unit_amount, stripe_price.currency, stripe_price.product) == (
        1800,
        "usd",
        mug.product.stripe_product_id,
    )
    assert stripe_price.metadata["price_id"] == str(mug.pk)
    assert stripe_api().v1.products.retrieve(mug.product.stripe_product_id).name == "Stoneware mug"

    second_client = Client()
    session = second_client.session
    cart = factories.CartFactory(session_key=session.session_key, currency="usd")
    factories.CartItemFactory(cart=cart, price=mug, quantity=3)
    session["cart_id"] = str(cart.pk)
    session.save()
    post_checkout(second_client)
    assert Price.objects.get(pk=mug.pk).stripe_price_id == stripe_price.id
    assert len(stripe_api().v1.prices.list({"product": mug.product.stripe_product_id}).data) == 1


def test_a_line_whose_price_belongs_to_another_product_is_refused(quiet_sim, client, guest_client, mug):
    cart = guest_client((mug, 1))
    tampered = factories.PriceFactory(product__name="Brass key", unit_amount=1)
    CartItem.objects.filter(cart=cart).update(price=tampered)
    before = items_of(cart)

    response = post_checkout(client)

    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    assert messages_of(response) == [
        "“Stoneware mug” is no longer available at that price. "
        "Remove it from your cart, then check out again."
    ]
    assert not Order.objects.exists()
    assert_cart_untouched(cart, before)


def test_an_inactive_price_is_refused(quiet_sim, client, guest_client, mug):
    cart = guest_client((mug, 1))
    Price.objects.filter(pk=mug.pk).update(active=False)

    response = post_checkout(client)

    assert "no longer available" in messages_of(response)[0]
    assert not Order.objects.exists()
    assert_cart_untouched(cart, [(mug.pk, 1)])


def test_a_price_stripe_does_not_know_is_refused_and_the_cart_stays_usable(
    quiet_sim, client, guest_client, mug
):
    Price.objects.filter(pk=mug.pk).update(stripe_price_id="price_forged0000")
    cart = guest_client((mug, 1))

    response = post_checkout(client)

    assert response["Location"] == "/cart/"
    assert messages_of(response) == [
        "Our payment provider could not start this checkout. Your cart is unchanged; "
        "please try again, or contact us if it keeps happening."
    ]
    assert not Order.objects.exists()
    assert_cart_untouched(cart, [(mug.pk, 1)])


def test_a_stripe_outage_leaves_the_cart_intact_with_a_clear_message(
    quiet_sim, settings, client, guest_client, mug
):
    cart = guest_client((mug, 2))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port}"

    response = post_checkout(client)

    assert response["Location"] == "/cart/"
    assert messages_of(response) == [
        "We could not reach our payment provider. Your cart is unchanged; please try again in a moment."
    ]
    assert not Order.objects.exists()
    assert_cart_untouched(cart, [(mug.pk, 2)])

    settings.STRIPE_API_BASE = quiet_sim.url
    assert post_checkout(client).status_code == 303
    assert Order.objects.get().status == OrderStatus.PENDING


def test_subscriptions_billed_at_different_intervals_are_refused(quiet_sim, client, guest_client):
    monthly = factories.PriceFactory(monthly=True)
    yearly = factories.PriceFactory(yearly=True)
    cart = guest_client((monthly, 1), (yearly, 1))

    response = post_checkout(client)

    assert messages_of(response) == [
        "Your cart holds subscriptions billed at different intervals (for example monthly and yearly). "
        "Check them out separately: one checkout can bill one interval."
    ]
    assert not Order.objects.exists()
    assert_cart_untouched(cart, items_of(cart))


def test_checking_out_without_a_cart_says_so(quiet_sim, client):
    response = post_checkout(client)

    assert response["Location"] == "/cart/"
    assert messages_of(response) == ["Your cart is empty: add something before checking out."]


def test_an_empty_cart_is_refused(quiet_sim, client, guest_client, mug):
    cart = guest_client((mug, 1))
    CartItem.objects.filter(cart=cart).delete()

    response = post_checkout(client)

    assert messages_of(response) == ["Your cart is empty: add something before checking out."]
    assert not Order.objects.exists()


def test_checkout_takes_a_post_with_a_csrf_token_only(quiet_sim, guest_client, mug):
    csrf_client = Client(enforce_csrf_checks=True)
    session = csrf_client.session
    cart = factories.CartFactory(session_key=session.session_key)
    factories.CartItemFactory(cart=cart, price=mug)
    session["cart_id"] = str(cart.pk)
    session.save()

    assert csrf_client.get("/payments/checkout/").status_code == 405
    assert csrf_client.post("/payments/checkout/").status_code == 403
    assert not Order.objects.exists()


def test_a_cart_changed_while_the_checkout_started_is_not_charged_stale(
    quiet_sim, client, guest_client, mug, monkeypatch, stripe_api
):
    cart = guest_client((mug, 1))
    tee = factories.PriceFactory(product__name="Cotton tee")
    reads = []

    def cart_lines_with_a_late_add(read_cart):
        if len(reads) == 1:
            # Another tab adds an item after the checkout read the cart, before it froze it.
            factories.CartItemFactory(cart=cart, price=tee)
        reads.append(read_cart)
        return original(read_cart)

    original = checkout_module.cart_lines
    monkeypatch.setattr(checkout_module, "cart_lines", cart_lines_with_a_late_add)

    response = post_checkout(client)

    assert messages_of(response) == [
        "Your cart changed while the checkout was being prepared. Review it and check out again."
    ]
    order = Order.objects.get()
    assert order.status == OrderStatus.CANCELLED
    assert stripe_api().v1.checkout.sessions.retrieve(order.stripe_checkout_session_id).status == "expired"
    cart.refresh_from_db()
    assert not cart.is_locked


def test_stripes_page_names_the_variants_beside_the_pay_button_and_charges_their_own_prices(
    stripe_sim, guest_with_cart, stripe_api, mug
):
    tee = factories.ProductFactory(
        name="Organic Cotton T-Shirt",
        option_axes=[{"name": "Size", "values": ["M"]}, {"name": "Colour", "values": ["Black"]}],
    )
    variant = Variant.objects.create(
        product=tee, option_values={"Size": "M", "Colour": "Black"}, track_stock=False
    )
    black_m = Price.objects.create(product=tee, variant=variant, unit_amount=2500, currency="usd")
    purchase = guest_with_cart((black_m, 3), (mug, 1))
    neighbour = guest_with_cart((mug, 2))

    page_url = purchase.shopper.checkout().headers["Location"]
    plain_url = neighbour.shopper.checkout().headers["Location"]

    page = purchase.shopper.get(page_url).text
    assert "3 × Organic Cotton T-Shirt (M, Black)" in page
    assert "Stoneware mug (" not in page
    session = stripe_api().v1.checkout.sessions.retrieve(page_url.rsplit("/", 1)[1])
    assert session.custom_text.submit.message == "Your choice: 3 × Organic Cotton T-Shirt (M, Black)."
    line_items = stripe_api().v1.checkout.sessions.line_items.list(session.id)
    black_m.refresh_from_db()
    mug.refresh_from_db()
    assert {item.price.id for item in line_items.data} == {black_m.stripe_price_id, mug.stripe_price_id}
    # Nothing to say for products of one item.
    plain = stripe_api().v1.checkout.sessions.retrieve(plain_url.rsplit("/", 1)[1])
    assert plain.custom_text.submit is None

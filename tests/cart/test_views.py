import re
from datetime import timedelta

import pytest
from bson import ObjectId
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cart.models import Cart, CartItem
from catalog.billing import add_interval
from catalog.models import Variant
from inventory.services import stock_adjust
from tests.factories import CartItemFactory, PriceFactory, UserFactory

CART = reverse("cart:detail")
ADD = reverse("cart:add")
HOME = reverse("catalog:product_list")
LOCKED_MESSAGE = "Your cart is being checked out — finish or cancel the payment first."


def add(client, price, quantity=1, **overrides):
    data = {"product_id": str(price.product_id), "price_id": str(price.pk), "quantity": quantity, **overrides}
    return client.post(ADD, data, follow=True)


def update(client, item, quantity):
    return client.post(reverse("cart:item_update", args=[item.pk]), {"quantity": quantity}, follow=True)


def remove(client, item):
    return client.post(reverse("cart:item_remove", args=[item.pk]), follow=True)


def cart_lines_of(client):
    cart = Cart.objects.get(pk=client.session["cart_id"])
    return sorted((item.price_id, item.quantity) for item in CartItem.objects.filter(cart=cart))


def all_lines():
    return sorted((str(item.cart_id), item.price_id, item.quantity) for item in CartItem.objects.all())


def text(response):
    return response.content.decode()


def csrf_token_in(response) -> bytes:
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content).group(1)


# --- The happy path ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_browse_add_two_prices_change_a_quantity_and_remove_a_line(client):
    coffee = PriceFactory(product__name="House Roast", unit_amount=1500)
    monthly = PriceFactory(product=coffee.product, monthly=True, unit_amount=1400)

    response = add(client, coffee, 2)
    assert response.redirect_chain[-1][0] == CART
    assert "Added 2 × House Roast ($15.00) to your cart." in text(response)
    response = add(client, monthly, 1)
    assert "Added 1 × House Roast ($14.00 / month) to your cart." in text(response)

    html = text(client.get(CART))
    assert "$30.00" in html  # 2 x $15.00
    assert "$14.00 / month each" in html
    assert "$44.00" in html  # the subtotal
    assert '<span class="badge" data-testid="cart-count">3</span>' in html

    coffee_line = CartItem.objects.get(price=coffee)
    response = update(client, coffee_line, 5)
    assert "Quantity updated." in text(response)
    assert "$89.00" in text(response)  # 5 x 15 + 14
    response = remove(client, coffee_line)
    assert "Item removed from your cart." in text(response)
    assert cart_lines_of(client) == [(monthly.pk, 1)]


@pytest.mark.django_db
def test_the_summary_says_what_is_due_today_and_what_recurs_from_when(client):
    mug = PriceFactory(product__name="Camp mug", unit_amount=1800)
    tea = PriceFactory(product__name="Tea club", monthly=True, unit_amount=900)
    almanac = PriceFactory(product__name="Almanac", yearly=True, unit_amount=4000)
    add(client, mug, 2)
    assert "Subtotal" in text(client.get(CART))
    assert "Due today" not in text(client.get(CART))

    add(client, tea)
    add(client, almanac)
    today = timezone.localdate()
    month, year = add_interval(today, "month", 1), add_interval(today, "year", 1)

    page = " ".join(re.sub(r"<[^>]+>", " ", text(client.get(CART))).split())
    assert (
        f"Due today $85.00, then $9.00 / month from {month.day} {month:%B %Y}"
        f" and $40.00 / year from {year.day} {year:%B %Y}"
    ) in page
    assert "Subtotal" not in page


@pytest.mark.django_db
def test_an_empty_cart_page_invites_to_shop_and_creates_no_cart(client):
    html = text(client.get(CART))

    assert "Your cart is empty" in html
    assert 'data-testid="cart-count"' not in html
    assert not Cart.objects.exists()


@pytest.mark.django_db
def test_the_badge_shows_the_item_count_on_every_page(client):
    price = PriceFactory(product__name="Mug")
    add(client, price, 3)

    for url in (HOME, price.product.get_absolute_url(), "/no-such-page/"):
        assert '<span class="badge" data-testid="cart-count">3</span>' in text(client.get(url))


@pytest.mark.django_db
def test_two_browsers_never_see_each_others_cart():
    alice, bob = Client(), Client()
    mug = PriceFactory(product__name="Enamel Mug")
    pen = PriceFactory(product__name="Brass Pen")
    add(alice, mug)
    add(bob, pen)

    alice_cart, bob_cart = text(alice.get(CART)), text(bob.get(CART))
    assert "Enamel Mug" in alice_cart
    assert "Brass Pen" not in alice_cart
    assert "Brass Pen" in bob_cart
    assert "Enamel Mug" not in bob_cart
    assert Cart.objects.count() == 2
    bob_line = CartItem.objects.get(price=pen)
    assert update(alice, bob_line, 9).status_code == 404
    assert remove(alice, bob_line).status_code == 404
    assert CartItem.objects.get(pk=bob_line.pk).quantity == 1


@pytest.mark.django_db
def test_a_signed_in_user_and_a_guest_have_separate_carts(client):
    user = UserFactory()
    client.force_login(user)
    guest = Client()
    add(client, PriceFactory(product__name="Enamel Mug"))

    assert "Enamel Mug" not in text(guest.get(CART))
    assert Cart.objects.get().user == user


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "The quantity must be at least 1."),
        (-2, "The quantity must be at least 1."),
        ("two", "Enter the quantity as a whole number, such as 1 or 2."),
        ("1.5", "Enter the quantity as a whole number, such as 1 or 2."),
        ("", "Enter a quantity."),
        (100, "You can have at most 99 of one item in your cart."),
    ],
)
def test_add_refuses_a_bad_quantity_and_creates_nothing(client, quantity, message):
    price = PriceFactory()

    response = add(client, price, quantity)

    assert message in text(response)
    assert response.redirect_chain[-1][0] == price.product.get_absolute_url()
    assert not Cart.objects.exists()
    assert not CartItem.objects.exists()


@pytest.mark.django_db
def test_add_past_the_line_maximum_is_refused_and_changes_nothing(client):
    price = PriceFactory()
    add(client, price, 97)

    response = add(client, price, 3)

    assert "You already have 97, so you can add up to 2 more." in text(response)
    assert cart_lines_of(client) == [(price.pk, 97)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make_price", "message"),
    [
        (lambda: PriceFactory(active=False), "Sorry, this price is no longer available."),
        (lambda: PriceFactory(deleted_at=timezone.now()), "Sorry, this price is no longer available."),
        (lambda: PriceFactory(product__active=False), "Sorry, this product is no longer available."),
        (
            lambda: PriceFactory(product__deleted_at=timezone.now()),
            "Sorry, this product is no longer available.",
        ),
    ],
    ids=["inactive price", "deleted price", "inactive product", "deleted product"],
)
def test_add_refuses_what_is_not_for_sale_and_changes_nothing(client, make_price, message):
    kept = PriceFactory()
    add(client, kept, 1)
    before = all_lines()

    response = add(client, make_price())

    assert message in text(response)
    assert all_lines() == before


@pytest.mark.django_db
def test_add_refuses_a_price_of_another_product(client):
    mug, pen = PriceFactory(product__name="Mug"), PriceFactory(product__name="Pen")

    response = add(client, mug, 1, price_id=str(pen.pk))

    assert "Sorry, this price is no longer available." in text(response)
    assert response.redirect_chain[-1][0] == mug.product.get_absolute_url()
    assert not CartItem.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price_id", "not-an-id", "Sorry, this price is no longer available."),
        ("price_id", "", "Sorry, this price is no longer available."),
        ("price_id", str(ObjectId()), "Sorry, this price is no longer available."),
        ("product_id", "not-an-id", "Sorry, this product is no longer available."),
        ("product_id", "", "Sorry, this product is no longer available."),
        # The price exists, but not for that product.
        ("product_id", str(ObjectId()), "Sorry, this price is no longer available."),
    ],
)
def test_add_refuses_missing_or_unknown_ids(client, field, value, message):
    price = PriceFactory()

    response = add(client, price, 1, **{field: value})

    assert response.status_code == 200
    assert message in text(response)
    assert not CartItem.objects.exists()
    assert not Cart.objects.exists()


@pytest.mark.django_db
def test_add_refuses_another_currency_and_explains(client):
    add(client, PriceFactory(currency="usd"))
    before = all_lines()

    response = add(client, PriceFactory(currency="eur"))

    assert "Your cart is in USD and this price is in EUR. A cart holds one currency" in text(response)
    assert all_lines() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "The quantity must be at least 1."),
        (-1, "The quantity must be at least 1."),
        ("lots", "Enter the quantity as a whole number, such as 1 or 2."),
        (100, "You can have at most 99 of one item in your cart."),
    ],
)
def test_update_refuses_a_bad_quantity_and_changes_nothing(client, quantity, message):
    add(client, PriceFactory(), 2)
    line = CartItem.objects.get()

    response = update(client, line, quantity)

    assert message in text(response)
    assert CartItem.objects.get().quantity == 2


@pytest.mark.django_db
def test_a_line_id_that_is_not_in_your_cart_answers_404(client):
    add(client, PriceFactory(), 1)
    someone_elses = CartItemFactory(quantity=4)

    for url in (
        reverse("cart:item_update", args=[someone_elses.pk]),
        reverse("cart:item_remove", args=[someone_elses.pk]),
        reverse("cart:item_update", args=[ObjectId()]),
        reverse("cart:item_remove", args=["not-an-object-id"]),
    ):
        assert client.post(url, {"quantity": 1}).status_code == 404
    assert CartItem.objects.get(pk=someone_elses.pk).quantity == 4


@pytest.mark.django_db
def test_a_visitor_without_a_cart_gets_404_for_any_line(client):
    line = CartItemFactory()

    assert client.post(reverse("cart:item_remove", args=[line.pk])).status_code == 404
    assert CartItem.objects.filter(pk=line.pk).exists()


@pytest.mark.django_db
def test_get_where_post_is_needed_answers_405(client):
    price = PriceFactory()
    add(client, price, 1)
    line = CartItem.objects.get()
    query = {"product_id": price.product_id, "price_id": price.pk, "quantity": 5}

    for url in (
        ADD,
        reverse("cart:item_update", args=[line.pk]),
        reverse("cart:item_remove", args=[line.pk]),
    ):
        assert client.get(url, query).status_code == 405
    assert all_lines() == [(str(line.cart_id), price.pk, 1)]


@pytest.mark.django_db
def test_a_post_without_csrf_token_answers_403_and_changes_nothing():
    browser = Client(enforce_csrf_checks=True)
    price = PriceFactory()
    product_page = browser.get(price.product.get_absolute_url())
    assert product_page.status_code == 200

    response = browser.post(ADD, {"product_id": price.product_id, "price_id": price.pk, "quantity": 1})

    assert response.status_code == 403
    assert not Cart.objects.exists()


@pytest.mark.django_db
def test_the_forms_carry_a_csrf_token_that_works():
    browser = Client(enforce_csrf_checks=True)
    price = PriceFactory()
    browser.get(price.product.get_absolute_url())
    token = browser.cookies["csrftoken"].value

    response = browser.post(
        ADD,
        {"product_id": price.product_id, "price_id": price.pk, "quantity": 1, "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    line = CartItem.objects.get()
    for url in (reverse("cart:item_update", args=[line.pk]), reverse("cart:item_remove", args=[line.pk])):
        assert browser.post(url, {"quantity": 2}).status_code == 403
    assert CartItem.objects.get().quantity == 1
    assert "csrfmiddlewaretoken" in text(browser.get(CART))


@pytest.mark.django_db
def test_a_cart_being_checked_out_shows_why_and_refuses_changes(client):
    add(client, PriceFactory(product__name="Mug"), 2)
    Cart.objects.update(checkout_session_id="cs_test_open")
    line = CartItem.objects.get()

    html = text(client.get(CART))
    assert LOCKED_MESSAGE in html
    assert reverse("cart:item_update", args=[line.pk]) not in html
    for response in (update(client, line, 5), remove(client, line), add(client, PriceFactory())):
        assert LOCKED_MESSAGE in text(response)
    assert all_lines() == [(str(line.cart_id), line.price_id, 2)]


@pytest.mark.django_db
def test_the_cart_page_checks_out_with_a_post_form(client):
    add(client, PriceFactory())

    html = text(client.get(CART))

    form = html[html.index(f'<form method="post" action="{reverse("payments:checkout")}">') :]
    assert "csrfmiddlewaretoken" in form[: form.index("</form>")]
    assert ">Check out</button>" in form


@pytest.mark.django_db
def test_nothing_to_check_out_shows_no_checkout_button(client):
    teapot = PriceFactory(product__name="Teapot")
    add(client, teapot)
    teapot.__class__.objects.filter(pk=teapot.pk).update(active=False)

    html = text(client.get(CART))

    assert "Teapot" in html
    assert reverse("payments:checkout") not in html


@pytest.mark.django_db
def test_a_line_no_longer_for_sale_is_shown_but_not_totalled(client):
    mug = PriceFactory(product__name="Mug", unit_amount=1800)
    teapot = PriceFactory(product__name="Teapot", unit_amount=4200)
    add(client, mug)
    add(client, teapot)
    teapot.product.__class__.objects.filter(pk=teapot.product_id).update(active=False)

    html = text(client.get(CART))

    assert "Teapot" in html
    assert "No longer available: it will not be charged." in html
    assert "<dd>$18.00</dd>" in html


# --- Expiry -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_expired_cart_is_not_shown_before_or_after_the_ttl_monitor(client, move_clock, run_ttl_monitor):
    add(client, PriceFactory(product__name="Enamel Mug"), 2)
    cart_id = client.session["cart_id"]
    move_clock(timedelta(days=7, minutes=1))

    html = text(client.get(CART))
    assert "Your cart is empty" in html
    assert "Enamel Mug" not in html
    assert "cart_id" not in client.session

    run_ttl_monitor()
    assert not Cart.objects.filter(pk=cart_id).exists()
    assert not CartItem.objects.filter(cart_id=cart_id).exists()

    add(client, PriceFactory(product__name="Brass Pen"), 1)
    html = text(client.get(CART))
    assert "Brass Pen" in html
    assert "Enamel Mug" not in html
    assert client.session["cart_id"] != cart_id


@pytest.mark.django_db
def test_browsing_pushes_a_guest_carts_expiry_at_most_once_an_interval(client, move_clock, database_commands):
    add(client, PriceFactory())
    cart = Cart.objects.get()
    client.get(HOME)

    with database_commands() as commands:
        client.get(HOME)
    assert not [command for command in commands.captured_queries if "update" in command["sql"]]
    assert Cart.objects.get().expires_at == cart.expires_at

    move_clock(timedelta(minutes=61))
    client.get(HOME)
    moved = Cart.objects.get()
    assert moved.expires_at > cart.expires_at + timedelta(minutes=60)
    assert CartItem.objects.get().expires_at == moved.expires_at


# --- Database commands per page ---------------------------------------------------------------


@pytest.mark.django_db
def test_cart_page_sends_as_many_database_commands_for_20_lines_as_for_1(client, database_commands):
    shopper_before = Client()  # The shop has served a cart page before: its generations exist.
    add(shopper_before, PriceFactory())
    shopper_before.get(CART)
    add(client, PriceFactory())
    with database_commands() as one_line:
        client.get(CART)
    for _ in range(19):
        add(client, PriceFactory())
    with database_commands() as twenty_lines:
        response = client.get(CART)
    with database_commands() as kept:
        again = client.get(CART)

    assert len(response.context["lines"]) == 20
    assert len(twenty_lines.captured_queries) == len(one_line.captured_queries)
    # The session, the cart, the catalog's generation with the kept page (none for this version
    # of the cart), its items, their prices, their products, their variants and the variants'
    # pictures.
    assert len(one_line.captured_queries) == 8
    # Kept: the session, the cart, and the generation with the page.
    assert len(kept.captured_queries) == 3
    assert again.content == response.content.replace(csrf_token_in(response), csrf_token_in(again))


@pytest.mark.django_db
def test_the_badge_costs_no_query_for_a_visitor_without_a_cart(client, database_commands):
    product = PriceFactory().product
    client.get(product.get_absolute_url())
    with database_commands() as visitor:
        client.get(product.get_absolute_url())
    add(client, PriceFactory())
    client.get(product.get_absolute_url())
    with database_commands() as shopper:
        client.get(product.get_absolute_url())

    # The catalog's generation with the kept page; a shopper adds the session, the cart and the item count.
    assert len(visitor.captured_queries) == 1
    assert len(shopper.captured_queries) == 4


# --- Stock ----------------------------------------------------------------------------------


def stocked(name, units, **variant_fields):
    """Return a price of a new product whose one item counts its stock, `units` on the shelf."""
    price = PriceFactory(product__name=name)
    Variant.objects.filter(pk=price.variant_id).update(track_stock=True, **variant_fields)
    if units:
        stock_adjust(variant=Variant.objects.get(pk=price.variant_id), quantity=units, reason="Delivery")
    return price


def quantity_max(page, item):
    return re.search(rf'<input[^>]*id="id_quantity_{item.pk}"[^>]*>', text(page)).group(0)


@pytest.mark.django_db
def test_the_cart_quantity_allows_at_most_what_is_left_of_a_counted_item(client):
    few = stocked("Teapot", 3)
    other_line = stocked("Tea towel", 3)
    uncounted = PriceFactory(product__name="Gift card")
    backordered = stocked("Kettle", 0, sell_when_out=True)
    for price in (few, other_line, uncounted, backordered):
        add(client, price)
    # Two lines of one item (bought once and by subscription) share its shelf.
    add(client, PriceFactory(product=other_line.product, variant_id=other_line.variant_id, monthly=True))
    items = {item.price_id: item for item in CartItem.objects.all()}

    page = client.get(CART)

    assert 'max="3"' in quantity_max(page, items[few.pk])
    assert 'max="2"' in quantity_max(page, items[other_line.pk])
    assert 'max="99"' in quantity_max(page, items[uncounted.pk])
    assert 'max="99"' in quantity_max(page, items[backordered.pk])


@pytest.mark.django_db
def test_a_quantity_over_the_stock_and_the_cart_limit_is_refused_for_the_stock(client):
    price = stocked("Teapot", 2)
    add(client, price)
    neighbour = CartItemFactory(price=price, quantity=1)
    item = CartItem.objects.get(cart__session_key=client.session.session_key)

    refused = update(client, item, 500)

    assert "Only 2 left: choose 2 or fewer. Your cart was not changed." in text(refused)
    assert "at most 99" not in text(refused)
    assert update(client, item, 100).context["lines"][0].quantity == 1
    assert "Only 2 left" in text(update(client, item, 3))
    # Within the stock, a quantity over the cart's limit is still refused for that limit.
    untracked = PriceFactory(product__name="Gift card")
    add(client, untracked)
    gift = CartItem.objects.get(price=untracked)
    assert "at most 99 of one item" in text(update(client, gift, 500))
    assert all_lines() == sorted(
        [
            (str(item.cart_id), price.pk, 1),
            (str(neighbour.cart_id), price.pk, 1),
            (str(gift.cart_id), untracked.pk, 1),
        ]
    )

"""An order names the variant bought ("M, Black") wherever it names the product: the shopper's
pages and emails and the staff's admin, as it was when ordered."""

import re

from django.test import Client
from django.urls import reverse

from accounts.models import UserRole
from catalog.models import Price, Product, Variant
from inventory.services import stock_adjust
from orders.emails import order_shipped_email_send
from orders.models import Order
from tests import factories
from tests.admin.pages import change_url
from tests.staff.helpers import checkout_paid


def visible_text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def t_shirt() -> Product:
    product = factories.ProductFactory(
        name="Organic Cotton T-Shirt",
        option_axes=[
            {"name": "Size", "values": ["M", "L"]},
            {"name": "Colour", "values": ["Black", "Navy"]},
        ],
    )
    for size, colour in [("M", "Black"), ("L", "Navy")]:
        variant = Variant.objects.create(product=product, option_values={"Size": size, "Colour": colour})
        stock_adjust(variant=variant, quantity=5, reason="Delivery")
        Price.objects.create(product=product, variant=variant, unit_amount=2500, currency="usd")
    return product


def paid_order(simulator, user, *lines) -> Order:
    """Return `user`'s order of the (price, quantity) lines, paid through the simulator."""
    cart = factories.CartFactory(for_user=True, user=user, currency="usd")
    for price, quantity in lines:
        factories.CartItemFactory(cart=cart, price=price, quantity=quantity)
    return checkout_paid(simulator, cart, user=user)


def shopper(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def emails_of(mailoutbox, order) -> list[str]:
    """Return the text and HTML bodies of the emails about `order`."""
    return [
        part
        for email in mailoutbox
        if order.number in email.subject
        for part in [email.body, *(html for html, _ in email.alternatives)]
    ]


def test_the_order_names_the_variant_bought_for_the_shopper_and_staff_beside_another_variants_order(
    stripe_sim, mailoutbox
):
    tee = t_shirt()
    black_m = Variant.objects.get(product=tee, option_values={"Size": "M", "Colour": "Black"})
    navy_l = Variant.objects.get(product=tee, option_values={"Size": "L", "Colour": "Navy"})
    mug = factories.PriceFactory(product__name="Stoneware mug", unit_amount=1800)
    buyer, neighbour = factories.UserFactory(), factories.UserFactory()
    order = paid_order(stripe_sim, buyer, (Price.objects.get(variant=black_m), 3), (mug, 1))
    other = paid_order(stripe_sim, neighbour, (Price.objects.get(variant=navy_l), 1))

    assert sorted(order.items.values_list("product_name", "variant_name")) == [
        ("Organic Cotton T-Shirt", "M, Black"),
        # A product's one item has no options to name.
        ("Stoneware mug", ""),
    ]
    # Staff rename the variant afterwards: the order keeps what was bought.
    Variant.objects.filter(pk=black_m.pk).update(option_values={"Size": "M", "Colour": "Jet"})

    client = shopper(buyer)
    success = client.get(f"/payments/success/?session_id={order.stripe_checkout_session_id}").text
    page = client.get(reverse("orders:detail", kwargs={"number": order.number})).text
    history = client.get(reverse("orders:list")).text
    order_shipped_email_send(order_id=order.pk)
    emails = emails_of(mailoutbox, order)
    staff = shopper(factories.UserFactory(role=UserRole.ADMIN))
    admin_order = staff.get(change_url(order)).text
    admin_item = staff.get(change_url(order.items.get(variant_name="M, Black"))).text

    assert len(emails) == 4  # the confirmation and the shipped email, each in text and HTML
    for text in [success, page, history, *emails, admin_order, admin_item]:
        assert "Organic Cotton T-Shirt (M, Black)" in visible_text(text)
        assert "L, Navy" not in text
        assert "Jet" not in text
    assert str(order.items.get(variant_name="M, Black")) == "3 × Organic Cotton T-Shirt (M, Black)"

    other_page = shopper(neighbour).get(reverse("orders:detail", kwargs={"number": other.number})).text
    assert "Organic Cotton T-Shirt (L, Navy)" in visible_text(other_page)
    assert "M, Black" not in other_page
    assert "Organic Cotton T-Shirt (L, Navy)" in visible_text(staff.get(change_url(other)).text)

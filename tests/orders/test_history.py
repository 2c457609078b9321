"""Order history: each signed-in user sees their own orders only, read in a fixed number of queries."""

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import FulfillmentStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_shoppers():
    alice, bob = factories.UserFactory(), factories.UserFactory()
    alice_order = factories.OrderFactory(user=alice, paid=True, amount_subtotal=4200, amount_total=4200)
    factories.OrderItemFactory(
        order=alice_order,
        product_name="Walnut desk",
        unit_amount=2100,
        quantity=2,
        amount_total=4200,
        price__product__name="Walnut desk",
    )
    bob_order = factories.OrderFactory(user=bob)
    factories.OrderItemFactory(order=bob_order, product_name="Bob's lamp", price__product__name="Bob's lamp")
    return alice, alice_order, bob, bob_order


def test_the_list_shows_only_the_users_own_orders(client, two_shoppers):
    alice, alice_order, _, bob_order = two_shoppers
    client.force_login(alice)

    page = client.get(reverse("orders:list"))

    assert page.status_code == 200
    assert [order.pk for order in page.context["orders"]] == [alice_order.pk]
    assert alice_order.number in page.text
    assert "2 × Walnut desk" in page.text
    assert "$42.00" in page.text
    assert bob_order.number not in page.text
    assert "Bob&#x27;s lamp" not in page.text


def test_the_detail_shows_the_users_own_order(client, two_shoppers):
    alice, alice_order, _, _ = two_shoppers
    alice_order.set_status("fulfillment_status", FulfillmentStatus.FULFILLED)
    alice_order.set_status(
        "fulfillment_status", FulfillmentStatus.SHIPPED, carrier="UPS", tracking_number="1Z999"
    )
    client.force_login(alice)

    page = client.get(alice_order.get_absolute_url())

    assert page.status_code == 200
    assert page.context["order"] == alice_order
    for text in ("Walnut desk", "$21.00", "$42.00", "Paid", "Shipped", "via UPS, tracking number"):
        assert text in page.text
    assert "https://www.ups.com/track?tracknum=1Z999" in page.text


def test_someone_elses_order_answers_404(client, two_shoppers):
    alice, _, _, bob_order = two_shoppers
    client.force_login(alice)

    response = client.get(bob_order.get_absolute_url())

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert bob_order.number not in response.text


def test_an_unknown_order_number_answers_404(client, two_shoppers):
    client.force_login(two_shoppers[0])

    assert client.get(reverse("orders:detail", kwargs={"number": "ORD-NOPE0000"})).status_code == 404


def test_an_order_without_a_user_is_nobodys(client, two_shoppers):
    """A deleted customer's order keeps its email but must not surface in anyone's history."""
    alice = two_shoppers[0]
    orphan = factories.OrderFactory(user=None, customer_email=alice.email)
    client.force_login(alice)

    assert orphan.number not in client.get(reverse("orders:list")).text
    assert client.get(orphan.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("url_name", ["orders:list", "orders:detail"])
def test_signing_in_is_required(client, two_shoppers, url_name):
    kwargs = {"number": two_shoppers[1].number} if url_name == "orders:detail" else {}

    response = client.get(reverse(url_name, kwargs=kwargs))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_no_orders_yet(client):
    client.force_login(factories.UserFactory())

    assert "You have no orders yet." in client.get(reverse("orders:list")).text


def count_queries(client, url):
    # Once first: what every page reads once a minute per process (the main navigation) is kept.
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_reads_a_fixed_number_of_queries_whatever_the_number_of_orders(client):
    user = factories.UserFactory()
    client.force_login(user)
    factories.OrderItemFactory(order__user=user)
    one_order = count_queries(client, reverse("orders:list"))

    for _ in range(3):
        order = factories.OrderFactory(user=user)
        factories.OrderItemFactory.create_batch(2, order=order)

    assert count_queries(client, reverse("orders:list")) == one_order


def test_the_detail_reads_a_fixed_number_of_queries_whatever_the_number_of_items(client):
    user = factories.UserFactory()
    client.force_login(user)
    order = factories.OrderItemFactory(order__user=user).order
    one_item = count_queries(client, order.get_absolute_url())

    factories.OrderItemFactory.create_batch(3, order=order)

    assert count_queries(client, order.get_absolute_url()) == one_item

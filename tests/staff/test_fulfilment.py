"""Fulfilment from the order admin: moves in order, illegal ones refused, one shipping email per shipment."""

import pytest
from django.urls import reverse

from orders.fulfilment import order_mark_shipped
from orders.models import FulfillmentStatus, Order, OrderStatus, OrderStatusChange, PaymentStatus
from tests import factories
from tests.admin.pages import changelist_url, result_pks, run_action
from tests.staff.helpers import (
    REFUSED_ROLES,
    STAFF_ROLES,
    is_login_redirect,
    messages_of,
    order_change_url,
    run_on_order_page,
)

F = FulfillmentStatus


def ship(client, orders, *, carrier="DHL", tracking=None, **extra):
    """Submit the shipping page of the bulk action for `orders`, one tracking number each."""
    data = {
        "action": "mark_shipped",
        "apply": "yes",
        "_selected_action": [str(order.pk) for order in orders],
        "carrier": carrier,
        **extra,
    }
    for index, order in enumerate(orders):
        data[f"tracking_{order.pk}"] = (tracking or {}).get(order.pk, f"JD0146000{index}")
    return client.post(changelist_url(Order), data, follow=True)


def fulfilment_of(order):
    return Order.objects.values_list("status", "fulfillment_status").get(pk=order.pk)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_an_order_goes_through_fulfilment_in_order_and_ships_with_one_email(client_as, role, mailoutbox):
    client = client_as(role)
    order = factories.OrderFactory(
        paid=True,
        customer_email="ada@example.com",
        shipping_name="Ada",
        shipping_address={"city": "Portland"},
    )
    factories.OrderItemFactory(order=order, product_name="Stoneware mug", quantity=2)

    fulfilled = run_action(client, Order, "mark_fulfilled", [order])
    assert f"Marked fulfilled: {order.number}." in messages_of(fulfilled)

    form_page = run_action(client, Order, "mark_shipped", [order])
    assert form_page.templates[0].name == "admin/orders/order/ship.html"
    assert f"Tracking number of {order.number}" in form_page.text
    assert fulfilment_of(order) == (OrderStatus.PROCESSING, F.FULFILLED)
    shipped = ship(client, [order], carrier="UPS", tracking={order.pk: "1Z999AA10123456784"})
    assert f"Marked shipped: {order.number}." in messages_of(shipped)
    order.refresh_from_db()
    assert (order.fulfillment_status, order.carrier, order.tracking_number) == (
        F.SHIPPED,
        "UPS",
        "1Z999AA10123456784",
    )
    assert order.shipped_at is not None

    [email] = mailoutbox
    assert email.to == ["ada@example.com"]
    assert email.subject.endswith(f"order {order.number} has shipped")
    assert "UPS" in email.body
    assert "1Z999AA10123456784" in email.body
    assert "2 × Stoneware mug" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert (
        '<strong><a href="https://www.ups.com/track?tracknum=1Z999AA10123456784" style="color: #0a58ca;">'
        "1Z999AA10123456784</a></strong>"
    ) in html

    delivered = run_action(client, Order, "mark_delivered", [order])
    assert f"Marked delivered: {order.number}." in messages_of(delivered)
    assert fulfilment_of(order) == (OrderStatus.COMPLETED, F.DELIVERED)

    returned = run_action(client, Order, "mark_returned", [order])
    assert f"Marked returned: {order.number}." in messages_of(returned)
    assert fulfilment_of(order) == (OrderStatus.COMPLETED, F.RETURNED)

    moves = list(
        OrderStatusChange.objects.filter(order=order)
        .order_by("created_at")
        .values_list("field", "new_status")
    )
    assert moves == [
        ("fulfillment_status", F.FULFILLED),
        ("fulfillment_status", F.SHIPPED),
        ("fulfillment_status", F.DELIVERED),
        ("status", OrderStatus.COMPLETED),
        ("fulfillment_status", F.RETURNED),
    ]
    shipped_note = OrderStatusChange.objects.get(order=order, new_status=F.SHIPPED).note
    assert shipped_note.startswith("Shipped with UPS, tracking number 1Z999AA10123456784; Marked shipped by ")
    assert len(mailoutbox) == 1


NOT_SHIPPED_YET = "it hasn't shipped yet."
DELIVER_AFTER_SHIPPING = f"{NOT_SHIPPED_YET} Mark it as shipped first."
NOTHING_TO_RETURN = (
    "it hasn't shipped yet, so nothing can come back. Refund it instead if the customer doesn't want it."
)


@pytest.mark.parametrize(
    ("fulfillment_status", "action", "message"),
    [
        (F.UNFULFILLED, "mark_delivered", f"can't be marked delivered: {DELIVER_AFTER_SHIPPING}"),
        (F.FULFILLED, "mark_delivered", f"can't be marked delivered: {DELIVER_AFTER_SHIPPING}"),
        (F.UNFULFILLED, "mark_returned", f"can't be marked returned: {NOTHING_TO_RETURN}"),
        (F.FULFILLED, "mark_returned", f"can't be marked returned: {NOTHING_TO_RETURN}"),
        (F.SHIPPED, "mark_fulfilled", "can't be marked fulfilled: it has already shipped."),
        (F.DELIVERED, "mark_fulfilled", "can't be marked fulfilled: it has already been delivered."),
        (F.RETURNED, "mark_fulfilled", "can't be marked fulfilled: it has been returned."),
        (F.RETURNED, "mark_delivered", "can't be marked delivered: it has been returned."),
    ],
)
def test_a_move_out_of_order_is_refused_in_plain_words_and_changes_nothing(
    staff_client, fulfillment_status, action, message
):
    order = factories.OrderFactory(paid=True, fulfillment_status=fulfillment_status)

    response = run_action(staff_client, Order, action, [order])

    assert f"Order {order.number} {message}" in messages_of(response)
    assert fulfilment_of(order) == (OrderStatus.PROCESSING, fulfillment_status)
    assert not OrderStatusChange.objects.exists()


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_a_paid_order_ships_in_one_step_without_being_marked_fulfilled(client_as, role, mailoutbox):
    client = client_as(role)
    order = factories.OrderFactory(paid=True)

    form_page = run_action(client, Order, "mark_shipped", [order])
    shipped = ship(client, [order], carrier="UPS", tracking={order.pk: "1Z1"})

    assert form_page.templates[0].name == "admin/orders/order/ship.html"
    assert f"Marked shipped: {order.number}." in messages_of(shipped)
    assert fulfilment_of(order) == (OrderStatus.PROCESSING, F.SHIPPED)
    assert list(OrderStatusChange.objects.values_list("old_status", "new_status")) == [
        (F.UNFULFILLED, F.SHIPPED)
    ]
    assert len(mailoutbox) == 1


def test_paid_orders_await_fulfilment_until_they_ship_packed_or_not(staff_client):
    waiting = [
        factories.OrderFactory(paid=True),
        factories.OrderFactory(paid=True, fulfillment_status=F.FULFILLED),
        factories.OrderFactory(paid=True, payment_status=PaymentStatus.PARTIALLY_REFUNDED),
    ]
    factories.OrderFactory(paid=True, fulfillment_status=F.SHIPPED)
    factories.OrderFactory(paid=True, fulfillment_status=F.DELIVERED)
    factories.OrderFactory()  # not paid

    listed = staff_client.get(changelist_url(Order, awaiting_fulfilment="yes"))
    dashboard = staff_client.get(reverse("admin:index"))

    assert result_pks(listed) == {str(order.pk) for order in waiting}
    assert dashboard.context["dashboard"]["unfulfilled"]["count"] == 3
    assert "Paid, not shipped yet" in listed.text


@pytest.mark.parametrize(
    ("fulfillment_status", "message"),
    [
        (F.DELIVERED, "can't be marked shipped: it has already been delivered."),
        (F.RETURNED, "can't be marked shipped: it has been returned."),
    ],
)
def test_shipping_an_order_past_shipping_is_refused_before_asking_for_tracking(
    staff_client, mailoutbox, fulfillment_status, message
):
    order = factories.OrderFactory(paid=True, fulfillment_status=fulfillment_status)

    response = run_action(staff_client, Order, "mark_shipped", [order])

    assert "admin/orders/order/ship.html" not in [template.name for template in response.templates]
    assert f"Order {order.number} {message}" in messages_of(response)
    assert fulfilment_of(order) == (OrderStatus.PROCESSING, fulfillment_status)
    assert mailoutbox == []


@pytest.mark.parametrize(
    "payment_status", [PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.REFUNDED]
)
def test_only_a_paid_order_can_be_fulfilled(staff_client, payment_status):
    order = factories.OrderFactory(payment_status=payment_status)

    response = run_action(staff_client, Order, "mark_fulfilled", [order])

    label = PaymentStatus(payment_status).label.lower()
    assert (
        f"Order {order.number} can't be marked fulfilled: it isn't paid (its payment is {label}). "
        "Only paid orders are packed and shipped."
    ) in messages_of(response)
    assert Order.objects.get(pk=order.pk).fulfillment_status == F.UNFULFILLED


def test_bulk_moves_apply_to_each_order_and_refuse_each_illegal_one(staff_client):
    ready = factories.OrderFactory.create_batch(2, paid=True)
    done = factories.OrderFactory(paid=True, fulfillment_status=F.FULFILLED)
    unpaid = factories.OrderFactory()

    response = run_action(staff_client, Order, "mark_fulfilled", [*ready, done, unpaid])

    shown = messages_of(response)
    [moved] = [message for message in shown if message.startswith("Marked fulfilled: ")]
    assert set(moved.removeprefix("Marked fulfilled: ").rstrip(".").split(", ")) == {o.number for o in ready}
    assert f"Already fulfilled, unchanged: {done.number}." in shown
    assert f"Order {unpaid.number} can't be marked fulfilled: it isn't paid (its payment is pending)." in (
        " ".join(shown)
    )
    assert {fulfilment_of(order)[1] for order in [*ready, done]} == {F.FULFILLED}
    assert fulfilment_of(unpaid)[1] == F.UNFULFILLED


def test_bulk_shipping_asks_one_carrier_and_a_tracking_number_per_order(staff_client, mailoutbox):
    first, second = factories.OrderFactory.create_batch(2, paid=True, fulfillment_status=F.FULFILLED)
    delivered = factories.OrderFactory(paid=True, fulfillment_status=F.DELIVERED)
    selected = [first, second, delivered]

    page = run_action(staff_client, Order, "mark_shipped", selected)
    assert page.templates[0].name == "admin/orders/order/ship.html"
    assert f"Tracking number of {first.number}" in page.text
    assert f"Tracking number of {second.number}" in page.text
    assert f"Tracking number of {delivered.number}" not in page.text
    refusal = f"Order {delivered.number} can&#x27;t be marked shipped: it has already been delivered."
    assert refusal in page.text

    response = ship(
        staff_client,
        selected[:2],
        carrier="Royal Mail",
        tracking={first.pk: "RM1", second.pk: "RM2"},
        _selected_action=[str(order.pk) for order in selected],
    )

    assert f"Order {delivered.number} can't be marked shipped: it has already been delivered." in (
        messages_of(response)
    )
    shipped = dict(Order.objects.filter(fulfillment_status=F.SHIPPED).values_list("pk", "tracking_number"))
    assert shipped == {first.pk: "RM1", second.pk: "RM2"}
    assert set(Order.objects.filter(pk__in=shipped).values_list("carrier", flat=True)) == {"Royal Mail"}
    assert sorted(email.body.split("Tracking number: ")[1].split()[0] for email in mailoutbox) == [
        "RM1",
        "RM2",
    ]


def test_shipping_without_a_tracking_number_shows_the_form_again_and_ships_nothing(staff_client, mailoutbox):
    order = factories.OrderFactory(paid=True, fulfillment_status=F.FULFILLED)

    response = ship(staff_client, [order], carrier="", tracking={order.pk: ""})

    assert response.templates[0].name == "admin/orders/order/ship.html"
    assert response.text.count("This field is required.") == 2
    assert fulfilment_of(order) == (OrderStatus.PROCESSING, F.FULFILLED)
    assert mailoutbox == []


def test_an_order_ships_once_even_when_staff_ship_it_twice(staff_client, mailoutbox):
    order = factories.OrderFactory(paid=True, fulfillment_status=F.FULFILLED)
    ship(staff_client, [order], tracking={order.pk: "FIRST"})

    again = run_action(staff_client, Order, "mark_shipped", [order])
    direct = order_mark_shipped(order=Order.objects.get(pk=order.pk), carrier="DHL", tracking_number="SECOND")

    assert f"Order {order.number} has already shipped (DHL, tracking number FIRST)." in messages_of(again)
    assert direct is False
    assert Order.objects.get(pk=order.pk).tracking_number == "FIRST"
    assert len(mailoutbox) == 1


def test_a_concurrent_second_shipment_loses_and_sends_no_email(staff_client, mailoutbox):
    order = factories.OrderFactory(paid=True, fulfillment_status=F.FULFILLED)
    stale = Order.objects.get(pk=order.pk)
    assert order_mark_shipped(order=order, carrier="DHL", tracking_number="WON")

    # A second staff member's page still shows the order as fulfilled: the service reloads it.
    assert order_mark_shipped(order=stale, carrier="UPS", tracking_number="LOST") is False

    assert Order.objects.values_list("carrier", "tracking_number").get(pk=order.pk) == ("DHL", "WON")
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_fulfilment_actions_run_from_the_order_page(client_as, role, mailoutbox):
    client = client_as(role)
    order = factories.OrderFactory(paid=True)
    page = client.get(order_change_url(order))
    for action in ("refund", "mark_fulfilled", "mark_shipped", "mark_delivered", "mark_returned"):
        assert f'value="{action}"' in page.text

    fulfilled = run_on_order_page(client, order, "mark_fulfilled")
    form = run_on_order_page(client, order, "mark_shipped")
    shipped = ship(client, [order], from_order_page="yes")

    assert fulfilled.redirect_chain[-1][0] == order_change_url(order)
    assert f"Marked fulfilled: {order.number}." in messages_of(fulfilled)
    assert form.templates[0].name == "admin/orders/order/ship.html"
    assert 'name="from_order_page"' in form.text
    assert shipped.redirect_chain[-1][0] == order_change_url(order)
    assert fulfilment_of(order)[1] == F.SHIPPED
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("role", REFUSED_ROLES)
@pytest.mark.parametrize("action", ["mark_fulfilled", "mark_shipped", "mark_delivered", "mark_returned"])
def test_shoppers_and_visitors_cannot_move_fulfilment(client_as, role, action, mailoutbox):
    client = client_as(role)
    order = factories.OrderFactory(paid=True, fulfillment_status=F.FULFILLED)

    listed = client.post(
        changelist_url(Order), {"action": action, "_selected_action": [str(order.pk)], "index": "0"}
    )
    shipped = client.post(
        changelist_url(Order),
        {
            "action": "mark_shipped",
            "apply": "yes",
            "_selected_action": [str(order.pk)],
            "carrier": "DHL",
            f"tracking_{order.pk}": "X1",
        },
    )
    on_page = client.post(
        order_change_url(order),
        {"CHANGE_FORM-action": action, "_selected_action": [str(order.pk)], "index": "0"},
    )

    assert is_login_redirect(listed)
    assert is_login_redirect(shipped)
    assert is_login_redirect(on_page)
    assert fulfilment_of(order) == (OrderStatus.PROCESSING, F.FULFILLED)
    assert not OrderStatusChange.objects.exists()
    assert mailoutbox == []

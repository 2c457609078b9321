"""Shared steps of the staff tests: paid orders through the simulator, admin pages and actions."""

from django.urls import reverse

from accounts.models import UserRole
from orders.models import Order, PaymentStatus
from payments.checkout import checkout_session_create
from payments.confirmation import checkout_session_confirm
from stripe_simulator.charges import DEFAULT_CARD
from tests import factories

STAFF_ROLES = [UserRole.ADMIN, UserRole.SUPER_ADMIN]
# None: an anonymous visitor.
REFUSED_ROLES = [UserRole.USER, None]


def paid_order(simulator, *, unit_amount=1800, quantity=2, delivered=True, card=DEFAULT_CARD) -> Order:
    """Return an order paid through the simulator's checkout with test card `card`, as Stripe
    recorded it.

    `delivered`: the simulator delivers the payment's webhooks; otherwise the shop is told directly.
    """
    order = open_checkout(unit_amount=unit_amount, quantity=quantity)
    session_id = order.stripe_checkout_session_id
    simulator.pay(session_id, card=card)
    if delivered:
        simulator.wait_for_deliveries()
    else:
        checkout_session_confirm(session_id=session_id)
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID
    return order


def open_checkout(*, unit_amount=1800, quantity=2) -> Order:
    """Return the PENDING order of a guest's checkout of one line, its Stripe session open."""
    price = factories.PriceFactory(unit_amount=unit_amount)
    cart = factories.CartFactory(currency=price.currency)
    factories.CartItemFactory(cart=cart, price=price, quantity=quantity)
    return checkout_started(cart)


def checkout_started(cart, *, user=None) -> Order:
    """Return the PENDING order of the cart's checkout, its Stripe session open."""
    started = checkout_session_create(
        cart=cart,
        user=user,
        success_url="http://testserver/payments/success/?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://testserver/cart/",
    )
    return Order.objects.get(pk=started.order.pk)


def checkout_paid(simulator, cart, *, user=None) -> Order:
    """Return the order of the cart's checkout once paid through the simulator, its webhooks delivered."""
    order = checkout_started(cart, user=user)
    simulator.pay(order.stripe_checkout_session_id)
    simulator.wait_for_deliveries()
    order.refresh_from_db()
    return order


def refund_url(order):
    return reverse("admin:orders_order_refund", args=[order.pk])


def order_change_url(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def run_on_order_page(client, order, action):
    """Run an admin action from the order's own page, as its action bar does."""
    return client.post(
        order_change_url(order),
        {"CHANGE_FORM-action": action, "_selected_action": [str(order.pk)], "index": "0"},
        follow=True,
    )


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def is_login_redirect(response):
    """True when the response sends the visitor to the admin's sign-in page."""
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))

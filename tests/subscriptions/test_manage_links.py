"""Every message about a subscription's order links to the page where the customer manages the
subscription: the shipping notice, the refund emails and the checkout's success page (a guest's
link signed, a member's their account page); an order of no subscription has no such link."""

import re

import pytest
from django.test import Client

from orders.emails import refund_email_send
from orders.fulfilment import order_mark_shipped
from orders.models import RefundStatus
from payments.views import SESSION_ORDERS_KEY
from subscriptions.links import subscription_id_from_link
from tests import factories

MANAGE = "Change, pause or skip your subscription"


def subscription_order(*, user=None):
    order = factories.OrderFactory(
        paid=True, user=user, customer_email=user.email if user else "guest@example.com"
    )
    subscription = factories.SubscriptionFactory(order=order, user=user, customer_email=order.customer_email)
    order.stripe_subscription_id = subscription.stripe_subscription_id
    order.save(update_fields=["stripe_subscription_id"])
    return order, subscription


def linked_subscription(text: str) -> str:
    """Return the Stripe id of the subscription the guest's signed link in `text` opens."""
    token = re.search(rf"{MANAGE}: http://[^/\s]+/accounts/subscriptions/link/([^/\s]+)/", text).group(1)
    return subscription_id_from_link(token=token)


def test_the_shipping_notice_links_to_the_subscription(db, mailoutbox):
    order, subscription = subscription_order()
    neighbour = factories.OrderFactory(paid=True)

    order_mark_shipped(order=order, carrier="Royal Mail", tracking_number="RM123456785GB")
    order_mark_shipped(order=neighbour, carrier="Royal Mail", tracking_number="RM987654321GB")

    [notice] = [m for m in mailoutbox if order.number in m.subject]
    assert linked_subscription(notice.body) == subscription.stripe_subscription_id
    path = re.search(r"(/accounts/subscriptions/link/[^/\s]+/)", notice.body).group(1)
    assert re.search(rf'<a href="http://[^/"]+{path}"[^>]*>{MANAGE}</a>', notice.alternatives[0][0])
    [other] = [m for m in mailoutbox if neighbour.number in m.subject]
    assert MANAGE not in other.body
    assert MANAGE not in other.alternatives[0][0]


@pytest.mark.parametrize("status", [RefundStatus.SUCCEEDED, RefundStatus.FAILED])
def test_a_refund_email_links_to_the_subscription(db, mailoutbox, status):
    order, subscription = subscription_order()
    refund = factories.RefundFactory(order=order, status=status, stripe_refund_id="re_test_1")
    neighbour = factories.RefundFactory(status=status, stripe_refund_id="re_test_2")

    refund_email_send(refund_id=refund.pk)
    refund_email_send(refund_id=neighbour.pk)

    [email] = [m for m in mailoutbox if order.number in m.subject]
    assert linked_subscription(email.body) == subscription.stripe_subscription_id
    assert f">{MANAGE}</a>" in email.alternatives[0][0]
    [other] = [m for m in mailoutbox if neighbour.order.number in m.subject]
    assert MANAGE not in other.body


def test_the_success_page_of_a_member_links_to_their_subscription(db):
    member = factories.UserFactory()
    order, subscription = subscription_order(user=member)
    client = Client()
    client.force_login(member)

    page = client.get(f"/payments/success/?session_id={order.stripe_checkout_session_id}").text

    assert f'<a href="{subscription.get_absolute_url()}">Manage your subscription</a>' in page


def test_the_success_page_of_a_guest_links_to_their_subscription_by_a_signed_link(db):
    order, subscription = subscription_order()
    other = factories.OrderFactory(paid=True, user=None)
    client = Client()
    session = client.session
    session[SESSION_ORDERS_KEY] = [order.number, other.number]
    session.save()

    page = client.get(f"/payments/success/?session_id={order.stripe_checkout_session_id}").text

    token = re.search(r'<a href="/accounts/subscriptions/link/([^"/]+)/">Manage your subscription</a>', page)
    assert subscription_id_from_link(token=token.group(1)) == subscription.stripe_subscription_id
    plain = client.get(f"/payments/success/?session_id={other.stripe_checkout_session_id}").text
    assert "Manage your subscription" not in plain

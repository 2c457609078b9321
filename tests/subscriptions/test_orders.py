"""The orders of a subscription: their pages link to it (the customer's to their account page, staff's
to its admin page), and their payment schedule names the next charge Stripe has, not one the shop
works out from the day it was paid (a test clock, a trial or a changed period move Stripe's)."""

import datetime
import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from orders.emails import order_confirmation_send
from orders.links import order_link_path
from subscriptions.models import SubscriptionStatus
from tests import factories

pytestmark = pytest.mark.django_db

PAID_AT = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.UTC)
# Stripe's next charge: not paid_at + 1 month (28 February), as when the customer is on a test clock.
STRIPES_NEXT_CHARGE = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


def visible_text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def account_page(subscription):
    return reverse("subscriptions:detail", kwargs={"subscription_id": subscription.stripe_subscription_id})


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def subscription_order(*, user, **fields):
    """Return a paid checkout order of one monthly tea, and its subscription record."""
    order = factories.OrderFactory(
        user=user,
        paid=True,
        paid_at=PAID_AT,
        created_at=PAID_AT,
        amount_total=900,
        stripe_subscription_id="sub_test_tea",
    )
    tea = factories.PriceFactory(monthly=True, product__name="Tea of the month", unit_amount=900)
    factories.OrderItemFactory(order=order, price=tea, quantity=1)
    subscription = factories.SubscriptionFactory(
        stripe_subscription_id="sub_test_tea",
        user=user,
        order=order,
        current_period_start=PAID_AT,
        current_period_end=STRIPES_NEXT_CHARGE,
        **fields,
    )
    return order, subscription


def renewal_of(order, *, paid_at):
    renewal = factories.OrderFactory(
        user=order.user,
        customer_email=order.customer_email,
        paid=True,
        paid_at=paid_at,
        created_at=paid_at,
        amount_total=900,
        stripe_checkout_session_id=None,
        stripe_subscription_id=order.stripe_subscription_id,
        renewal_of=order,
    )
    factories.OrderItemFactory(order=renewal, price=order.items.get().price, quantity=1)
    return renewal


@pytest.fixture
def member(db):
    return factories.UserFactory(email="member@example.com")


def test_the_members_order_and_renewal_pages_link_to_their_subscription(member):
    order, subscription = subscription_order(user=member)
    renewal = renewal_of(order, paid_at=PAID_AT + datetime.timedelta(days=28))
    client = signed_in(member)
    link = f'href="{account_page(subscription)}"'

    for shown in (order, renewal):
        page = client.get(shown.get_absolute_url()).text
        assert link in page
        assert "Active" in visible_text(page)
    assert f"Renewal of {order.number}" in visible_text(client.get(renewal.get_absolute_url()).text)

    # The subscription's page lists both payments, the renewal too, each linking to its order.
    subscription_page = client.get(subscription.get_absolute_url()).text
    for shown in (order, renewal):
        assert f'<a href="{shown.get_absolute_url()}">{shown.number}</a>' in subscription_page


def test_no_subscription_link_for_a_guest_or_someone_else(member):
    order, subscription = subscription_order(user=None, customer_email="guest@example.com")

    as_guest = Client().get(order_link_path(order=order))
    as_someone_else = signed_in(member).get(order_link_path(order=order))

    for response in (as_guest, as_someone_else):
        assert response.status_code == 200
        assert "Tea of the month" in response.text
        assert account_page(subscription) not in response.text


def test_a_member_reading_the_emailed_link_of_their_order_gets_the_link(member):
    order, subscription = subscription_order(user=member)
    # The link emailed while it was a guest's order, read after it joined the account.
    token = signing.TimestampSigner(salt="orders.links.order").sign(order.number)
    token_path = reverse("orders:link", kwargs={"token": token})

    page = signed_in(member).get(token_path).text

    assert f'href="{account_page(subscription)}"' in page


def test_staffs_order_page_links_to_the_subscriptions_admin_page(member):
    order, subscription = subscription_order(user=member)
    renewal = renewal_of(order, paid_at=PAID_AT + datetime.timedelta(days=28))
    staff = signed_in(factories.AdminFactory())
    link = f'href="{reverse("admin:subscriptions_subscription_change", args=[subscription.pk])}"'

    for shown in (order, renewal):
        page = staff.get(reverse("admin:orders_order_change", args=[shown.pk])).text
        assert link in page


def test_the_order_page_and_email_name_stripes_next_charge_not_one_worked_out(member, mailoutbox):
    order, _ = subscription_order(user=member)

    page = visible_text(signed_in(member).get(order.get_absolute_url()).text)
    order_confirmation_send(order_id=order.pk)

    schedule = "Due on 31 January 2026 $9.00, then $9.00 / month from 10 March 2026"
    assert schedule in page
    assert "28 February 2026" not in page
    (message,) = mailoutbox
    assert schedule in message.body
    staff = signed_in(factories.AdminFactory())
    assert "from 10 March 2026" in staff.get(reverse("admin:orders_order_change", args=[order.pk])).text


def test_a_renewal_names_the_next_charge_after_it(member):
    order, _ = subscription_order(user=member)
    renewal = renewal_of(order, paid_at=datetime.datetime(2026, 2, 12, 12, 0, tzinfo=datetime.UTC))

    page = visible_text(signed_in(member).get(renewal.get_absolute_url()).text)

    assert "then $9.00 / month from 10 March 2026" in page


def test_a_trial_names_the_trials_end(member):
    trial_end = datetime.datetime(2026, 2, 20, 12, 0, tzinfo=datetime.UTC)
    order, subscription = subscription_order(
        user=member, status=SubscriptionStatus.TRIALING, trial_end=trial_end
    )
    # Stripe ends a trialing subscription's period with the trial.
    subscription.current_period_end = trial_end
    subscription.save(update_fields=["current_period_end"])

    page = visible_text(signed_in(member).get(order.get_absolute_url()).text)

    assert "then $9.00 / month from 20 February 2026" in page


def test_an_ended_subscription_promises_no_further_charge(member):
    order, _ = subscription_order(
        user=member,
        status=SubscriptionStatus.CANCELED,
        ended_at=datetime.datetime(2026, 2, 20, tzinfo=datetime.UTC),
    )

    page = visible_text(signed_in(member).get(order.get_absolute_url()).text)

    assert "/ month from" not in page
    assert "Cancelled" in page

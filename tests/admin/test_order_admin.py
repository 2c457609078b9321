"""Order admin: filters, search, the date drill-down and a constant number of database commands."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import FulfillmentStatus, Order, OrderStatus, PaymentStatus
from tests import factories
from tests.admin.pages import change_url, changelist_url, result_pks


@pytest.fixture
def orders(db):
    now = timezone.now()
    return {
        "pending": factories.OrderFactory(user=None),
        "paid_today": factories.OrderFactory(user=None, paid=True),
        "paid_last_month": factories.OrderFactory(
            user=None,
            paid=True,
            paid_at=now - datetime.timedelta(days=20),
            created_at=now - datetime.timedelta(days=20),
        ),
        "shipped": factories.OrderFactory(
            user=None, paid=True, status=OrderStatus.COMPLETED, fulfillment_status=FulfillmentStatus.SHIPPED
        ),
        "refunded": factories.OrderFactory(
            user=None,
            paid=True,
            status=OrderStatus.REFUNDED,
            payment_status=PaymentStatus.REFUNDED,
            refunded_amount=3000,
            currency="eur",
        ),
        "failed": factories.OrderFactory(
            user=None, status=OrderStatus.FAILED, payment_status=PaymentStatus.FAILED
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "FAILED"}, {"failed"}),
        ({"payment_status__exact": "PAID"}, {"paid_today", "paid_last_month", "shipped"}),
        ({"fulfillment_status__exact": "SHIPPED"}, {"shipped"}),
        ({"awaiting_fulfilment": "yes"}, {"paid_today", "paid_last_month"}),
        ({"paid_within": "7"}, {"paid_today", "shipped", "refunded"}),
        ({"paid_within": "30"}, {"paid_today", "paid_last_month", "shipped", "refunded"}),
        ({"currency": "eur"}, {"refunded"}),
    ],
)
def test_order_filters(super_admin_client, orders, params, expected):
    response = super_admin_client.get(changelist_url(Order, **params))

    assert result_pks(response) == {str(orders[name].pk) for name in expected}


def test_search_by_email_number_and_stripe_ids(super_admin_client, db):
    order = factories.OrderFactory(
        user=None,
        customer_email="ada@example.com",
        stripe_checkout_session_id="cs_test_ada",
        stripe_payment_intent_id="pi_test_ada",
        stripe_customer_id="cus_ada",
    )
    factories.OrderFactory(user=None, customer_email="bob@example.com")

    for term in ["ada@example", order.number, order.number.lower(), "cs_test_ada", "pi_test_ada", "cus_ada"]:
        response = super_admin_client.get(changelist_url(Order, q=term))
        assert result_pks(response) == {str(order.pk)}, term


def test_date_drill_down_uses_the_local_day_across_a_dst_change(super_admin_client, db, settings):
    """Paris moved to summer time on 2026-03-29: 22:30 UTC on the 29th is already the 30th there."""
    settings.TIME_ZONE = "Europe/Paris"
    utc = datetime.UTC
    on_28th = factories.OrderFactory(user=None, created_at=datetime.datetime(2026, 3, 28, 22, 30, tzinfo=utc))
    on_29th = factories.OrderFactory(user=None, created_at=datetime.datetime(2026, 3, 28, 23, 30, tzinfo=utc))
    on_30th = factories.OrderFactory(user=None, created_at=datetime.datetime(2026, 3, 29, 22, 30, tzinfo=utc))

    month = super_admin_client.get(changelist_url(Order, created_at__year=2026, created_at__month=3))
    day = super_admin_client.get(
        changelist_url(Order, created_at__year=2026, created_at__month=3, created_at__day=29)
    )

    assert month.status_code == 200
    for label in ["March 28", "March 29", "March 30"]:
        assert label in month.text
    assert result_pks(day) == {str(on_29th.pk)}
    assert {on_28th.pk, on_30th.pk}.isdisjoint({order.pk for order in day.context["cl"].result_list})


def _commands_for_changelist(client):
    with CaptureQueriesContext(connection) as commands:
        response = client.get(changelist_url(Order))
    assert response.status_code == 200
    return len(response.context["cl"].result_list), len(commands)


def test_order_changelist_sends_the_same_number_of_commands_for_10_and_40_orders(super_admin_client):
    factories.OrderItemFactory.create_batch(10, order__user=None)
    shown_10, commands_10 = _commands_for_changelist(super_admin_client)
    factories.OrderItemFactory.create_batch(30, order__user=None)
    shown_40, commands_40 = _commands_for_changelist(super_admin_client)

    assert (shown_10, shown_40) == (10, 40)
    assert commands_10 == commands_40


@pytest.mark.parametrize(
    ("secret_key", "dashboard"),
    [("sk_test_123", "https://dashboard.stripe.com/test/"), ("sk_live_123", "https://dashboard.stripe.com/")],
)
def test_order_page_links_to_the_stripe_dashboard_of_the_key_mode(
    super_admin_client, settings, secret_key, dashboard
):
    settings.STRIPE_USE_SIMULATOR = False
    settings.STRIPE_SECRET_KEY = secret_key
    order = factories.OrderFactory(user=None, paid=True, stripe_customer_id="cus_123")

    response = super_admin_client.get(change_url(order))

    assert f'href="{dashboard}payments/{order.stripe_payment_intent_id}"' in response.text
    assert f'href="{dashboard}customers/cus_123"' in response.text
    # No subscription to link to (the admin's own Subscriptions section is another matter).
    assert f'href="{dashboard}subscriptions/' not in response.text


def test_order_page_has_no_stripe_dashboard_link_with_the_simulator(super_admin_client, settings):
    settings.STRIPE_USE_SIMULATOR = True
    order = factories.OrderFactory(user=None, paid=True)

    response = super_admin_client.get(change_url(order))

    assert "dashboard.stripe.com" not in response.text
    assert "Stripe simulator" in response.text


def _commands_for_change_page(client, order):
    client.get(change_url(order))  # the navigation and other per-process reads, kept
    with CaptureQueriesContext(connection) as commands:
        response = client.get(change_url(order))
    assert response.status_code == 200
    return len(commands)


def test_order_page_sends_the_same_number_of_commands_for_1_and_5_subscription_lines(super_admin_client):
    order = factories.OrderItemFactory(order__user=None, price__monthly=True).order
    one_line = _commands_for_change_page(super_admin_client, order)
    factories.OrderItemFactory.create_batch(4, order=order, price__monthly=True)

    assert _commands_for_change_page(super_admin_client, order) == one_line

"""The dashboard on the admin index: figures, and links to the lists they count."""

import datetime
import types

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from orders.models import FulfillmentStatus, OrderStatus, PaymentStatus
from tests import factories


@pytest.fixture
def shop_activity(db):
    """Orders chosen so that each figure counts some and leaves others out."""
    now = timezone.now()
    days_ago = lambda days: now - datetime.timedelta(days=days)  # noqa: E731
    order = factories.OrderFactory
    # Created and paid today: usd 3,000 + 2,000 net, eur 1,000 (packed, not shipped).
    order(user=None, paid=True, amount_total=3000)
    order(user=None, paid=True, amount_total=2500, refunded_amount=500)
    order(
        user=None,
        paid=True,
        amount_total=1000,
        currency="eur",
        fulfillment_status=FulfillmentStatus.FULFILLED,
    )
    # Created today, no revenue: fully refunded, unpaid, failed.
    order(
        user=None,
        paid=True,
        amount_total=4000,
        refunded_amount=4000,
        status=OrderStatus.REFUNDED,
        payment_status=PaymentStatus.REFUNDED,
    )
    order(user=None, amount_total=5000)
    order(user=None, amount_total=6000, status=OrderStatus.FAILED, payment_status=PaymentStatus.FAILED)
    # Created today, but a checkout left unpaid until it expired: not an order of today.
    order(user=None, amount_total=8000, status=OrderStatus.CANCELLED, payment_status=PaymentStatus.CANCELED)
    # Paid 3 days ago (shipped), 20 days ago and 40 days ago (both not shipped yet).
    order(
        user=None,
        paid=True,
        amount_total=3000,
        fulfillment_status=FulfillmentStatus.SHIPPED,
        created_at=days_ago(3),
        paid_at=days_ago(3),
    )
    order(user=None, paid=True, amount_total=7000, paid_at=days_ago(20), created_at=days_ago(20))
    order(user=None, paid=True, amount_total=9900, paid_at=days_ago(40), created_at=days_ago(40))
    # One failed webhook event; one not tried yet and one processed are not failures.
    factories.WebhookEventFactory(attempts=2, last_error="boom")
    factories.WebhookEventFactory(attempts=0)
    factories.WebhookEventFactory(attempts=1, processed=True)


def dashboard_of(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response


def test_dashboard_figures(super_admin_client, shop_activity):
    dashboard = dashboard_of(super_admin_client).context["dashboard"]

    assert dashboard["orders_today"]["count"] == 6
    assert [(row["currency"], [cell["amount"] for cell in row["cells"]]) for row in dashboard["revenue"]] == [
        ("eur", ["€10.00", "€10.00"]),
        ("usd", ["$80.00", "$150.00"]),
    ]
    # Paid today (the packed one too), 20 and 40 days ago; not the shipped, refunded or unpaid ones.
    assert dashboard["unfulfilled"]["count"] == 5
    assert dashboard["failed_webhook_events"]["count"] == 1


def test_orders_today_leaves_out_cancelled_checkouts(super_admin_client, db):
    factories.OrderFactory(user=None, amount_total=2000)
    factories.OrderFactory(
        user=None, amount_total=3000, status=OrderStatus.CANCELLED, payment_status=PaymentStatus.CANCELED
    )

    tile = dashboard_of(super_admin_client).context["dashboard"]["orders_today"]
    listed = super_admin_client.get(tile["url"]).context["cl"]

    assert tile["count"] == 1
    assert [order.amount_total for order in listed.result_list] == [2000]


def test_dashboard_renders_revenue_by_currency(super_admin_client, db):
    factories.OrderFactory(user=None, paid=True, amount_total=1999)
    factories.OrderFactory(user=None, paid=True, amount_total=1001)
    factories.OrderFactory(user=None, paid=True, amount_total=500, currency="eur")

    html = dashboard_of(super_admin_client).text

    assert "$30.00" in html
    assert "€5.00" in html
    assert "Revenue, net of refunds" in html


def test_dashboard_says_so_when_nothing_was_paid(super_admin_client):
    html = dashboard_of(super_admin_client).text

    assert "No paid orders in the last 30 days." in html


@pytest.mark.parametrize(
    "figure",
    ["orders_today", "unfulfilled", "failed_webhook_events"],
)
def test_each_figure_links_to_the_list_it_counts(super_admin_client, shop_activity, figure):
    tile = dashboard_of(super_admin_client).context["dashboard"][figure]

    listed = super_admin_client.get(tile["url"])

    assert listed.status_code == 200
    assert listed.context["cl"].result_count == tile["count"]


def test_revenue_links_list_the_orders_summed(super_admin_client, shop_activity):
    dashboard = dashboard_of(super_admin_client).context["dashboard"]
    usd = next(row for row in dashboard["revenue"] if row["currency"] == "usd")

    last_7, last_30 = (super_admin_client.get(cell["url"]).context["cl"] for cell in usd["cells"])

    net = lambda orders: sum(o.amount_total - o.refunded_amount for o in orders)  # noqa: E731
    assert net(last_7.result_list) == 8000
    assert net(last_30.result_list) == 15000
    assert {order.currency for order in last_30.result_list} == {"usd"}


def test_admin_role_sees_the_dashboard(admin_role_client, shop_activity):
    dashboard = dashboard_of(admin_role_client).context["dashboard"]

    assert set(dashboard) >= {"orders_today", "revenue", "unfulfilled", "failed_webhook_events"}


def test_figures_follow_the_view_permissions(db):
    webhook_viewer = types.SimpleNamespace(
        has_perm=lambda permission: permission == "payments.view_webhookevent"
    )
    nobody = types.SimpleNamespace(has_perm=lambda permission: False)

    assert set(admin.site.dashboard_context(webhook_viewer)) == {"failed_webhook_events"}
    assert admin.site.dashboard_context(nobody) == {}

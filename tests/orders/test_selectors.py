"""Reads of orders at their edges: day and window bounds, what is left to refund, whose orders."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import DISPUTE_KEY, FulfillmentStatus, OrderStatus, PaymentStatus, RefundStatus
from orders.selectors import (
    order_count_awaiting_fulfilment,
    order_count_created_today,
    order_count_open_disputes,
    order_get_by_number,
    order_get_for_user,
    order_list_for_user,
    order_refundable_amount,
    order_revenue_by_currency,
)
from tests import factories

MS = datetime.timedelta(milliseconds=1)


@pytest.fixture
def new_york(settings):
    """A shop whose day is not UTC's, and a moment in the afternoon of 10 March 2026 there."""
    settings.TIME_ZONE = "America/New_York"
    return timezone.make_aware(datetime.datetime(2026, 3, 10, 15, 0))


def test_orders_of_today_run_from_local_midnight_to_the_next(db, new_york):
    midnight = timezone.make_aware(datetime.datetime(2026, 3, 10))
    next_midnight = timezone.make_aware(datetime.datetime(2026, 3, 11))
    for created_at in (midnight - MS, midnight, next_midnight - MS, next_midnight):
        factories.OrderFactory(created_at=created_at)
    factories.OrderFactory(
        created_at=new_york, status=OrderStatus.CANCELLED, payment_status=PaymentStatus.CANCELED
    )

    assert order_count_created_today(now=new_york) == 2


def test_revenue_windows_include_their_first_instant_and_subtract_refunds(db):
    now = timezone.now().replace(microsecond=0)
    paid = lambda days, **fields: factories.OrderFactory(  # noqa: E731
        paid=True, paid_at=now - datetime.timedelta(days=days), **fields
    )
    paid(7, amount_total=1000)
    paid(7, amount_total=2000, refunded_amount=500, payment_status=PaymentStatus.PARTIALLY_REFUNDED)
    factories.OrderFactory(paid=True, paid_at=now - datetime.timedelta(days=7) - MS, amount_total=400)
    paid(30, amount_total=300, currency="eur")
    factories.OrderFactory(paid=True, paid_at=now - datetime.timedelta(days=30) - MS, amount_total=9999)
    # Never paid: no revenue, whenever its checkout started.
    factories.OrderFactory(paid_at=None, amount_total=7777)
    factories.OrderFactory(
        paid=True,
        paid_at=now,
        amount_total=6666,
        status=OrderStatus.FAILED,
        payment_status=PaymentStatus.FAILED,
    )

    assert order_revenue_by_currency(now=now) == [
        {"currency": "eur", "amounts": {7: 0, 30: 300}},
        {"currency": "usd", "amounts": {7: 2500, 30: 2900}},
    ]


def test_revenue_subtracts_disputes_in_as_many_database_commands_for_three_as_for_one(db):
    now = timezone.now().replace(microsecond=0)

    def disputed(currency):
        factories.OrderFactory(
            paid=True,
            paid_at=now - datetime.timedelta(days=1),
            amount_total=1000,
            currency=currency,
            metadata={DISPUTE_KEY: {"id": f"dp_{currency}", "status": "needs_response", "withdrawn": 400}},
        )

    disputed("usd")
    with CaptureQueriesContext(connection) as one:
        assert order_revenue_by_currency(now=now) == [{"currency": "usd", "amounts": {7: 600, 30: 600}}]
    disputed("eur")
    disputed("gbp")
    with CaptureQueriesContext(connection) as three:
        assert [row["amounts"][7] for row in order_revenue_by_currency(now=now)] == [600, 600, 600]

    # The staff dashboard stays as quick however many payments are disputed.
    assert len(three) == len(one)


def test_what_is_left_to_refund_counts_pending_and_succeeded_refunds_of_this_order_only(db):
    order = factories.OrderFactory(paid=True, amount_total=3000)
    other = factories.OrderFactory(paid=True, amount_total=3000)
    factories.RefundFactory(order=other, amount=2500, status=RefundStatus.SUCCEEDED)
    assert order_refundable_amount(order=order) == 3000

    factories.RefundFactory(order=order, amount=400, status=RefundStatus.PENDING)
    factories.RefundFactory(order=order, amount=600, status=RefundStatus.SUCCEEDED)
    factories.RefundFactory(order=order, amount=700, status=RefundStatus.FAILED)
    factories.RefundFactory(order=order, amount=800, status=RefundStatus.CANCELED)

    assert order_refundable_amount(order=order) == 2000


def test_what_is_left_to_refund_is_never_below_nothing(db):
    order = factories.OrderFactory(paid=True, amount_total=3000, refunded_amount=3000)
    factories.RefundFactory(order=order, amount=3000, status=RefundStatus.SUCCEEDED)

    assert order_refundable_amount(order=order) == 0


def test_a_shopper_lists_and_opens_only_their_own_orders_newest_first(db):
    user = factories.UserFactory()
    now = timezone.now()
    older = factories.OrderFactory(user=user, created_at=now - datetime.timedelta(days=2))
    newer = factories.OrderFactory(user=user, created_at=now)
    someone_elses = factories.OrderFactory()

    assert list(order_list_for_user(user=user)) == [newer, older]
    assert order_get_for_user(user=user, number=older.number) == older
    with pytest.raises(older.DoesNotExist):
        order_get_for_user(user=user, number=someone_elses.number)
    assert order_get_by_number(number=someone_elses.number) == someone_elses


def test_awaiting_fulfilment_and_open_disputes_count_only_their_orders(db):
    factories.OrderFactory(paid=True)
    factories.OrderFactory(paid=True, fulfillment_status=FulfillmentStatus.FULFILLED)
    factories.OrderFactory(paid=True, fulfillment_status=FulfillmentStatus.SHIPPED)
    factories.OrderFactory()
    factories.OrderFactory(paid=True, metadata={DISPUTE_KEY: {"id": "dp_1", "status": "needs_response"}})
    factories.OrderFactory(
        paid=True,
        fulfillment_status=FulfillmentStatus.SHIPPED,
        metadata={DISPUTE_KEY: {"id": "dp_2", "status": "lost"}},
    )

    assert order_count_awaiting_fulfilment() == 3
    assert order_count_open_disputes() == 1

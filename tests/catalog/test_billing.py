"""The payment schedule of a cart or an order: what is due today, what recurs, and from when."""

import datetime

import pytest

from catalog.billing import BillingLine, add_interval, checkout_trial_days, payment_schedule

TODAY = datetime.date(2026, 12, 1)
MUG = BillingLine(unit_amount=1750, quantity=2, currency="usd")
TEA = BillingLine(
    unit_amount=900, quantity=1, currency="usd", recurring_interval="month", trial_period_days=14
)
COFFEE = BillingLine(unit_amount=1400, quantity=1, currency="usd", recurring_interval="month")


@pytest.mark.parametrize(
    ("start", "interval", "count", "expected"),
    [
        (datetime.date(2026, 1, 31), "month", 1, datetime.date(2026, 2, 28)),
        (datetime.date(2028, 1, 31), "month", 1, datetime.date(2028, 2, 29)),
        (datetime.date(2026, 3, 31), "month", 1, datetime.date(2026, 4, 30)),
        (datetime.date(2026, 11, 30), "month", 3, datetime.date(2027, 2, 28)),
        (datetime.date(2028, 2, 29), "year", 1, datetime.date(2029, 2, 28)),
        (datetime.date(2026, 12, 1), "month", 1, datetime.date(2027, 1, 1)),
        (datetime.date(2026, 12, 29), "week", 2, datetime.date(2027, 1, 12)),
        (datetime.date(2026, 12, 31), "day", 1, datetime.date(2027, 1, 1)),
    ],
)
def test_intervals_are_added_like_stripe_clamping_to_the_end_of_a_shorter_month(
    start, interval, count, expected
):
    assert add_interval(start, interval, count) == expected


def test_a_trial_leaves_the_recurring_lines_out_of_what_is_due_today():
    schedule = payment_schedule([MUG, TEA], start=TODAY)

    assert (schedule.due_today, schedule.trial_days) == (3500, 14)
    [recurring] = schedule.recurring
    assert (recurring.amount, recurring.interval, recurring.interval_count) == (900, "month", 1)
    assert recurring.starts_on == datetime.date(2026, 12, 15)
    assert schedule.summary(today=TODAY) == "Due today $35.00, then $9.00 / month from 15 December 2026"


def test_without_a_trial_everything_is_due_today_and_recurs_one_interval_later():
    schedule = payment_schedule([MUG, COFFEE], start=TODAY)

    assert (schedule.due_today, schedule.trial_days) == (4900, None)
    assert schedule.recurring[0].starts_on == datetime.date(2027, 1, 1)
    assert schedule.summary(today=TODAY) == "Due today $49.00, then $14.00 / month from 1 January 2027"


def test_a_trial_needs_every_recurring_line_to_offer_one_and_the_shortest_wins():
    long_trial = BillingLine(
        unit_amount=500, quantity=3, currency="usd", recurring_interval="month", trial_period_days=30
    )
    assert checkout_trial_days([MUG, TEA, long_trial]) == 14
    assert checkout_trial_days([TEA, COFFEE]) is None
    assert checkout_trial_days([MUG]) is None

    schedule = payment_schedule([TEA, long_trial], start=TODAY)
    assert (schedule.due_today, schedule.recurring[0].amount) == (0, 2400)
    assert schedule.recurring[0].starts_on == datetime.date(2026, 12, 15)
    # One recurring line without a trial: the whole subscription starts today.
    assert payment_schedule([TEA, COFFEE], start=TODAY).due_today == 2300


def test_intervals_of_several_months_read_as_the_catalog_writes_them():
    quarterly = BillingLine(
        unit_amount=2500, quantity=2, currency="usd", recurring_interval="month", recurring_interval_count=3
    )
    schedule = payment_schedule([quarterly], start=datetime.date(2026, 11, 30))
    assert schedule.summary(today=datetime.date(2026, 11, 30)) == (
        "Due today $50.00, then $50.00 every 3 months from 28 February 2027"
    )


def test_what_was_paid_replaces_what_the_lines_say_is_due_and_a_later_day_names_its_date():
    # A promotion code took $5.00 off: the order's figure from Stripe is what was paid.
    schedule = payment_schedule([MUG, TEA], start=TODAY).with_due_today(3000)
    assert schedule.summary(today=TODAY) == "Due today $30.00, then $9.00 / month from 15 December 2026"
    assert schedule.summary(today=datetime.date(2026, 12, 20)) == (
        "Due on 1 December 2026 $30.00, then $9.00 / month from 15 December 2026"
    )


def test_one_time_lines_have_no_schedule_to_tell(settings):
    schedule = payment_schedule([MUG], start=TODAY)
    assert (schedule.due_today, schedule.recurring, schedule.summary(today=TODAY)) == (3500, (), "")


def test_dates_and_amounts_follow_the_shop_locale(settings):
    settings.SHOP_LOCALE = "en_GB"
    schedule = payment_schedule([MUG, TEA], start=TODAY)
    assert schedule.summary(today=TODAY) == "Due today US$35.00, then US$9.00 / month from 15 December 2026"

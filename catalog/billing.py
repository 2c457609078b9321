"""When the lines of a cart or an order are charged: what is due today, what recurs, and from when.

One rule for the cart page, the checkout, the order pages and the emails, the same as Stripe's
first invoice: a checkout has one trial, the shortest, and only if every recurring line offers
one; under it the recurring lines are not due today and recur from the trial's end, otherwise
they are due today and recur one interval later.
"""

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.utils import timezone
from django.utils.formats import date_format

from shop.money import format_money


@dataclass(frozen=True)
class BillingLine:
    """A line as the schedule reads it; an empty `recurring_interval` is a one-time line."""

    unit_amount: int
    quantity: int
    currency: str
    recurring_interval: str = ""
    recurring_interval_count: int = 1
    trial_period_days: int | None = None

    @classmethod
    def of_price(cls, price, quantity: int) -> "BillingLine":
        """Return the line of `quantity` units of a catalog Price."""
        return cls(
            unit_amount=price.unit_amount,
            quantity=quantity,
            currency=price.currency,
            recurring_interval=price.recurring_interval if price.is_recurring else "",
            recurring_interval_count=price.recurring_interval_count,
            trial_period_days=price.trial_period_days if price.is_recurring else None,
        )

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity


@dataclass(frozen=True)
class RecurringCharge:
    """What recurs every `interval_count` `interval`s, first on `starts_on`."""

    amount: int
    currency: str
    interval: str
    interval_count: int
    starts_on: datetime.date

    @property
    def label(self) -> str:
        """Return "$9.00 / month" or "$50.00 every 3 months", as the catalog writes prices."""
        amount = format_money(self.amount, self.currency)
        if self.interval_count == 1:
            return f"{amount} / {self.interval}"
        return f"{amount} every {self.interval_count} {self.interval}s"


@dataclass(frozen=True)
class PaymentSchedule:
    currency: str
    start: datetime.date
    due_today: int
    trial_days: int | None
    recurring: tuple[RecurringCharge, ...]

    def with_due_today(self, amount: int) -> "PaymentSchedule":
        """Return the schedule with what Stripe charged at checkout (after discounts, with shipping)."""
        return replace(self, due_today=amount)

    def with_recurring_amount(self, amount: int) -> "PaymentSchedule":
        """Return the schedule with `amount` recurring at its interval (a subscription bills one)."""
        return replace(self, recurring=tuple(replace(charge, amount=amount) for charge in self.recurring[:1]))

    def with_next_charge(self, day: datetime.date | None) -> "PaymentSchedule":
        """Return the schedule with what recurs charged next on `day`, as Stripe has the subscription
        (a trial, a test clock or a change move it); with None, nothing recurs any more."""
        if day is None:
            return replace(self, recurring=())
        return replace(self, recurring=tuple(replace(charge, starts_on=day) for charge in self.recurring))

    def summary(self, *, today: datetime.date | None = None) -> str:
        """Return "Due today $35.00, then $9.00 / month from December 15, 2026"; "" with nothing recurring.

        Read on a later day than `today` (the local date by default), the first part names the
        checkout's date: "Due on December 1, 2026 $35.00, then ...".
        """
        if not self.recurring:
            return ""
        when = "today" if self.start == (today or timezone.localdate()) else f"on {_date_text(self.start)}"
        then = " and ".join(
            f"{charge.label} from {_date_text(charge.starts_on)}" for charge in self.recurring
        )
        return f"Due {when} {format_money(self.due_today, self.currency)}, then {then}"


def checkout_trial_days(lines: Iterable[BillingLine]) -> int | None:
    """Return the trial of a checkout of `lines`: the shortest, if every recurring line offers one."""
    trials = [line.trial_period_days for line in lines if line.recurring_interval]
    if not trials or not all(trials):
        return None
    return min(trials)


def payment_schedule(lines: Iterable[BillingLine], *, start: datetime.date) -> PaymentSchedule:
    """Return the schedule of a checkout of `lines` made on `start` (a local date)."""
    lines = list(lines)
    trial_days = checkout_trial_days(lines)
    due_today = sum(line.amount for line in lines if not (line.recurring_interval and trial_days))
    by_interval: dict[tuple[str, int], int] = {}
    for line in lines:
        if line.recurring_interval:
            key = (line.recurring_interval, line.recurring_interval_count)
            by_interval[key] = by_interval.get(key, 0) + line.amount
    currency = lines[0].currency if lines else ""
    recurring = tuple(
        RecurringCharge(
            amount=amount,
            currency=currency,
            interval=interval,
            interval_count=count,
            starts_on=start + datetime.timedelta(days=trial_days)
            if trial_days
            else add_interval(start, interval, count),
        )
        for (interval, count), amount in by_interval.items()
    )
    return PaymentSchedule(
        currency=currency, start=start, due_today=due_today, trial_days=trial_days, recurring=recurring
    )


def add_interval(start: datetime.date, interval: str, count: int) -> datetime.date:
    """Return `start` plus `count` intervals, months clamped like Stripe (Jan 31 + 1 month: Feb 28/29)."""
    if interval in ("day", "week"):
        return start + datetime.timedelta(days=count * (7 if interval == "week" else 1))
    months = start.month - 1 + count * (12 if interval == "year" else 1)
    year, month = start.year + months // 12, months % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def _date_text(day: datetime.date) -> str:
    # The shop's one way of writing a day, as its order and subscription pages do.
    return date_format(day, "j F Y")

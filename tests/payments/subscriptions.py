"""Shared steps of the subscription tests: the shop's test clock advanced through the SDK, and waits."""

import time

import stripe

from orders.models import Order
from payments.customers import SIMULATOR_TEST_CLOCK_NAME
from tests.conftest import STRIPE_TEST_API_KEY


def api_of(simulator) -> stripe.StripeClient:
    return stripe.StripeClient(STRIPE_TEST_API_KEY, base_addresses={"api": simulator.url})


def shop_clock(api: stripe.StripeClient):
    [clock] = [c for c in api.v1.test_helpers.test_clocks.list().data if c.name == SIMULATOR_TEST_CLOCK_NAME]
    return clock


def advance_one_period(simulator, subscription_id: str) -> None:
    """Move the shop's test clock just past the subscription's current period, as a developer
    would through the SDK, and wait until the clock and the simulator's deliveries are done."""
    api = api_of(simulator)
    subscription = api.v1.subscriptions.retrieve(subscription_id)
    period_end = subscription["items"].data[0].current_period_end
    clock = shop_clock(api)
    api.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": period_end + 3600})
    wait_until(lambda: api.v1.test_helpers.test_clocks.retrieve(clock.id).status == "ready")
    simulator.wait_for_deliveries(timeout=10)


def wait_until(condition, timeout: float = 10.0):
    """Poll `condition` until it holds; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {condition}")
        time.sleep(0.05)
    return result


def renewals_of(order: Order):
    return Order.objects.filter(renewal_of=order).order_by("paid_at")

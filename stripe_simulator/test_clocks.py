"""Test clocks (``stripe.test_helpers.TestClock``): customers created on a clock live at its frozen
time, and advancing it makes everything that falls due in between happen, in order.

Stripe advances a clock in the background: the advance call answers ``status: advancing`` and the
clock turns ``ready`` later (``test_helpers.test_clock.ready``). The simulator does the whole
advance inside the call, so the answer says ``advancing`` as Stripe's does, but by the time it
arrives the clock is already ``ready`` and every event of the advance has been emitted.
"""

import copy

from .billing import Billing
from .errors import StripeError
from .params import Params
from .store import Store, list_object, new_id, now
from .subscriptions import Subscriptions

# Stripe deletes a test clock 30 days after it was created.
_LIFETIME = 30 * 86_400
_KIND = "test_helpers.test_clock"


class TestClocks:
    # Not a pytest test class, despite its name.
    __test__ = False

    def __init__(self, store: Store, billing: Billing, subscriptions: Subscriptions):
        self.store = store
        self.billing = billing
        self.subscriptions = subscriptions

    def create_clock(self, params: Params) -> dict:
        params.allow("frozen_time", "name")
        created = now()
        clock = self.store.add(
            {
                "id": new_id("clock_"),
                "object": _KIND,
                "created": created,
                "deletes_after": created + _LIFETIME,
                "frozen_time": params.integer("frozen_time", required=True),
                "livemode": False,
                "name": params.string("name"),
                "status": "ready",
                "status_details": {},
            }
        )
        self.store.emit("test_helpers.test_clock.created", clock)
        return clock

    def retrieve_clock(self, params: Params, clock_id: str) -> dict:
        return self.store.get(_KIND, clock_id, allow_deleted=True)

    def list_clocks(self, params: Params) -> dict:
        params.allow("limit", "starting_after", "ending_before")
        return list_object(self.store.all(_KIND), params, "/v1/test_helpers/test_clocks", _KIND)

    def advance_clock(self, params: Params, clock_id: str) -> dict:
        """Move the clock to ``frozen_time``; renewals, notices, retries and scheduled
        cancellations of its customers' subscriptions happen on the way, each at its moment."""
        params.allow("frozen_time")
        clock = self.store.get(_KIND, clock_id)
        target = params.integer("frozen_time", required=True)
        if target <= clock["frozen_time"]:
            raise StripeError(
                "The frozen time must be later than the test clock's current frozen time "
                f"({clock['frozen_time']}).",
                param="frozen_time",
            )
        start = clock["frozen_time"]
        self.store.update(
            clock, {"status": "advancing", "status_details": {"advancing": {"target_frozen_time": target}}}
        )
        self.store.emit("test_helpers.test_clock.advancing", clock)
        answer = copy.deepcopy(clock)
        self.billing.run_until(lambda: self._subscriptions_on(clock_id), target, start)
        self.store.update(clock, {"frozen_time": target, "status": "ready", "status_details": {}})
        self.store.emit("test_helpers.test_clock.ready", clock)
        return answer

    def delete_clock(self, params: Params, clock_id: str) -> dict:
        """Delete the clock and, as Stripe does, the customers on it (their subscriptions end)."""
        clock = self.store.get(_KIND, clock_id)
        for subscription in self._subscriptions_on(clock_id):
            if subscription["status"] != "canceled":
                self.subscriptions.end(
                    subscription, {**subscription["cancellation_details"], "reason": "cancellation_requested"}
                )
        for customer in self.store.all("customer"):
            if customer["test_clock"] == clock_id:
                self.store.delete(customer)
                self.store.emit("customer.deleted", customer)
        stub = self.store.delete(clock)
        self.store.emit("test_helpers.test_clock.deleted", clock)
        return stub

    def _subscriptions_on(self, clock_id: str) -> list[dict]:
        return [s for s in self.store.all("subscription") if s["test_clock"] == clock_id]

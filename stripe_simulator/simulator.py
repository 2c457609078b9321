"""`StripeSimulator`: wires the pieces together and runs them."""

import copy
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from .api import Api
from .billing import Billing
from .catalog import Catalog
from .charges import DEFAULT_CARD, Payments
from .checkout import Checkout
from .discounts import Discounts
from .events import Events
from .portal import Portal
from .server import Router, SimulatorHTTPServer
from .state import StateFile
from .store import Store
from .subscription_changes import SubscriptionChanges
from .subscriptions import Subscriptions
from .test_clocks import TestClocks
from .webhooks import DEFAULT_RETRY_DELAYS, DEFAULT_SECRET, DeliveryAttempt, WebhookDispatcher


class StripeSimulator:
    """An in-memory Stripe test account served over HTTP.

    Point ``stripe.StripeClient(..., base_addresses={"api": sim.url})`` at it;
    events are POSTed, signed with `webhook_secret`, to `webhook_url`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        webhook_url: str | None = None,
        webhook_secret: str = DEFAULT_SECRET,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        async_settle_delay: float | None = 10.0,
        public_url: str | None = None,
        state_file: str | os.PathLike | None = None,
        after_failed_retries: str = "cancel",
        delivery: str | None = None,
        delivery_seed: int | None = None,
    ):
        """`port` 0 picks a free port. `async_settle_delay` is how long a bank
        transfer takes to clear by itself (None: only when forced).
        `public_url` is where browsers reach the simulator, if not at `url`.
        `state_file` keeps the account across restarts: loaded here if it exists,
        rewritten after every change. `after_failed_retries` is what becomes of a subscription
        whose renewal failed its last retry: ``cancel`` (canceled) or ``unpaid``. `delivery` is
        how webhooks go out: ``ordered`` (the default, or $STRIPE_SIMULATOR_DELIVERY) or
        ``unruly`` (reordered, about half sent twice, retried three times as often; `delivery_seed`
        makes its draws repeatable)."""
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self._address = (host, port)
        self._public_url = public_url
        self._async_settle_delay = async_settle_delay
        self._timers: set[threading.Timer] = set()
        self._dispatcher = WebhookDispatcher(
            webhook_url,
            webhook_secret,
            retry_delays=retry_delays,
            on_delivered=self._mark_delivered,
            mode=delivery or os.environ.get("STRIPE_SIMULATOR_DELIVERY") or "ordered",
            seed=delivery_seed,
        )
        self._store = Store(self._dispatcher.enqueue, webhook_endpoints=1 if webhook_url else 0)
        self._catalog = catalog = Catalog(self._store)
        self._payments = Payments(self._store)
        subscriptions = Subscriptions(self._store)
        self._billing = billing = Billing(
            self._store,
            self._payments,
            subscriptions,
            after_failed_retries=after_failed_retries,
            invoice_url=lambda invoice_id: f"{self.public_url}/invoices/{invoice_id}",
        )
        discounts = Discounts(self._store)
        self._checkout = Checkout(
            self._store,
            catalog,
            self._payments,
            subscriptions,
            billing,
            discounts,
            page_url=lambda session_id: f"{self.public_url}/checkout/{session_id}",
            transfer_url=lambda intent_id: f"{self.public_url}/bank_transfers/{intent_id}",
            on_bank_debit_started=self._schedule_settlement,
        )
        changes = SubscriptionChanges(self._store, subscriptions, billing)
        portal = Portal(
            self._store,
            self._payments,
            subscriptions,
            billing,
            changes,
            page_url=lambda session_id: f"{self.public_url}/billing_portal/{session_id}",
        )
        test_clocks = TestClocks(self._store, billing, subscriptions)
        self._api = api = Api(
            self._store,
            self._transaction,
            catalog=catalog,
            checkout=self._checkout,
            payments=self._payments,
            subscriptions=subscriptions,
            subscription_changes=changes,
            billing=billing,
            test_clocks=test_clocks,
            portal=portal,
            discounts=discounts,
            events=Events(self._store),
        )
        self._router = Router(
            api,
            self._checkout,
            self._payments,
            self._transaction,
            self._dispatcher,
            portal,
            test_clocks,
            billing,
        )
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._state_file = StateFile(state_file) if state_file else None
        if self._state_file and (saved := self._state_file.load()):
            self._store.restore(saved)

    # Lifecycle

    def start(self) -> "StripeSimulator":
        """Bind and serve in a daemon thread; returns self."""
        self._server = SimulatorHTTPServer(self._address, self._router)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            # A short poll keeps stop() quick; shutdown waits for the next poll.
            kwargs={"poll_interval": 0.05},
            name="stripe-simulator-http",
            daemon=True,
        )
        self._thread.start()
        self._dispatcher.start()
        with self._transaction():
            # Bank transfers under way when the simulator stopped clear after a restart too.
            for session in self._store.all("checkout.session"):
                if self._checkout.awaiting_settlement(session["id"]):
                    self._schedule_settlement(session["id"])
        return self

    def stop(self) -> None:
        """Stop serving, cancel pending settlements and stop webhook delivery."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
        with self._store.lock:
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
        self._dispatcher.stop()

    def __enter__(self) -> "StripeSimulator":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. ``http://127.0.0.1:54321``."""
        if not self._server:
            raise RuntimeError("the simulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def public_url(self) -> str:
        return self._public_url or self.url

    @property
    def routes(self) -> list[tuple[str, str]]:
        """The API's (method, path) routes, ids written ``{id}``."""
        return list(self._api.routes)

    # What a customer does on the hosted page; each returns the session.

    def pay(self, session_id: str, card: str = DEFAULT_CARD, **details) -> dict:
        """Pay with a test card (see the README): by default 4242..., which succeeds.
        `details`: email, name, address (dict)."""
        with self._transaction():
            return copy.deepcopy(self._checkout.pay(session_id, details, card))

    def authenticate(self, session_id: str, succeeded: bool = True) -> dict:
        """Complete (or fail) the 3-D Secure challenge of a card that asked for one."""
        with self._transaction():
            return copy.deepcopy(self._checkout.authenticate(session_id, succeeded=succeeded))

    def decline(self, session_id: str, **details) -> dict:
        """Attempt a card payment that the bank declines."""
        with self._transaction():
            return copy.deepcopy(self._checkout.decline(session_id, details))

    def pay_async(self, session_id: str, **details) -> dict:
        """Start a bank transfer; it clears after `async_settle_delay` or `settle_async`."""
        with self._transaction():
            return copy.deepcopy(self._checkout.pay_async(session_id, details))

    def pay_bank_transfer(self, session_id: str, **details) -> dict:
        """Choose a bank transfer (`customer_balance`): the session completes unpaid and its
        payment intent waits in `requires_action` with the transfer instructions."""
        with self._transaction():
            return copy.deepcopy(self._checkout.pay_bank_transfer(session_id, details))

    def fund_bank_transfer(self, session_id: str, amount: int | None = None) -> dict:
        """The customer's bank transfer arrives: `amount` (default: all that remains)."""
        with self._transaction():
            return copy.deepcopy(self._checkout.fund_bank_transfer(session_id, amount))

    def settle_async(self, session_id: str, succeeded: bool = True) -> dict:
        """Force the outcome of a pending bank transfer."""
        with self._transaction():
            return copy.deepcopy(self._checkout.settle_async(session_id, succeeded=succeeded))

    def apply_promotion_code(self, session_id: str, code: str) -> dict:
        """Type a promotion code on the hosted page."""
        with self._transaction():
            return copy.deepcopy(self._checkout.apply_promotion_code(session_id, code))

    def choose_shipping_rate(self, session_id: str, shipping_rate_id: str) -> dict:
        """Pick one of the session's shipping options on the hosted page (the first is preselected)."""
        with self._transaction():
            return copy.deepcopy(self._checkout.choose_shipping_rate(session_id, shipping_rate_id))

    def expire(self, session_id: str) -> dict:
        with self._transaction():
            return copy.deepcopy(self._checkout.expire(session_id))

    def refund_from_dashboard(
        self, payment_intent_id: str, amount: int | None = None, reason: str | None = None
    ) -> dict:
        """Refund as a person in the Stripe dashboard would, without the shop asking."""
        with self._transaction():
            intent = self._store.get("payment_intent", payment_intent_id)
            refund = self._payments.refund(intent=intent, amount=amount, reason=reason)
            return copy.deepcopy(refund)

    def delete_price_from_dashboard(self, price_id: str) -> dict:
        """Delete a price no one has used, as a person in the Stripe dashboard can: price.deleted."""
        with self._transaction():
            return copy.deepcopy(self._catalog.delete_price_from_dashboard(price_id))

    def close_dispute(self, dispute_id: str, won: bool = True) -> dict:
        """The bank decides a dispute: won or lost."""
        with self._transaction():
            return copy.deepcopy(self._payments.close_dispute(dispute_id, won=won))

    def fail_refund(self, refund_id: str, failure_reason: str = "expired_or_canceled_card") -> dict:
        """The card network returns a refund after Stripe reported it succeeded."""
        with self._transaction():
            return copy.deepcopy(self._payments.fail_refund(refund_id, failure_reason=failure_reason))

    # Webhooks

    def wait_for_deliveries(self, timeout: float = 5.0) -> None:
        """Block until no webhook delivery is pending or being retried; TimeoutError otherwise."""
        self._dispatcher.wait_idle(timeout)

    def drop_deliveries(self, types: Iterable[str] | None = None) -> None:
        """Deliver no event of `types` (None: no event at all) until `resume_deliveries`.

        Such events are recorded but never sent, so Stripe's API lists them with
        ``delivery_success=false``, as when the endpoint was down until Stripe gave up.
        ValueError for an event type the simulator never emits.
        """
        self._dispatcher.drop(types)

    def resume_deliveries(self) -> None:
        """Deliver every new event again; those dropped meanwhile stay undelivered."""
        self._dispatcher.resume()

    @contextmanager
    def deliveries_dropped(self, types: Iterable[str] | None = None) -> Iterator[None]:
        """`drop_deliveries` for the duration of the block."""
        self.drop_deliveries(types)
        try:
            yield
        finally:
            self.resume_deliveries()

    @property
    def delivery_attempts(self) -> list[DeliveryAttempt]:
        """Every webhook POST made so far, oldest first."""
        return self._dispatcher.attempts()

    # Internals

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Hold the state lock; sessions past their expires_at expire first, as on Stripe.
        Afterwards the state file, if any, is brought up to date."""
        with self._store.lock:
            try:
                self._checkout.expire_due()
                yield
            finally:
                self._save()

    def _mark_delivered(self, event_id: str) -> None:
        with self._store.lock:
            self._store.mark_delivered(event_id)
            self._save()

    def _save(self) -> None:
        if self._state_file:
            self._state_file.save(self._store.snapshot())

    def _schedule_settlement(self, session_id: str) -> None:
        if self._async_settle_delay is None:
            return

        def settle() -> None:
            with self._transaction():
                self._timers.discard(timer)
                if self._checkout.awaiting_settlement(session_id):
                    self._checkout.settle_async(session_id, succeeded=True)

        timer = threading.Timer(self._async_settle_delay, settle)
        timer.daemon = True
        self._timers.add(timer)
        timer.start()

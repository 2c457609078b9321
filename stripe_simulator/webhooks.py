"""Webhook signing and delivery with retries.

One background thread sends everything from a schedule ordered by due time.
In the ``ordered`` delivery mode first attempts therefore go out in the order
the events were created; a failed attempt is rescheduled after its backoff
delay without holding up the events behind it (as on Stripe), and no event is
ever sent twice at once. The ``unruly`` mode plays what Stripe only promises
not to do: each first attempt is held back a random moment, so events overtake
one another, about half of them are sent twice (the same event, as a
redelivery), and a failed event is retried three times as often.
"""

import hashlib
import heapq
import hmac
import itertools
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .event_types import EVENT_TYPES

logger = logging.getLogger(__name__)

# Not a credential: what the simulator signs with when none is configured.
DEFAULT_SECRET = "whsec_simulator"  # noqa: S105
# Delays before the 2nd, 3rd, ... attempt; an event gets len(delays) + 1 attempts.
DEFAULT_RETRY_DELAYS = (1.0, 5.0, 30.0, 120.0, 600.0, 1800.0)
DELIVERY_MODES = ("ordered", "unruly")
# Unruly delivery: how long a first attempt may be held back (seconds), the share of events sent
# twice, and how many times as many attempts a failed event gets.
_UNRULY_HOLD_BACK = 0.25
_UNRULY_DUPLICATE_SHARE = 0.5
_UNRULY_ATTEMPTS_FACTOR = 3


def signature_header(payload: str, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header value for `payload` signed at `timestamp`."""
    signed = f"{timestamp}.{payload}".encode()
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST of an event to the webhook endpoint."""

    event_id: str
    event_type: str
    attempt: int
    status_code: int | None  # None when no HTTP answer came back
    error: str | None  # the connection error, if any
    at: float  # time.time() of the attempt

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(order=True)
class _Delivery:
    due: float
    sequence: int
    event_id: str = field(compare=False)
    event_type: str = field(compare=False)
    payload: str = field(compare=False)
    attempt: int = field(default=1, compare=False)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Stripe treats a redirect as a failed delivery instead of following it."""

    def redirect_request(self, *args, **kwargs):
        return None


class WebhookDispatcher:
    """Queues events and POSTs them, signed, to one endpoint."""

    def __init__(
        self,
        url: str | None,
        secret: str,
        *,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        on_delivered: Callable[[str], None] = lambda event_id: None,
        timeout: float = 10.0,
        mode: str = "ordered",
        seed: int | None = None,
    ):
        if url and urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"webhook URL must be http(s): {url!r}")
        if mode not in DELIVERY_MODES:
            raise ValueError(f"delivery must be one of {', '.join(DELIVERY_MODES)}")
        self.url = url
        self._secret = secret
        self._unruly = mode == "unruly"
        self._random = random.Random(seed)  # noqa: S311 (test draws, not secrets)
        delays = tuple(retry_delays)
        if self._unruly and delays:
            delays += (delays[-1],) * ((_UNRULY_ATTEMPTS_FACTOR - 1) * (len(delays) + 1))
        self._retry_delays = delays
        self._on_delivered = on_delivered
        self._timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects)
        self._schedule: list[_Delivery] = []
        self._sequence = itertools.count()
        self._in_flight = 0
        self._attempts: list[DeliveryAttempt] = []
        self._condition = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        # While dropping, events (all, or those of _dropped_types) are never sent: they stay
        # undelivered (pending_webhooks above 0), as when the endpoint never answered 2xx.
        self._dropping = False
        self._dropped_types: frozenset[str] = frozenset()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stripe-simulator-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread:
            self._thread.join()

    def enqueue(self, event: dict) -> None:
        """Schedule `event` for delivery now; serialized here so later changes
        to the objects cannot leak into the payload."""
        if not self.url:
            return
        payload = json.dumps(event, indent=2)
        with self._condition:
            if self._dropping and (not self._dropped_types or event["type"] in self._dropped_types):
                logger.info("webhook %s %s dropped", event["type"], event["id"])
                return
            copies = 1
            if self._unruly and self._random.random() < _UNRULY_DUPLICATE_SHARE:
                copies = 2
            for _ in range(copies):
                held_back = self._random.uniform(0, _UNRULY_HOLD_BACK) if self._unruly else 0
                self._push(_Delivery(time.monotonic() + held_back, 0, event["id"], event["type"], payload))

    def drop(self, types: Iterable[str] | None = None) -> dict:
        """Send no event of `types` (None: no event at all) from now until `resume`; return the
        new `dropping` state. ValueError, changing nothing, for a type the simulator never emits."""
        wanted = frozenset(types or ())
        if unknown := sorted(wanted - EVENT_TYPES):
            raise ValueError(f"Unknown event type(s): {', '.join(unknown)}")
        with self._condition:
            self._dropping, self._dropped_types = True, wanted
        return self.dropping()

    def resume(self) -> dict:
        """Send every event again (those dropped meanwhile stay undelivered); return `dropping`."""
        with self._condition:
            self._dropping, self._dropped_types = False, frozenset()
        return self.dropping()

    def dropping(self) -> dict:
        """``{"dropping": bool, "types": [...]}``; no types while dropping means every type."""
        with self._condition:
            return {"dropping": self._dropping, "types": sorted(self._dropped_types)}

    def attempts(self) -> list[DeliveryAttempt]:
        with self._condition:
            return list(self._attempts)

    def wait_idle(self, timeout: float) -> None:
        """Block until nothing is scheduled or being sent; TimeoutError otherwise."""
        with self._condition:
            idle = self._condition.wait_for(lambda: not self._schedule and not self._in_flight, timeout)
        if not idle:
            raise TimeoutError(f"webhook deliveries still pending after {timeout} s")

    def _push(self, delivery: _Delivery) -> None:
        delivery.sequence = next(self._sequence)
        heapq.heappush(self._schedule, delivery)
        self._condition.notify_all()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopping and not self._due():
                    wait = self._schedule[0].due - time.monotonic() if self._schedule else None
                    self._condition.wait(wait)
                if self._stopping:
                    return
                delivery = heapq.heappop(self._schedule)
                self._in_flight += 1
            try:
                self._attempt(delivery)
            finally:
                with self._condition:
                    self._in_flight -= 1
                    self._condition.notify_all()

    def _due(self) -> bool:
        return bool(self._schedule) and self._schedule[0].due <= time.monotonic()

    def _attempt(self, delivery: _Delivery) -> None:
        status, error = self._post(delivery.payload)
        attempt = DeliveryAttempt(
            delivery.event_id, delivery.event_type, delivery.attempt, status, error, time.time()
        )
        logger.info(
            "webhook %s %s attempt %d -> %s",
            delivery.event_type,
            delivery.event_id,
            delivery.attempt,
            status or error,
        )
        with self._condition:
            self._attempts.append(attempt)
            retry = not attempt.succeeded and delivery.attempt <= len(self._retry_delays)
            if retry:
                delivery.due = time.monotonic() + self._retry_delays[delivery.attempt - 1]
                delivery.attempt += 1
                self._push(delivery)
        if attempt.succeeded:
            self._on_delivered(delivery.event_id)
        elif not retry:
            logger.warning("webhook %s gave up after %d attempts", delivery.event_id, delivery.attempt)

    def _post(self, payload: str) -> tuple[int | None, str | None]:
        # Stripe signs every attempt afresh, so retries carry a current timestamp.
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            self.url,
            data=payload.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": signature_header(payload, self._secret, int(time.time())),
            },
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return response.status, None
        except urllib.error.HTTPError as error:
            error.close()
            return error.code, None
        except urllib.error.URLError as error:
            return None, str(error.reason)
        except OSError as error:
            return None, str(error)

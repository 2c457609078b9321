"""In-memory state: objects by id, the event log, lists and expansion.

One re-entrant lock guards everything. Entry points (API requests, hosted
page posts, control calls, timers) take it once; the services below assume
it is held, which keeps every operation and the events it emits atomic and
in order.
"""

import copy
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import StripeError, resource_missing
from .event_types import EVENT_TYPES
from .params import Params

# The version stripe-python 16.1.0 pins; events are rendered "at" it.
API_VERSION = "2026-10-28.endive"

_ALPHABET = string.ascii_letters + string.digits
_NO_REQUEST = {"id": None, "idempotency_key": None}

# Set by the API layer while it serves a request so that events can name the
# request that caused them; stays at _NO_REQUEST for page and dashboard actions.
current_request: ContextVar[dict] = ContextVar("current_request", default=_NO_REQUEST)

# The frozen time of the test clock whose objects are being made (see `clock_time`), None for
# the wall clock.
_frozen_time: ContextVar[int | None] = ContextVar("frozen_time", default=None)


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now() -> int:
    """The time objects are created at: a test clock's frozen time inside `clock_time`."""
    frozen = _frozen_time.get()
    return int(time.time()) if frozen is None else frozen


@contextmanager
def clock_time(frozen_time: int | None) -> Iterator[None]:
    """Make `now` answer `frozen_time` (None: the wall clock) for the duration of the block, as
    Stripe dates the objects of a customer on a test clock by the clock."""
    token = _frozen_time.set(frozen_time)
    try:
        yield
    finally:
        _frozen_time.reset(token)


def embedded_list(items: list[dict], url: str) -> dict:
    """A list object embedded whole in its parent (an invoice's lines, a subscription's items)."""
    return {"object": "list", "data": items, "has_more": False, "url": url}


def list_object(items: list[dict], params: Params, url: str, kind: str) -> dict:
    """One page of `items` (already in Stripe's order) honouring ``limit``,
    ``starting_after`` and ``ending_before``."""
    limit = params.integer("limit", minimum=1) or 10
    if limit > 100:
        raise StripeError(
            "This value must be less than or equal to 100.",
            code="parameter_invalid_integer",
            param="limit",
        )
    ids = [item["id"] for item in items]

    def position(param: str) -> int:
        cursor = params.string(param)
        if cursor not in ids:
            raise resource_missing(kind, cursor, param)
        return ids.index(cursor)

    if params.has("starting_after"):
        start = position("starting_after") + 1
        page, has_more = items[start : start + limit], start + limit < len(items)
    elif params.has("ending_before"):
        end = position("ending_before")
        page, has_more = items[max(0, end - limit) : end], end - limit > 0
    else:
        page, has_more = items[:limit], len(items) > limit
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


class Store:
    """All simulated Stripe objects of one (test mode) account."""

    def __init__(self, on_event: Callable[[dict], None], webhook_endpoints: int):
        self.lock = threading.RLock()
        self._objects: dict[str, dict] = {}
        self._ids_by_kind: dict[str, list[str]] = {}
        self._on_event = on_event
        self._webhook_endpoints = webhook_endpoints
        self._expanders: dict[tuple[str, str], Callable[[dict], dict]] = {}
        # What services remember beside Stripe's objects (a session's line items), by service.
        self.internal: dict[str, dict] = {}

    def snapshot(self) -> dict:
        """Everything, as JSON-ready data for `restore`."""
        return {"objects": self._objects, "ids_by_kind": self._ids_by_kind, "internal": self.internal}

    def restore(self, snapshot: dict) -> None:
        self._objects = snapshot["objects"]
        self._ids_by_kind = snapshot["ids_by_kind"]
        self.internal = snapshot["internal"]

    def add(self, obj: dict) -> dict:
        self._objects[obj["id"]] = obj
        self._ids_by_kind.setdefault(obj["object"], []).append(obj["id"])
        return obj

    def exists(self, object_id: str) -> bool:
        return object_id in self._objects

    def get(
        self,
        kind: str,
        object_id: str,
        *,
        param: str = "id",
        status: int = 404,
        allow_deleted: bool = False,
    ) -> dict:
        """The object, or Stripe's resource_missing error (404 for the URL's
        own id, pass ``status=400`` for ids referenced by a param)."""
        obj = self._objects.get(object_id)
        if obj is None or obj["object"] != kind or (obj.get("deleted") and not allow_deleted):
            raise resource_missing(kind, object_id, param, status)
        return obj

    def all(self, kind: str) -> list[dict]:
        """Live objects of one kind, newest first as Stripe lists them."""
        objects = (self._objects[i] for i in reversed(self._ids_by_kind.get(kind, [])))
        return [obj for obj in objects if not obj.get("deleted")]

    def update(self, obj: dict, changes: dict, event_type: str | None = None) -> dict:
        """Apply `changes`; emit `event_type` with previous_attributes if anything changed."""
        previous = {key: obj.get(key) for key, value in changes.items() if obj.get(key) != value}
        obj.update(changes)
        if previous and event_type:
            self.emit(event_type, obj, previous)
        return previous

    def delete(self, obj: dict) -> dict:
        """Replace `obj` by the stub Stripe keeps answering for deleted objects."""
        stub = {"id": obj["id"], "object": obj["object"], "deleted": True}
        self._objects[obj["id"]] = stub
        return stub

    def emit(self, event_type: str, obj: dict, previous_attributes: dict | None = None) -> dict:
        """Record an event carrying a snapshot of `obj` and hand it to webhook delivery."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"{event_type} is not in EVENT_TYPES")
        data = {"object": copy.deepcopy(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = copy.deepcopy(previous_attributes)
        event = self.add(
            {
                "id": new_id("evt_"),
                "object": "event",
                "api_version": API_VERSION,
                # Events are dated by the wall clock even when a test clock made them.
                "created": int(time.time()),
                "data": data,
                "livemode": False,
                "pending_webhooks": self._webhook_endpoints,
                "request": dict(current_request.get()),
                "type": event_type,
            }
        )
        self._on_event(event)
        return event

    def mark_delivered(self, event_id: str) -> None:
        with self.lock:
            event = self._objects[event_id]
            event["pending_webhooks"] = max(0, event["pending_webhooks"] - 1)

    def register_expander(self, kind: str, field: str, expander: Callable[[dict], dict]) -> None:
        """Make `field` of `kind` expandable although it is not stored on the object
        (``line_items`` of a checkout session)."""
        self._expanders[(kind, field)] = expander

    def render(self, obj: dict, expand: list[str]) -> dict:
        """A copy of `obj` with the ``expand[]`` paths replaced by full objects."""
        rendered = copy.deepcopy(obj)
        for path in expand:
            self._expand(rendered, path.split("."), path)
        return rendered

    def _expand(self, obj: dict, fields: list[str], path: str) -> None:
        field, rest = fields[0], fields[1:]
        if obj.get("object") == "list" and field == "data" and rest:
            for item in obj["data"]:
                self._expand(item, rest, path)
            return
        expander = self._expanders.get((obj.get("object"), field))
        value = obj.get(field)
        if rest and isinstance(value, list) and all(isinstance(item, dict) for item in value):
            # An array of hashes (``shipping_options.shipping_rate``): each element expands.
            for item in value:
                self._expand(item, rest, path)
            return
        if expander:
            value = expander(obj)
        elif isinstance(value, str) and value in self._objects:
            value = copy.deepcopy(self._objects[value])
        elif field not in obj or not (value is None or isinstance(value, dict)):
            raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
        obj[field] = value
        if rest and isinstance(value, dict):
            self._expand(value, rest, path)

"""The events endpoints (events themselves are recorded by `Store.emit`)."""

from .errors import StripeError
from .params import Params
from .store import Store, list_object

_MAX_TYPES = 20
_RANGE_OPERATORS = {
    "gt": lambda value, bound: value > bound,
    "gte": lambda value, bound: value >= bound,
    "lt": lambda value, bound: value < bound,
    "lte": lambda value, bound: value <= bound,
}


class Events:
    def __init__(self, store: Store):
        self.store = store

    def retrieve_event(self, params: Params, event_id: str) -> dict:
        return self.store.get("event", event_id)

    def list_events(self, params: Params) -> dict:
        """Newest first, filtered as Stripe filters them: ``type`` (``*`` matches a family such
        as ``charge.*``) or up to 20 ``types[]``, ``created`` (a timestamp, or ``gt``, ``gte``,
        ``lt``, ``lte``) and ``delivery_success`` (false: events some endpoint has not
        acknowledged yet, still being retried or given up on)."""
        params.allow(
            "type", "types", "created", "delivery_success", "limit", "starting_after", "ending_before"
        )
        events = self.store.all("event")
        if params.has("type") and params.has("types"):
            raise StripeError(
                "You may only specify one of these parameters: type, types.", code="parameters_exclusive"
            )
        wanted = [params.string("type")] if params.has("type") else params.strings("types")
        if len(wanted) > _MAX_TYPES:
            raise StripeError(f"You may pass at most {_MAX_TYPES} types.", param="types")
        if wanted:
            events = [event for event in events if any(_type_matches(event["type"], w) for w in wanted)]
        events = [event for event in events if _created_matches(event["created"], params)]
        delivered = params.boolean("delivery_success")
        if delivered is not None:
            events = [event for event in events if (event["pending_webhooks"] == 0) == delivered]
        return list_object(events, params, "/v1/events", "event")


def _type_matches(event_type: str, wanted: str) -> bool:
    if wanted.endswith("*"):
        return event_type.startswith(wanted[:-1])
    return event_type == wanted


def _created_matches(created: int, params: Params) -> bool:
    if not params.has("created"):
        return True
    if not params.is_hash("created"):
        return created == params.integer("created")
    bounds = params.hash("created").allow(*_RANGE_OPERATORS)
    return all(
        _RANGE_OPERATORS[operator](created, bounds.integer(operator))
        for operator in _RANGE_OPERATORS
        if bounds.has(operator)
    )

"""The events endpoints (events themselves are recorded by `Store.emit`)."""

from .params import Params
from .store import Store, list_object


class Events:
    def __init__(self, store: Store):
        self.store = store

    def retrieve_event(self, params: Params, event_id: str) -> dict:
        return self.store.get("event", event_id)

    def list_events(self, params: Params) -> dict:
        """Newest first; ``type`` may end in ``.*`` to match a family of events."""
        params.allow("type", "limit", "starting_after", "ending_before")
        events = self.store.all("event")
        wanted = params.string("type")
        if wanted and wanted.endswith(".*"):
            events = [e for e in events if e["type"].startswith(wanted[:-1])]
        elif wanted:
            events = [e for e in events if e["type"] == wanted]
        return list_object(events, params, "/v1/events", "event")

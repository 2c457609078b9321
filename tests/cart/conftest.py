import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone


@pytest.fixture
def database_commands():
    """Return a context manager recording every command the MongoDB backend sends."""
    return lambda: CaptureQueriesContext(connection)


@pytest.fixture
def move_clock(monkeypatch):
    """Move the shop's clock forward, and not the database's.

    The embedded engine purges TTL-expired documents at its next operation, while MongoDB's
    monitor takes up to a minute: moving only the shop's clock shows the shop an expired cart
    that the database has not removed yet.
    """
    real_now = timezone.now

    def move(delta):
        monkeypatch.setattr(timezone, "now", lambda: real_now() + delta)

    return move


@pytest.fixture
def run_ttl_monitor():
    """Delete what MongoDB's TTL monitor would delete by the shop's current time."""

    def run():
        database = connection.database
        for collection in ("cart_cart", "cart_cartitem"):
            database[collection].delete_many({"expires_at": {"$lte": timezone.now()}})

    return run

"""The MongoDB cache: what allauth's rate limits rely on, whatever the TTL monitor's timing."""

import datetime

import pytest
from bson.errors import InvalidDocument
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

pytestmark = pytest.mark.django_db


def stored_entries():
    return connection.database["django_cache"]


def test_migrate_creates_the_collection_with_its_ttl_index():
    call_command("migrate", verbosity=0)

    indexes = stored_entries().index_information()
    assert any(
        index["key"] == [("expires_at", 1)] and index.get("expireAfterSeconds") == 0
        for index in indexes.values()
    )


def test_an_expired_entry_is_gone_on_read_before_mongodb_removes_it():
    cache.set("attempts", [1.5, 2.5], timeout=60)
    past = timezone.now() - datetime.timedelta(seconds=1)
    stored_entries().update_many({}, {"$set": {"expires_at": past}})

    assert cache.get("attempts", "missing") == "missing"
    assert not cache.has_key("attempts")
    assert cache.add("attempts", [3.5], timeout=60)
    assert cache.get("attempts") == [3.5]


def test_add_refuses_a_live_key_so_it_can_serve_as_a_lock():
    assert cache.add("lock", True, timeout=10)
    assert not cache.add("lock", True, timeout=10)
    cache.delete("lock")
    assert cache.add("lock", True, timeout=10)


def test_incr_counts_on_the_stored_value():
    cache.set("count", 1)

    assert cache.incr("count", 2) == 3
    assert cache.get("count") == 3
    with pytest.raises(ValueError, match="not found"):
        cache.incr("missing")


def test_values_are_stored_as_data_never_pickled():
    with pytest.raises(InvalidDocument):
        cache.set("object", object())

    cache.set("data", {"when": [1.25], "who": "grace"}, timeout=None)
    assert stored_entries().find_one({})["value"] == {"when": [1.25], "who": "grace"}
    assert stored_entries().find_one({})["expires_at"] is None


def test_get_many_reads_every_key_in_one_command_and_skips_expired_and_missing_entries():
    cache.set("kept", "yes", timeout=60)
    cache.set("stale", "no", timeout=60)
    cache.set("neighbour", "untouched", timeout=60)
    past = timezone.now() - datetime.timedelta(seconds=1)
    stored_entries().update_one({"_id": cache.make_key("stale")}, {"$set": {"expires_at": past}})

    with CaptureQueriesContext(connection) as commands:
        found = cache.get_many(["kept", "stale", "never-set"])

    assert found == {"kept": "yes"}
    assert len(commands.captured_queries) == 1
    assert cache.get("neighbour") == "untouched"

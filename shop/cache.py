"""A cache in the shop's MongoDB database, shared by every worker process.

django-mongodb-backend ships no cache backend (Django's database cache writes SQL), and
allauth's rate limits need one that every gunicorn worker sees. Values are stored as BSON,
never pickled: a row written to the collection can hold data but never run code. So only
values BSON can hold are accepted (None, bools, numbers, strings, bytes, datetimes, and lists
and string-keyed dicts of those); tuples come back as lists.

Each entry is {"_id": key, "value": value, "expires_at": datetime or None}. A read ignores an
entry past its expiry; the TTL index only keeps the collection small, whenever MongoDB's
monitor runs. post_migrate creates the collection and its index (ShopConfig.ready).
"""

import datetime

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError


class MongoDBCache(BaseCache):
    def __init__(self, collection_name, params):
        super().__init__(params)
        self.collection_name = collection_name

    @property
    def collection(self):
        return connections[DEFAULT_DB_ALIAS].get_collection(self.collection_name)

    def create_collection(self):
        """Create the collection and the TTL index that removes expired entries."""
        database = connections[DEFAULT_DB_ALIAS].database
        if self.collection_name not in database.list_collection_names():
            database.create_collection(self.collection_name)
        database[self.collection_name].create_index("expires_at", expireAfterSeconds=0)

    def _expires_at(self, timeout):
        timeout = self.get_backend_timeout(timeout)
        if timeout is None:
            return None
        return timezone.now() + datetime.timedelta(seconds=timeout)

    def _live(self, key):
        return {"_id": key, "$or": [{"expires_at": None}, {"expires_at": {"$gt": timezone.now()}}]}

    def _key(self, key, version):
        return self.make_and_validate_key(key, version=version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self._key(key, version)
        # Only an expired entry matches, so a live one makes the upsert collide on _id: atomic.
        try:
            self.collection.update_one(
                {"_id": key, "expires_at": {"$lte": timezone.now()}},
                {"$set": {"value": value, "expires_at": self._expires_at(timeout)}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    def get(self, key, default=None, version=None):
        entry = self.collection.find_one(self._live(self._key(key, version)), {"value": 1})
        return default if entry is None else entry["value"]

    def get_many(self, keys, version=None):
        # One read for all the keys (the base class reads them one by one).
        stored = {self._key(key, version): key for key in keys}
        entries = self.collection.aggregate(
            [{"$match": self._live({"$in": list(stored)})}, {"$project": {"value": 1}}]
        )
        return {stored[entry["_id"]]: entry["value"] for entry in entries}

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self.collection.replace_one(
            {"_id": self._key(key, version)},
            {"value": value, "expires_at": self._expires_at(timeout)},
            upsert=True,
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        result = self.collection.update_one(
            self._live(self._key(key, version)), {"$set": {"expires_at": self._expires_at(timeout)}}
        )
        return result.matched_count == 1

    def delete(self, key, version=None):
        return self.collection.delete_one({"_id": self._key(key, version)}).deleted_count == 1

    def has_key(self, key, version=None):
        return self.collection.count_documents(self._live(self._key(key, version)), limit=1) == 1

    def incr(self, key, delta=1, version=None):
        entry = self.collection.find_one_and_update(
            self._live(self._key(key, version)),
            {"$inc": {"value": delta}},
            return_document=ReturnDocument.AFTER,
        )
        if entry is None:
            raise ValueError(f"Key '{key}' not found")
        return entry["value"]

    def clear(self):
        self.collection.delete_many({})


def create_cache_collections(using=DEFAULT_DB_ALIAS, **kwargs):
    """Create the collection of every MongoDBCache configured (post_migrate: nothing by hand)."""
    if using != DEFAULT_DB_ALIAS:
        return
    for alias in settings.CACHES:
        if isinstance(caches[alias], MongoDBCache):
            caches[alias].create_collection()

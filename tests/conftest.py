"""Test wiring: an isolated database server, and fast isolation between tests.

With MONGODB_URI unset, the suite starts its own in-memory embedded server on a free port and
never touches development data. With MONGODB_URI set, it uses that server with a throwaway
database name (Django prefixes it with "test_" and drops it at the end).
"""

import os
import uuid

import pytest
from django.db import connections

from shop.embedded_mongodb import start_server_process, stop_server_process

# Static rows written once by migrate; every other collection is emptied after each test.
KEPT_COLLECTIONS = frozenset({"django_migrations", "django_content_type", "auth_permission"})


@pytest.fixture(scope="session")
def mongodb_uri():
    if uri := os.environ.get("MONGODB_URI"):
        yield uri
        return
    process, port = start_server_process()
    yield f"mongodb://127.0.0.1:{port}/"
    stop_server_process(process)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(mongodb_uri):
    from django.conf import settings

    database = settings.DATABASES["default"]
    database["HOST"] = mongodb_uri
    if os.environ.get("MONGODB_URI"):
        database["NAME"] = f"shop_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def _django_db_helper(request, django_db_setup, django_db_blocker):
    """Replace pytest-django's per-test flush with emptying the collections a test wrote to.

    Django's flush re-creates content types and permissions after every test (about 0.4 s on
    the embedded engine); they never change during the suite, so keep them.
    """
    with django_db_blocker.unblock():
        yield
        empty_collections()


def empty_collections():
    database = connections["default"].database
    for name in database.list_collection_names():
        if name not in KEPT_COLLECTIONS and not name.startswith("system."):
            database[name].delete_many({})

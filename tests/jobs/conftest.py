"""The worker's tests run the MongoDB task backend itself, with short leases and backoffs."""

import pytest
from django.tasks import task_backends

MONGODB_BACKEND = "jobs.backend.MongoDBTaskBackend"
LEASE_SECONDS = 2
RETRY_BASE_SECONDS = 0.2
MAX_ATTEMPTS = 3


@pytest.fixture
def backend(settings, db):
    """The default task backend, MongoDB's (the rest of the suite runs tasks at once)."""
    settings.PERIODIC_TASKS = {}
    settings.TASKS = {
        "default": {
            "BACKEND": MONGODB_BACKEND,
            "OPTIONS": {
                "LEASE_SECONDS": LEASE_SECONDS,
                "MAX_ATTEMPTS": MAX_ATTEMPTS,
                "RETRY_BASE_SECONDS": RETRY_BASE_SECONDS,
                "RETRY_MAX_SECONDS": 1,
            },
        }
    }
    return task_backends["default"]

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.fixture
def database_commands():
    """Return a context manager recording every command the MongoDB backend sends."""
    return lambda: CaptureQueriesContext(connection)

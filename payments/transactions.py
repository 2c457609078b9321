"""Transactions on the MongoDB backend, with the repair a failed commit needs."""

from contextlib import contextmanager, suppress

from django.db import DEFAULT_DB_ALIAS, connections
from django_mongodb_backend import transaction
from pymongo.errors import PyMongoError


@contextmanager
def atomic():
    """Run the block in django_mongodb_backend's atomic(); if the commit itself fails, abort the
    transaction for good and leave the connection usable.

    The embedded engine (mongoeco 4.11) finds write conflicts at commit time, and then the backend
    (6.1.0) keeps the failed transaction's session and on_commit callbacks on the connection:
    later writes through it are silently dropped, the callbacks (an email) would run at the next
    commit, and ending the session would apply the failed transaction after all. Real MongoDB
    reports conflicts at the write instead, where the backend rolls back properly.
    """
    try:
        with transaction.atomic():
            yield
    except PyMongoError:
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.session is not None and not connection.in_atomic_block_mongo:
            session, connection.session = connection.session, None
            connection.run_on_commit = []
            # pymongo refuses abort_transaction() after a commit attempt; the command is accepted.
            with suppress(PyMongoError):
                session.client.admin.command("abortTransaction", session=session)
            session.end_session()
        raise

"""Writes on the MongoDB backend that survive a busy database: transactions retried on conflicts
and repaired after a failed commit, and plain writes retried while another session's
transaction holds the embedded engine."""

import random
import time
from contextlib import contextmanager, suppress

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django_mongodb_backend import transaction
from pymongo.errors import PyMongoError

# How long a write keeps retrying conflicts. Like the driver's own with_transaction() (which
# retries for 120 s): conflicts clear once the other writers are done, however many in a row
# meet us, so a bound on time rather than on attempts; a request still answers well within
# gunicorn's timeout.
CONFLICT_RETRY_SECONDS = 10.0


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


def run_atomically(write, *, refresh=()):
    """Return write() run in one transaction, run again when the database reports a conflict.

    Conflicts are write conflicts (another writer committed first) and, on the embedded engine's
    SQLite storage, another session's transaction being open. `refresh` lists the model
    instances `write` decides from: they are reloaded inside the transaction before every
    attempt, so each attempt sees one consistent state and a retry starts afresh. Nested in
    another transaction, it runs once and leaves conflicts to the outermost one.
    """
    if connections[DEFAULT_DB_ALIAS].in_atomic_block_mongo:
        return _reloaded(write, refresh)
    deadline, attempt = time.monotonic() + CONFLICT_RETRY_SECONDS, 1
    while True:
        try:
            with atomic():
                return _reloaded(write, refresh)
        except (PyMongoError, DatabaseError) as error:
            if time.monotonic() >= deadline or not _is_conflict(error):
                raise
        # Another writer got there first: back off a little and try again.
        _back_off(attempt)
        attempt += 1


def run_retrying(write, *, refresh=(), retry_if=None):
    """Return write() run without a transaction, run again from fresh rows when it met a conflict.

    For a sequence of writes that are each atomic and idempotent (conditional status moves),
    where a transaction would buy nothing but would lock the embedded SQLite engine against
    every other request. Conflicts are the database refusing the write because another
    session's transaction is open, and whatever `retry_if(error)` accepts (a status that a
    concurrent writer moved first). `refresh` is reloaded before every attempt but the first.
    """
    deadline, attempt = time.monotonic() + CONFLICT_RETRY_SECONDS, 1
    while True:
        try:
            return write()
        except Exception as error:
            retryable = _is_conflict(error) or (retry_if is not None and retry_if(error))
            if time.monotonic() >= deadline or not retryable:
                raise
        _back_off(attempt)
        for instance in refresh:
            instance.refresh_from_db()
        attempt += 1


def _back_off(attempt: int) -> None:
    """Sleep before attempt + 1: growing from about 10 ms to at most 250 ms, jittered so that
    writers who met each other do not meet again."""
    time.sleep(random.uniform(0.5, 1.0) * min(0.01 * 2 ** (attempt - 1), 0.25))  # noqa: S311 -- jitter, not security


def _reloaded(write, instances):
    for instance in instances:
        instance.refresh_from_db()
    return write()


def _is_conflict(error: Exception) -> bool:
    if not isinstance(error, PyMongoError | DatabaseError):
        return False
    cause = error if isinstance(error, PyMongoError) else error.__cause__
    if not isinstance(cause, PyMongoError):
        return False
    message = str(cause)
    return (
        cause.has_error_label("TransientTransactionError")
        or "Write conflict" in message
        or "active transaction bound to another session" in message
    )

"""Django's database sessions, with the session a request brings read straight from its collection.

Every request of a shopper with a session reads it. Building that query through the ORM costs
about three times the CPU of the read itself; it is the query Django's backend sends, by the
unique `session_key` index.
"""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        connection = connections[router.db_for_read(self.model)]
        found = connection.get_collection(self.model._meta.db_table).find_one(
            {"session_key": self.session_key, "expire_date": {"$gt": timezone.now()}},
            {"session_data": 1},
            # Inside a transaction, in it, as the ORM's read would be (and the embedded engine's
            # SQLite storage refuses other sessions while one is open).
            session=connection.session,
        )
        if found is None:
            # As Django's: a missing or expired session gets a new key when saved.
            self._session_key = None
            return None
        # load() reads only the data.
        return self.model(session_key=self.session_key, session_data=found["session_data"])

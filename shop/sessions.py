"""Django's database sessions, with the session a request brings read in MongoDB's own language.

Every request of a shopper with a session reads it. The ORM builds that query anew each time,
for about twice the CPU of the read itself; the query is the one Django's backend sends.
"""

from django.contrib.sessions.backends import db
from django.utils import timezone
from django_mongodb_backend.queryset import MongoQuerySet


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        pipeline = [
            {"$match": {"session_key": self.session_key, "expire_date": {"$gt": timezone.now()}}},
            {"$limit": 1},
        ]
        session = next(iter(MongoQuerySet(model=self.model).raw_aggregate(pipeline)), None)
        if session is None:
            # As Django's: a missing or expired session gets a new key when saved.
            self._session_key = None
        return session

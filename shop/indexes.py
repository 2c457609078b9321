"""Index types the MongoDB backend lacks."""

from django.db.models import Index


class TTLIndex(Index):
    """An index whose documents MongoDB deletes `expire_after_seconds` after the indexed date.

    django-mongodb-backend has no TTL option, so add expireAfterSeconds to the IndexModel it
    builds. Do not also index the same field another way: MongoDB refuses two indexes that
    differ only in TTL.
    """

    def __init__(self, *args, expire_after_seconds=0, **kwargs):
        self.expire_after_seconds = expire_after_seconds
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["expire_after_seconds"] = self.expire_after_seconds
        return path, args, kwargs

    def get_pymongo_index_model(self, model, schema_editor, field=None):
        index_model = super().get_pymongo_index_model(model, schema_editor, field)
        index_model.document["expireAfterSeconds"] = self.expire_after_seconds
        return index_model

"""The database backend the shop installs: django-mongodb-backend 6.1.0 with `iexact` escaped.

The backend sends `iexact` as `{"$regex": "^<value>$", "$options": "i"}`. It overrides
`prep_for_like_query` to escape regex syntax, but Django's base class binds
`prep_for_iexact_query = prep_for_like_query` when the class is created, so that name still points
at the base (SQL LIKE) escaping and an `iexact` value reaches MongoDB as a live pattern:
`email__iexact="a|@x.example"` matched every address in `@x.example`. Every caller goes through
`connection.ops`, so re-binding it here covers the shop, allauth and admin search alike
(`=field` search fields are `iexact`). docs/database.md describes the gap.
"""

from django_mongodb_backend import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def prep_for_iexact_query(self, x):
        return self.prep_for_like_query(x)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

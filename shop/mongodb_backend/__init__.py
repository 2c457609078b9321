"""django-mongodb-backend with user input in `iexact` escaped for `$regex` (see base.py)."""

"""Settings split as in cookiecutter-django: base, local, test and production."""

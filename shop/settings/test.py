"""Tests: fast hashing, in-memory email; the database and Stripe simulator come from tests/conftest.py."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env, mailers_from_email_url

DEBUG = False
SECRET_KEY = "test-only-secret-key"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In memory, unless EMAIL_URL names a server (the fault tests' SMTP server).
MAILERS = (
    mailers_from_email_url()
    if env("EMAIL_URL", default="")
    else {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # A folder of their own, as in development: never under the media storage's URL.
    "downloads": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": Path(tempfile.gettempdir()) / "shop-test-downloads"},
    },
}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Serve static files straight from the app and project folders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tasks run at once, inside the request that enqueues them, so its effects are visible when it
# answers; the worker's own tests, and the shop processes of the fault tests, set TASKS_BACKEND.
TASKS["default"]["BACKEND"] = env(  # noqa: F405
    "TASKS_BACKEND", default="django.tasks.backends.immediate.ImmediateBackend"
)

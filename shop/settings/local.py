"""Development: works with no .env at all (embedded database, Stripe simulator, console email)."""

from .base import *  # noqa: F403
from .base import STORAGES as BASE_STORAGES
from .base import env, mailers_from_email_url

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-local-development-only")
# `make run` serves the shop at its HOST and PORT (SHOP_DEV_SERVER): the links in email, the canonical
# URLs and the simulator's webhooks go there unless SHOP_BASE_URL says otherwise.
SHOP_BASE_URL = env(
    "SHOP_BASE_URL", default=f"http://{env('SHOP_DEV_SERVER', default='127.0.0.1:8000')}"
).rstrip("/")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "downloads": BASE_STORAGES["downloads"],
}
# Serve static files straight from the app and project folders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Email printed as its text (devtools/mail.py) unless EMAIL_URL asks for something else.
MAILERS = (
    mailers_from_email_url()
    if env("EMAIL_URL", default="")
    else {"default": {"BACKEND": "devtools.mail.TextConsoleEmailBackend"}}
)

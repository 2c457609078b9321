"""Production: every secret comes from the environment, with no default."""

from .base import *  # noqa: F403
from .base import DOWNLOADS_ROOT, MONGODB_NAME, env, mailers_from_email_url

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
# Links in email (order pages, account confirmation) must name the public address, not a request's.
SHOP_BASE_URL = env("SHOP_BASE_URL").rstrip("/")
MAILERS = mailers_from_email_url()
DATABASES = {
    "default": {
        "ENGINE": "shop.mongodb_backend",
        "HOST": env("MONGODB_URI"),
        "NAME": MONGODB_NAME,
        "OPTIONS": {"serverSelectionTimeoutMS": env.int("MONGODB_TIMEOUT_MS", default=5000)},
    }
}
# Uploaded images: the local file system under MEDIA_ROOT unless MEDIA_STORAGE_BACKEND names another
# Django storage backend (django-storages' S3, Google Cloud or Azure), with its OPTIONS as JSON.
STORAGES["default"] = {  # noqa: F405
    "BACKEND": env("MEDIA_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
    "OPTIONS": env.json("MEDIA_STORAGE_OPTIONS", default={}),
}
# Files sold for download: the same kind of storage, private; the shop streams them itself, to a
# paid order's signed link only. On the file system, DOWNLOADS_ROOT (outside MEDIA_ROOT, served by
# nothing); another backend must be told its private bucket or container: no default.
_MEDIA_BACKEND = STORAGES["default"]["BACKEND"]  # noqa: F405
STORAGES["downloads"] = {  # noqa: F405
    "BACKEND": _MEDIA_BACKEND,
    "OPTIONS": env.json("DOWNLOADS_STORAGE_OPTIONS", default={"location": str(DOWNLOADS_ROOT)})
    if _MEDIA_BACKEND == "django.core.files.storage.FileSystemStorage"
    else env.json("DOWNLOADS_STORAGE_OPTIONS"),
}
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS everywhere, behind a proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)

# Real Stripe only: the simulator is a development tool.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_USE_SIMULATOR = False
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
SECURE_CSP["form-action"] = ["'self'", "https://checkout.stripe.com"]  # noqa: F405

# One JSON object a line on stdout.
LOGGING["formatters"]["line"] = {"()": "shop.log_format.JSONLineFormatter"}  # noqa: F405

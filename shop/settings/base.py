"""Settings shared by every environment. All configuration is read here, once, from the environment."""

from pathlib import Path

import babel
import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file is optional: development works without one; real environments set variables.
env.read_env(env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

# --- Core -----------------------------------------------------------------------------------
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
SITE_NAME = env("SHOP_SITE_NAME", default="Northwind Goods")
# Where shoppers reach the shop: links in email, which has no request to take a host from.
SHOP_BASE_URL = env("SHOP_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# How money is written, as a CLDR locale; parsed here so that a mistyped one stops the start.
SHOP_LOCALE = str(babel.Locale.parse(env("SHOP_LOCALE", default="en_US")))

DJANGO_APPS = [
    "shop.mongo_apps.MongoAdminConfig",
    "shop.mongo_apps.MongoAuthConfig",
    "shop.mongo_apps.MongoContentTypesConfig",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
]
THIRD_PARTY_APPS = [
    "django_mongodb_backend",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
    "sorl.thumbnail",
]
LOCAL_APPS = [
    "shop",
    "accounts",
    "catalog",
    "cart",
    "orders",
    "subscriptions",
    "payments",
    "pages",
    "inventory",
    "jobs",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "cart.middleware.CartActivityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "shop.urls"
# The sections of sitemap.xml (pages.views.sitemap): another kind of public page adds its
# django.contrib.sitemaps Sitemap class here.
SITEMAPS = {
    "home": "pages.sitemaps.HomeSitemap",
    "products": "catalog.sitemaps.ProductSitemap",
    "pages": "pages.sitemaps.PageSitemap",
}
WSGI_APPLICATION = "shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "shop.context_processors.site",
                "cart.context_processors.cart",
                "catalog.context_processors.navigation",
            ],
        },
    },
]

# --- Database: MongoDB ----------------------------------------------------------------------
# With no MONGODB_URI the shop uses the embedded MongoDB-compatible server (devtools/embedded_mongodb.py).
EMBEDDED_MONGODB_PORT = env.int("EMBEDDED_MONGODB_PORT", default=27117)
MONGODB_URI = env("MONGODB_URI", default="")
MONGODB_NAME = env("MONGODB_NAME", default="shop")
DATABASES = {
    "default": {
        "ENGINE": "shop.mongodb_backend",
        "HOST": MONGODB_URI or f"mongodb://127.0.0.1:{EMBEDDED_MONGODB_PORT}/",
        "NAME": MONGODB_NAME,
        "OPTIONS": {"serverSelectionTimeoutMS": env.int("MONGODB_TIMEOUT_MS", default=5000)},
    }
}
DATABASE_ROUTERS = ["django_mongodb_backend.routers.MongoRouter"]
DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
ALLAUTH_DEFAULT_AUTO_FIELD = DEFAULT_AUTO_FIELD
# Contrib and allauth migrations use integer ids; ours use ObjectId.
MIGRATION_MODULES = {
    "admin": "shop.mongo_migrations.admin",
    "auth": "shop.mongo_migrations.auth",
    "contenttypes": "shop.mongo_migrations.contenttypes",
    "account": "shop.mongo_migrations.account",
    "socialaccount": "shop.mongo_migrations.socialaccount",
}

# --- Cache: one for every worker process (allauth counts sign-in attempts here) -------------
# The shop's own MongoDB database by default (shop/cache.py); a Redis URL where the deployer
# has one (redis://host:6379/0, with the redis package installed).
CACHES = {
    "default": env.cache_url("CACHE_URL")
    if env("CACHE_URL", default="")
    else {"BACKEND": "shop.cache.MongoDBCache", "LOCATION": "django_cache"},
    # sorl-thumbnail's memo of its key-value store (which lives in the database): per process is
    # enough, and it caches values the BSON-only MongoDB cache refuses.
    "thumbnails": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "thumbnails"},
    # The collections of the main navigation, on every page (catalog.context_processors).
    "navigation": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "navigation",
        "TIMEOUT": 60,
    },
}

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# One backend: allauth's sign-in by email, with permissions taken from the role alone (a second
# ModelBackend would add back group and per-user permissions).
AUTHENTICATION_BACKENDS = ["accounts.backends.RolePermissionBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "catalog:product_list"

# Behind the HTTPS proxy every request comes from the proxy: count clients by X-Forwarded-For,
# read this many entries from its right (0: no proxy, use the connecting address).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
# Wrong passwords lock the account they name (5 in 5 minutes), whichever address they come from;
# an address is only throttled (30 sign-ins a minute, then 429), so guesses at other accounts
# from a shared address never refuse a bystander's right password.
ACCOUNT_RATE_LIMITS = {"login_failed": "5/300s/key", "login": "30/m/ip"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# Pages answer alike whether an address has an account (the mail says which); a second account
# still never holds a taken address (accounts/forms.py, AddEmailForm). Sign-up can only answer
# alike when it never signs in an unproven address, hence mandatory verification.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# A new customer who confirms their address from the browser they signed up in is signed in at once.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Confirmation keys stored as rows: allauth's signed keys put the address's ObjectId in JSON.
ACCOUNT_EMAIL_CONFIRMATION_HMAC = False
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "accounts.forms.SignupForm",
    "add_email": "accounts.forms.AddEmailForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "accounts.forms.ResetPasswordKeyForm",
}
# A reset link names the address it was mailed to: the reset proves that address.
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "accounts.tokens.AddressPasswordResetTokenGenerator"  # noqa: S105 -- a class path
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
# Ask providers for the user's addresses and their verified flags (GitHub: /user/emails).
SOCIALACCOUNT_QUERY_EMAIL = True
# A provider sign-in joins an existing account only through an address the provider itself marks
# verified ("VERIFIED_EMAIL": False below: never assume it); accounts/adapters.py refuses the rest.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_PROVIDERS = {}
for _provider, _scope in (("google", ["profile", "email"]), ("github", ["user:email"])):
    _client_id = env(f"{_provider.upper()}_CLIENT_ID", default="")
    if _client_id:
        SOCIALACCOUNT_PROVIDERS[_provider] = {
            "APPS": [{"client_id": _client_id, "secret": env(f"{_provider.upper()}_CLIENT_SECRET")}],
            "SCOPE": _scope,
            "VERIFIED_EMAIL": False,
            "OAUTH_PKCE_ENABLED": True,
        }

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
# One spelling of dates in admin (shop/formats/en/formats.py).
FORMAT_MODULE_PATH = ["shop.formats"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
# The shop's English: allauth's wording in sentence case (locale/en/LC_MESSAGES/django.po).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files sold for download, kept apart from MEDIA_ROOT so that nothing serves them: only the signed
# download link of a paid order streams one (orders.downloads).
DOWNLOADS_ROOT = env.path("DOWNLOADS_ROOT", default=BASE_DIR / "downloads")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "downloads": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DOWNLOADS_ROOT},
    },
}

# --- Uploaded files (product images) ---------------------------------------------------------
# The default storage above keeps them under MEDIA_ROOT; production may name another backend.
MEDIA_URL = env("MEDIA_URL", default="media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
if Path(DOWNLOADS_ROOT).resolve().is_relative_to(Path(MEDIA_ROOT).resolve()):
    raise ImproperlyConfigured("DOWNLOADS_ROOT must lie outside MEDIA_ROOT, which is served to anyone.")
# Thumbnails (sorl-thumbnail) are written next to the uploads, in the same storage.
THUMBNAIL_FORMAT = "WEBP"
THUMBNAIL_CACHE = "thumbnails"
THUMBNAIL_QUALITY = 85
THUMBNAIL_UPSCALE = False
# Thumbnails are made by a task after upload; a page asking for one not made yet shows the placeholder.
THUMBNAIL_BACKEND = "catalog.thumbnail_backend.ReadyThumbnailBackend"
THUMBNAIL_DUMMY_SOURCE = f"/{STATIC_URL}catalog/placeholder.svg"
THUMBNAIL_DUMMY_RATIO = 1


# --- Email ----------------------------------------------------------------------------------
def mailers_from_email_url(default=environ.Env.NOTSET):
    """Build MAILERS from EMAIL_URL: consolemail://, smtp+tls://user:password@host:587, ..."""
    config = env.email_url("EMAIL_URL", default=default)
    options = {
        "host": config.get("EMAIL_HOST"),
        "port": config.get("EMAIL_PORT"),
        "username": config.get("EMAIL_HOST_USER"),
        "password": config.get("EMAIL_HOST_PASSWORD"),
        "use_tls": config.get("EMAIL_USE_TLS"),
        "use_ssl": config.get("EMAIL_USE_SSL"),
        "timeout": 10 if config["EMAIL_BACKEND"].endswith("smtp.EmailBackend") else None,
    }
    backend = {"BACKEND": config["EMAIL_BACKEND"], "OPTIONS": {k: v for k, v in options.items() if v}}
    return {"default": backend}


MAILERS = mailers_from_email_url(default="consolemail://")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Northwind Goods <shop@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Sessions and security ------------------------------------------------------------------
SESSION_ENGINE = "shop.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:", "https:"],
    "style-src": ["'self'"],
    "script-src": ["'self'"],
    # Checkout posts to us and we redirect to Stripe's hosted page: browsers apply form-action there.
    "form-action": ["'self'", "https://checkout.stripe.com"],
    "frame-ancestors": ["'none'"],
    # No page sets a <base>, so none injected can move where relative links and scripts go.
    "base-uri": ["'none'"],
}

# --- Shop rules -----------------------------------------------------------------------------
CART_LIFETIME_DAYS = env.int("CART_LIFETIME_DAYS", default=7)
CART_MAX_QUANTITY = env.int("CART_MAX_QUANTITY", default=99)
# A guest cart's expiry is pushed forward on change, at most this often on mere page views.
CART_TOUCH_INTERVAL_MINUTES = env.int("CART_TOUCH_INTERVAL_MINUTES", default=60)
# How long a Checkout Session stays open, and so holds its stock (Stripe takes 30 to 1,440).
CHECKOUT_HOLD_MINUTES = env.int("CHECKOUT_HOLD_MINUTES", default=30)
# At or under this many available, shoppers read "Only N left" and staff see the variant as low.
STOCK_LOW_THRESHOLD = env.int("STOCK_LOW_THRESHOLD", default=3)

# --- Stripe ---------------------------------------------------------------------------------
# With no secret key the shop talks to the local simulator (stripe_simulator).
STRIPE_SIMULATOR_PORT = env.int("STRIPE_SIMULATOR_PORT", default=12111)
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_USE_SIMULATOR = not STRIPE_SECRET_KEY
STRIPE_API_BASE = env(
    "STRIPE_API_BASE",
    default=f"http://127.0.0.1:{STRIPE_SIMULATOR_PORT}" if STRIPE_USE_SIMULATOR else "https://api.stripe.com",
)
if STRIPE_USE_SIMULATOR:
    STRIPE_SECRET_KEY = "sk_test_simulator"  # noqa: S105 -- the local simulator accepts any test key
STRIPE_WEBHOOK_SECRET = env(
    "STRIPE_WEBHOOK_SECRET", default="whsec_simulator" if STRIPE_USE_SIMULATOR else ""
)
if STRIPE_USE_SIMULATOR:
    SECURE_CSP["form-action"].append(STRIPE_API_BASE)
STRIPE_API_VERSION = "2026-10-28.endive"
# What the catalog and order admins ask to push products and prices and to refund (shop.payment_gateway).
PAYMENT_GATEWAY = "payments.gateway.StripeGateway"
# Stripe Tax works out and adds the tax at checkout (needs Stripe Tax set up in the dashboard).
STRIPE_AUTOMATIC_TAX = env.bool("STRIPE_AUTOMATIC_TAX", default=False)
# A subscriber's downgrade (a cheaper plan or fewer items): False bills it from the next period,
# the period paid for standing; True credits the unused time at once, used up by the next renewals.
# Upgrades are always prorated and charged at once.
SUBSCRIPTION_DOWNGRADES_CHARGE_NOW = env.bool("SUBSCRIPTION_DOWNGRADES_CHARGE_NOW", default=False)
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", default=20)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
# A worker processing a Stripe event this long is presumed dead: another may take the event over.
WEBHOOK_PROCESSING_LEASE_SECONDS = env.int("WEBHOOK_PROCESSING_LEASE_SECONDS", default=5 * 60)
STRIPE_WEBHOOK_MAX_BYTES = 256 * 1024

# --- Background work: Django's tasks, kept in MongoDB, run by `manage.py run_worker` -----------
# Another backend (django-tasks-rq on Redis, say) is one TASKS_BACKEND away (docs/background-work.md).
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="jobs.backend.MongoDBTaskBackend"),
        "OPTIONS": {
            # A worker holding a task renews this lease; one dead for this long loses the task.
            "LEASE_SECONDS": env.int("TASKS_LEASE_SECONDS", default=60),
            # Attempts in all; between them 10 s, 20 s, 40 s... at most an hour (about 2 h 20 min).
            "MAX_ATTEMPTS": env.int("TASKS_MAX_ATTEMPTS", default=10),
            "RETRY_BASE_SECONDS": env.float("TASKS_RETRY_BASE_SECONDS", default=10),
            "RETRY_MAX_SECONDS": 3600,
            "RESULT_DAYS": 7,
        },
    }
}
# Enqueued by the workers, each once every `every_seconds` however many workers run.
PERIODIC_TASKS = {
    "reconcile_stripe": {"task": "payments.tasks.stripe_reconcile", "every_seconds": 15 * 60},
    "retry_webhooks": {"task": "payments.tasks.webhook_events_retry", "every_seconds": 5 * 60},
    # Holds whose Checkout Session ended without a webhook: ask Stripe, then sell or release.
    "stock_holds_sweep": {"task": "inventory.tasks.stock_holds_sweep", "every_seconds": 5 * 60},
    # Every product page kept, so no shopper waits for a first render (catalog.product_page).
    "product_pages_render": {"task": "catalog.tasks.product_pages_render", "every_seconds": 5 * 60},
    # Emails whose delivery gave up (a long mail outage) or was never queued: delivered once, later.
    "unsent_emails_requeue": {"task": "jobs.tasks.unsent_emails_requeue", "every_seconds": 60 * 60},
    # Confirmations and shipping notices a change owed whose queuing failed.
    "order_emails_catch_up": {"task": "orders.tasks.order_emails_catch_up", "every_seconds": 60 * 60},
}

# --- Logging: structured lines on stdout ----------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
# The Stripe SDK logs two INFO lines per call: shown when asked for, or with everything at DEBUG.
STRIPE_LOG_LEVEL = env("STRIPE_LOG_LEVEL", default="DEBUG" if LOG_LEVEL == "DEBUG" else "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # No handler of its own (Django's default adds one): its records reach the root's once.
        "django": {"level": LOG_LEVEL},
        "django.db.backends": {"level": "WARNING"},
        "stripe": {"level": STRIPE_LOG_LEVEL},
    },
}

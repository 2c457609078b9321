"""Settings of the benchmarked shop: production settings, served over plain HTTP on 127.0.0.1.

bench/server.py sets every secret production requires (a throwaway SECRET_KEY, a webhook secret
the load tool signs with, a closed local port as the Stripe API) and DJANGO_SECURE_SSL_REDIRECT=false.
"""

from bench.db_commands import command_counter
from shop.settings.production import *  # noqa: F403
from shop.settings.production import DATABASES, MIDDLEWARE, env

ROOT_URLCONF = "bench.urls"
# Outermost, so the commands of every other middleware (the session save) are counted too.
MIDDLEWARE = ["bench.db_commands.db_command_headers", *MIDDLEWARE]
DATABASES["default"]["OPTIONS"]["event_listeners"] = [command_counter]

# The load tool speaks plain HTTP to 127.0.0.1, where secure cookies would never come back.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

STATIC_ROOT = env("BENCH_STATIC_ROOT")

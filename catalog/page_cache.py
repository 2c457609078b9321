"""The rendered catalog and product pages, kept in the shared cache until the catalog changes.

Every write that alters what shoppers see of the catalog calls catalog_changed(), which moves the
catalog's generation on; a page kept under an older generation is never read again (its entry
expires). So a price edit shows at once, in every worker process.

A page is also kept under the release that rendered it (a digest of the shop's templates, code and
static files' manifest): after a deploy no process serves a page of the release before, whose
stylesheet addresses would be gone, even while old and new processes share the cache.

What depends on the request stays out of the kept HTML: a page is rendered with markers in place
of the CSRF token and the signed-in shopper's email, and page_for_request() puts the real ones in.
"""

import functools
import hashlib
import time
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.utils.safestring import mark_safe

GENERATION_KEY = "catalog-generation"
# A page's entry outlives its generation only until then: keys made of shoppers' queries
# (searches, options) must not pile up.
PAGE_TIMEOUT = 60 * 60
CSRF_TOKEN_MARKER = "__csrf_token_of_the_request__"  # noqa: S105 - a placeholder, not a secret
EMAIL_MARKER = "__email_of_the_shopper__"


def catalog_changed() -> None:
    """Move the catalog's generation on, once the surrounding transaction commits (at once outside
    one): a page read before then shows the rows as committed, and is kept under the old one."""
    transaction.on_commit(_generation_bump)


def _generation_bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        # None yet (or the cache was emptied): a clock value never reuses a past generation.
        cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def catalog_generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        _generation_bump()
        generation = cache.get(GENERATION_KEY)
    return generation


def code_release() -> str:
    """Return a digest of what renders the pages: once per process, or per request under DEBUG,
    where the development server reloads an edited template without a new process."""
    return _code_digest.__wrapped__() if settings.DEBUG else _code_digest()


@functools.cache
def _code_digest() -> str:
    base = Path(settings.BASE_DIR)
    folders = [Path(folder) for config in settings.TEMPLATES for folder in config["DIRS"]]
    folders += [Path(app.path) for app in apps.get_app_configs() if Path(app.path).is_relative_to(base)]
    files = {
        path
        for folder in folders
        if "site-packages" not in folder.parts
        for suffix in ("*.html", "*.py")
        for path in folder.rglob(suffix)
    }
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.is_file():
        files.add(manifest)
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(base) if path.is_relative_to(base) else path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def page_key(kind: str, *parts) -> str:
    """The cache key of a page of `kind` under this release and the current generation, its `parts` hashed."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"catalog-page:{code_release()}:{catalog_generation()}:{kind}:{digest}"


def page_get(key: str) -> dict | None:
    return cache.get(key)


def page_set(key: str, page: dict) -> None:
    cache.set(key, page, timeout=PAGE_TIMEOUT)


def page_for_request(html: str, request) -> str:
    """Return kept HTML with this request's CSRF token and shopper's email in place of the markers."""
    if CSRF_TOKEN_MARKER in html:
        html = html.replace(CSRF_TOKEN_MARKER, get_token(request))
    if EMAIL_MARKER in html:
        user = request.user
        html = html.replace(EMAIL_MARKER, escape(user.email) if user.is_authenticated else "")
    return mark_safe(html)  # noqa: S308 - HTML rendered by our templates; the email is escaped

"""Rendered pages (catalog, product, cart), kept in the shared cache until the catalog changes.

Every write that alters what shoppers see of the catalog calls catalog_changed(), which moves the
catalog's generation on; a page kept under an older generation is never served again (it is
rendered anew in its place). So a price edit shows at once, in every worker process.

Stock moves at every checkout, and only product and cart pages show it: a write to variants calls
variants_changed(), which moves on the generation of those products' pages and the one every cart
page depends on, and leaves the other kept pages be.

A page is also kept under the release that rendered it (a digest of the shop's templates, code and
static files' manifest): after a deploy no process serves a page of the release before, whose
stylesheet addresses would be gone, even while old and new processes share the cache.

What depends on the request stays out of the kept HTML: a page is rendered with markers in place
of the CSRF token and the signed-in shopper's email, and page_for_request() puts the real ones in.
"""

import functools
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.utils.safestring import mark_safe

GENERATION_KEY = "catalog-generation"
# Moved on by every write to variants (stock, options): the cart pages depend on it.
VARIANTS_GENERATION_KEY = "catalog-generation:variants"
# Keys made of shoppers' queries (searches, options) must not pile up.
PAGE_TIMEOUT = 60 * 60
CSRF_TOKEN_MARKER = "__csrf_token_of_the_request__"  # noqa: S105 - a placeholder, not a secret
EMAIL_MARKER = "__email_of_the_shopper__"


def catalog_changed() -> None:
    """Move the catalog's generation on, once the surrounding transaction commits (at once outside
    one): a page read before then shows the rows as committed, and is kept under the old one."""
    transaction.on_commit(functools.partial(_generations_bump, [GENERATION_KEY]))


def variants_changed(product_slugs) -> None:
    """Move on the generations of the pages that show these products' variants, once the
    surrounding transaction commits: their product pages, and every cart page."""
    keys = [VARIANTS_GENERATION_KEY, *(product_generation_key(slug) for slug in product_slugs)]
    transaction.on_commit(functools.partial(_generations_bump, keys))


def product_generation_key(slug: str) -> str:
    return f"catalog-generation:product:{slug}"


def _generations_bump(keys) -> None:
    for key in keys:
        try:
            cache.incr(key)
        except ValueError:
            # None yet (or the cache was emptied): a clock value never reuses a past generation.
            cache.set(key, time.time_ns(), timeout=None)


def _generation(key: str, entries: dict) -> int:
    """Return the generation `key` read into `entries`; start it there and in the cache if none."""
    if entries.get(key) is None:
        # None yet (nothing changed since the cache was emptied): start one, unless a process
        # just did.
        generation = time.time_ns()
        entries[key] = generation if cache.add(key, generation, timeout=None) else cache.get(key)
    return entries[key]


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


@dataclass(frozen=True)
class KeptPage:
    """A page's place in the shared cache, the generations and stamp it was looked up under, and
    the page kept there under them (None when there is none: render it, then keep it)."""

    key: str
    generations: tuple
    stamp: str
    page: dict | None


@dataclass(frozen=True)
class PageAddress:
    """Which page: its kind and the parts that make it; `stamp` and `depends_on` as page_lookup()."""

    kind: str
    parts: tuple
    stamp: str = ""
    depends_on: tuple = ()


def page_lookup(kind: str, *parts, stamp: str = "", depends_on: tuple = ()) -> KeptPage:
    """Look up the page of `kind` whose `parts` (hashed) make it, under this release, in one read.

    The entry records the generations it was rendered under, rather than the key carrying them:
    they and the page then come back in one read, and a page rendered anew replaces its stale
    entry instead of leaving it to expire. A page depends on the catalog's generation and on those
    of `depends_on` (keys of VARIANTS_GENERATION_KEY, product_generation_key()). `stamp` is any
    other version the page must match (a cart's): one entry per page, whatever its versions.
    """
    [kept] = pages_lookup([PageAddress(kind, parts, stamp, depends_on)])
    return kept


def pages_lookup(addresses: list[PageAddress]) -> list[KeptPage]:
    """Look up several pages, as page_lookup() does one, in one read."""
    release = code_release()
    page_keys = [
        f"page:{release}:{address.kind}:{hashlib.sha256(repr(address.parts).encode()).hexdigest()}"
        for address in addresses
    ]
    generation_keys = [(GENERATION_KEY, *address.depends_on) for address in addresses]
    wanted = [key for keys in generation_keys for key in keys] + page_keys
    entries = cache.get_many(list(dict.fromkeys(wanted)))
    found = []
    for address, page_key, keys in zip(addresses, page_keys, generation_keys, strict=True):
        generations = tuple(_generation(key, entries) for key in keys)
        entry = entries.get(page_key)
        fresh = entry and tuple(entry["generations"]) == generations and entry["stamp"] == address.stamp
        page = entry["page"] if fresh else None
        found.append(KeptPage(key=page_key, generations=generations, stamp=address.stamp, page=page))
    return found


def page_keep(kept: KeptPage, page: dict) -> None:
    """Keep `page`, rendered from rows read after `kept` was looked up, under its generations: a
    change during the render moved one of them on, so it is never served."""
    cache.set(
        kept.key,
        {"generations": kept.generations, "stamp": kept.stamp, "page": page},
        timeout=PAGE_TIMEOUT,
    )


def page_for_request(html: str, request) -> str:
    """Return kept HTML with this request's CSRF token and shopper's email in place of the markers."""
    if CSRF_TOKEN_MARKER in html:
        html = html.replace(CSRF_TOKEN_MARKER, get_token(request))
    if EMAIL_MARKER in html:
        user = request.user
        html = html.replace(EMAIL_MARKER, escape(user.email) if user.is_authenticated else "")
    return mark_safe(html)  # noqa: S308 - HTML rendered by our templates; the email is escaped

from django.core.cache import caches
from django.utils.functional import SimpleLazyObject

from catalog.selectors import collections_for_navigation

NAVIGATION_CACHE_KEY = "catalog-navigation"


def navigation(request):
    """Expose the collections of the main navigation, read only if a template shows them.

    Kept a minute in each process: every page shows them, and a collection's count of products
    may lag that long. Changes to collections clear it at once (catalog.signals).
    """
    return {"navigation_collections": SimpleLazyObject(navigation_collections)}


def navigation_collections() -> list:
    cache = caches["navigation"]
    collections = cache.get(NAVIGATION_CACHE_KEY)
    if collections is None:
        collections = collections_for_navigation()
        cache.set(NAVIGATION_CACHE_KEY, collections)
    return collections


def navigation_forget() -> None:
    caches["navigation"].delete(NAVIGATION_CACHE_KEY)

"""Keep the pages of a shopper's own data out of shared and browser caches.

A proxy must not serve one shopper's account or order to another, and a shared computer's back
button must not bring them back after sign-out.
"""

from django.urls import URLPattern, URLResolver, include
from django.views.decorators.cache import cache_control

private_no_store = cache_control(private=True, no_store=True)


def private_include(urlconf):
    """Return include(urlconf) with every view under it answering Cache-Control: private, no-store."""
    urlconf_module, app_name, namespace = include(urlconf)
    patterns = getattr(urlconf_module, "urlpatterns", urlconf_module)
    return _private_patterns(patterns), app_name, namespace


def _private_patterns(patterns):
    private = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            private.append(
                URLResolver(
                    pattern.pattern,
                    _private_patterns(pattern.url_patterns),
                    pattern.default_kwargs,
                    pattern.app_name,
                    pattern.namespace,
                )
            )
        else:
            private.append(
                URLPattern(
                    pattern.pattern, private_no_store(pattern.callback), pattern.default_args, pattern.name
                )
            )
    return private

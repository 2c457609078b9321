import logging

from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def health(request):
    """Answer 200 when the database answers a ping, 503 otherwise (for load balancers)."""
    try:
        connection.database.command("ping")
    except Exception:
        logger.exception("health check: database ping failed")
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


@cache_control(max_age=60 * 60 * 24)
@require_GET
def favicon(request):
    """Send what asks for /favicon.ico (admin pages, feed readers) to the shop's icon."""
    # Not permanent: the icon's address changes with its content in production (hashed names).
    return HttpResponseRedirect(static("favicon.svg"))


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors that could touch the database again.
    return render(request, "500.html", status=500)

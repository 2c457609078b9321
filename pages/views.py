from django.conf import settings
from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpResponse
from django.urls import reverse
from django.utils.module_loading import import_string
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.generic import DetailView

from pages.models import Page

# Pages that are a shopper's own or a step of checkout: nothing for a search engine.
ROBOTS_DISALLOWED = ["/admin/", "/cart/", "/orders/", "/payments/", "/accounts/"]


class PageDetailView(DetailView):
    model = Page
    template_name = "pages/page_detail.html"
    context_object_name = "page"


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    """Tell crawlers what to leave alone and where the sitemap is."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOWED)]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('pages:sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_GET
def sitemap(request):
    """Serve sitemap.xml: one section per Sitemap class of settings.SITEMAPS."""
    sections = {name: import_string(path) for name, path in settings.SITEMAPS.items()}
    return sitemap_views.sitemap(request, sitemaps=sections)

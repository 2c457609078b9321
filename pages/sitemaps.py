from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from pages.models import Page


class HomeSitemap(Sitemap):
    """The catalog's first page, the shop's front door."""

    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["catalog:product_list"]

    def location(self, item):
        return reverse(item)


class PageSitemap(Sitemap):
    """The shop's information pages written in admin (contact, shipping, returns, privacy, terms)."""

    changefreq = "monthly"
    priority = 0.3

    def items(self):
        return Page.objects.order_by("slug")

    def lastmod(self, page):
        return page.updated_at

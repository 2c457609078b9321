from django.contrib.sitemaps import Sitemap

from catalog.models import Product


class ProductSitemap(Sitemap):
    """Every product page a shopper can open: for sale, not deleted."""

    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return Product.objects.for_sale().order_by("slug").only("slug", "updated_at")

    def lastmod(self, product):
        return product.updated_at

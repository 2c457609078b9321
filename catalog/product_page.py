"""The product page's kept parts (catalog.page_cache): looked up, rendered, and rendered ahead.

A product page shows its product only (prices, variants and their stock, pictures) and nothing of
the shopper: their CSRF token and email are put in per request. So each product's page can be
rendered before anyone asks for it. The worker does that (catalog.tasks): a shopper or a search
engine opening any product of a large catalog is served a kept page, not a first render.
"""

import itertools
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse

from catalog.models import Product
from catalog.page_cache import (
    CSRF_TOKEN_MARKER,
    EMAIL_MARKER,
    KeptPage,
    PageAddress,
    page_keep,
    pages_lookup,
    product_generation_key,
)
from catalog.selectors import (
    product_gallery,
    product_option_pickers,
    product_prices_for_sale,
    product_variants,
    variant_choose,
)
from catalog.seo import product_description, product_json_ld
from catalog.stock import StockLevel

# Pages looked up at once by a pass rendering ahead: one read tells which of them to render.
LOOKUP_BATCH = 100


def product_page(request, slug: str) -> dict:
    """Return the parts of the page of product `slug` with the options of the request's query:
    kept, or rendered and kept. Raise Http404 for a product not for sale."""
    kept = product_page_lookup(slug, query=request.GET)
    if kept.page is not None:
        return kept.page
    page = product_page_render(request, slug)
    page_keep(kept, page)
    return page


def product_page_lookup(slug: str, *, query) -> KeptPage:
    [kept] = product_pages_lookup([slug], query=query)
    return kept


def product_pages_lookup(slugs, *, query) -> list[KeptPage]:
    # A stock movement makes its product's page stale, not every product's.
    options = sorted(query.lists())
    return pages_lookup(
        [
            PageAddress("product", (slug, options), depends_on=(product_generation_key(slug),))
            for slug in slugs
        ]
    )


def product_page_render(request, slug: str) -> dict:
    """Render the parts of the page (head, content, the product's name), with markers for the
    shopper's CSRF token and email."""
    product = get_object_or_404(Product.objects.for_sale(), slug=slug)
    variants = product_variants(product)
    selected = variant_choose(product, variants, request.GET.dict())
    prices = product_prices_for_sale(product)
    if product.option_axes:
        prices = [price for price in prices if selected is not None and price.variant_id == selected.pk]
    product.selected_variant = selected
    product.prices_for_sale = prices
    sold_out = [variant for variant in variants if StockLevel.of(variant).is_sold_out]
    gallery = product_gallery(product, variant=selected)
    # On the shop's address, not the request's: the page is the same whichever host was asked.
    image_urls = [urljoin(settings.SHOP_BASE_URL, image.image.url) for image in gallery]
    description = product_description(product, site_name=settings.SITE_NAME)
    context = {
        "product": product,
        "gallery": gallery,
        "cart_max_quantity": settings.CART_MAX_QUANTITY,
        "option_pickers": product_option_pickers(product, variants, selected),
        "stock": StockLevel.of(selected),
        "seo_description": description,
        "seo_image": image_urls[0] if image_urls else "",
        "product_json_ld": product_json_ld(
            product,
            prices=prices,
            sold_out_variant_ids={variant.pk for variant in sold_out},
            image_urls=image_urls,
            url=settings.SHOP_BASE_URL + request.path,
            description=description,
        ),
        "csrf_token": CSRF_TOKEN_MARKER,
        "shopper_email": EMAIL_MARKER,
    }
    return {
        "product_name": product.name,
        "seo": render_to_string("catalog/product_detail_seo.html", context, request=request),
        "content": render_to_string("catalog/product_detail_content.html", context, request=request),
    }


def product_pages_render_ahead() -> int:
    """Render and keep the page, no option chosen, of every product for sale whose page is not
    kept or is stale; return how many were rendered."""
    request = _anonymous_request()
    rendered = 0
    slugs = Product.objects.for_sale().order_by("pk").values_list("slug", flat=True)
    for batch in itertools.batched(slugs, LOOKUP_BATCH, strict=False):
        for slug, kept in zip(batch, product_pages_lookup(batch, query=request.GET), strict=True):
            if kept.page is not None:
                continue
            request.path = request.path_info = reverse("catalog:product_detail", args=[slug])
            try:
                page = product_page_render(request, slug)
            except Http404:
                continue  # Taken off sale since the list was read.
            page_keep(kept, page)
            rendered += 1
    return rendered


def _anonymous_request() -> HttpRequest:
    """A GET with no query by a shopper not signed in, on the shop's address: what the context
    processors and templates read of a request."""
    request = HttpRequest()
    request.method = "GET"
    address = urlsplit(settings.SHOP_BASE_URL)
    request.META = {
        "SERVER_NAME": address.hostname,
        "SERVER_PORT": str(address.port or (443 if address.scheme == "https" else 80)),
        "wsgi.url_scheme": address.scheme,
    }
    request.user = AnonymousUser()
    return request

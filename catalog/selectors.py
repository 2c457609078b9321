"""Reads for the shop's catalog pages: a fixed number of database commands per page."""

from collections import defaultdict
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Min, Prefetch, Q

from catalog.models import Price, PriceType, Product


class PriceKind(models.TextChoices):
    ONE_TIME = "one-time", "One-time purchase"
    SUBSCRIPTION = "subscription", "Subscription"


class ProductSort(models.TextChoices):
    NEWEST = "newest", "Newest"
    PRICE_LOW_HIGH = "price", "Price: low to high"
    PRICE_HIGH_LOW = "-price", "Price: high to low"


PRICE_TYPE_OF_KIND = {PriceKind.ONE_TIME: PriceType.ONE_TIME, PriceKind.SUBSCRIPTION: PriceType.RECURRING}


@dataclass(frozen=True)
class GalleryImage:
    url: str
    alt: str


def product_list_page(
    *, search: str = "", kind: str = "", sort: str = ProductSort.NEWEST, page_number=1, per_page: int = 24
) -> Page:
    """Return one page of products a shopper can buy, each with `shop_prices` and `lowest_price`.

    A product is listed when it is available and has an available price (of `kind`, if given).
    Four database commands whatever the size of the catalog: the lowest price of every such
    product (one $group), the matching products (a count and a slice, or their ids when sorting
    by price across all pages), and the prices of the page's products.
    """
    prices = Price.objects.available().order_by()
    if kind:
        prices = prices.filter(type=PRICE_TYPE_OF_KIND[kind])
    lowest_amounts = {
        row["product_id"]: row["lowest_amount"]
        for row in prices.values("product_id").annotate(lowest_amount=Min("unit_amount"))
    }
    products = Product.objects.available().filter(pk__in=list(lowest_amounts))
    for term in search.split():
        products = products.filter(Q(name__icontains=term) | Q(description__icontains=term))
    products = products.order_by("-created_at", "-pk")

    if sort == ProductSort.NEWEST:
        page = Paginator(products, per_page).get_page(page_number)
        page_products = list(page.object_list)
    else:
        # Sort every match, not just one page; newest first among equal prices (the sort is stable).
        product_ids = list(products.values_list("pk", flat=True))
        product_ids.sort(key=lowest_amounts.__getitem__, reverse=sort == ProductSort.PRICE_HIGH_LOW)
        page = Paginator(product_ids, per_page).get_page(page_number)
        products_by_id = Product.objects.in_bulk(list(page.object_list))
        page_products = [products_by_id[pk] for pk in page.object_list if pk in products_by_id]

    _attach_prices(page_products, kind=kind)
    page.object_list = page_products
    return page


def _attach_prices(products, *, kind):
    prices_by_product = defaultdict(list)
    if products:
        page_prices = Price.objects.available().filter(product_id__in=[product.pk for product in products])
        for price in page_prices.order_by("unit_amount", "pk"):
            prices_by_product[price.product_id].append(price)
    wanted_type = PRICE_TYPE_OF_KIND.get(kind)
    for product in products:
        product.shop_prices = prices_by_product[product.pk]
        listed = [price for price in product.shop_prices if wanted_type in (None, price.type)]
        product.listed_price_count = len(listed)
        product.lowest_price = listed[0] if listed else None


def product_available_with_prices():
    """Return available products, each with its available prices, cheapest first, as `shop_prices`."""
    return Product.objects.available().prefetch_related(
        Prefetch(
            "prices", queryset=Price.objects.available().order_by("unit_amount", "pk"), to_attr="shop_prices"
        )
    )


def product_gallery(product: Product) -> list[GalleryImage]:
    """Return the product's images with alt text (metadata["image_alts"], else the product's name)."""
    alts = product.metadata.get("image_alts", []) if isinstance(product.metadata, dict) else []
    count = len(product.images)
    gallery = []
    for index, url in enumerate(product.image_urls):
        if index < len(alts) and alts[index]:
            alt = alts[index]
        elif count == 1:
            alt = product.name
        else:
            alt = f"{product.name}, picture {index + 1} of {count}"
        gallery.append(GalleryImage(url=url, alt=alt))
    return gallery

"""Reads for the shop's catalog pages: a fixed number of database commands per page."""

from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Q

from catalog.models import (
    LOWEST_AMOUNT_FIELD_OF_TYPE,
    PRICE_SUMMARY_ALL,
    SYNC_ERROR_KEY,
    Price,
    PriceType,
    Product,
    ProductImage,
)


class PriceKind(models.TextChoices):
    ONE_TIME = "one-time", "One-time purchase"
    SUBSCRIPTION = "subscription", "Subscription"


class ProductSort(models.TextChoices):
    NEWEST = "newest", "Newest"
    PRICE_LOW_HIGH = "price", "Price: low to high"
    PRICE_HIGH_LOW = "-price", "Price: high to low"


PRICE_TYPE_OF_KIND = {PriceKind.ONE_TIME: PriceType.ONE_TIME, PriceKind.SUBSCRIPTION: PriceType.RECURRING}


def product_list_page(
    *, search: str = "", kind: str = "", sort: str = ProductSort.NEWEST, page_number=1, per_page: int = 24
) -> Page:
    """Return one page of products a shopper can buy, each with `lowest_price` and `listed_price_count`.

    A product is listed when it is for sale and has a price for sale (of `kind`, if given).
    Two database commands whatever the size of the catalog, a count and a slice, both on the
    products' price summary (catalog.models.product_refresh_price_summary) and its indexes.
    """
    price_type = PRICE_TYPE_OF_KIND.get(kind, PRICE_SUMMARY_ALL)
    amount_field = LOWEST_AMOUNT_FIELD_OF_TYPE[price_type]
    products = Product.objects.for_sale().filter(**{f"{amount_field}__isnull": False})
    for term in search.split():
        products = products.filter(Q(name__icontains=term) | Q(description__icontains=term))
    # Newest first among equal prices, in both directions.
    ordering = {
        ProductSort.PRICE_LOW_HIGH: [amount_field],
        ProductSort.PRICE_HIGH_LOW: [f"-{amount_field}"],
    }.get(sort, [])
    page = Paginator(products.order_by(*ordering, "-created_at", "-pk"), per_page).get_page(page_number)
    page.object_list = list(page.object_list)
    for product in page.object_list:
        product.lowest_price, product.listed_price_count = product.listed_price(price_type)
    return page


def product_prices_for_sale(product: Product) -> list[Price]:
    """Return the product's prices for sale, cheapest first."""
    # See docs/embedded-mongodb.md, "Query shapes and the embedded engine".
    return list(Price.objects.filter(product=product).for_sale().order_by("unit_amount", "pk"))


def product_gallery(product: Product) -> list[ProductImage]:
    """Return the product's images in their order, the main one first."""
    return list(ProductImage.objects.filter(product=product).order_by("position", "pk"))


def row_awaits_push(row: Product | Price) -> bool:
    """Return whether the row's last push to Stripe failed: Stripe may still hold its old terms."""
    return SYNC_ERROR_KEY in (row.metadata or {})

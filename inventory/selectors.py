"""Reads of stock for pages: a fixed number of database commands each."""

from django.conf import settings

from catalog.models import Variant
from inventory.models import StockHold, StockHoldState


def order_sold_holds(*, order_number: str) -> list[StockHold]:
    """Return the order's sales of tracked items, with their variants (what a refund can put back)."""
    return list(
        StockHold.objects.filter(order_number=order_number, state=StockHoldState.SOLD)
        .select_related("variant__product")
        .order_by("created_at", "pk")
    )


def order_units_to_put_back(*, order_number: str) -> int:
    """Return how many units the order bought that have not been put back on the shelf."""
    sold = StockHold.objects.filter(order_number=order_number, state=StockHoldState.SOLD)
    return sum(hold.units_to_put_back for hold in sold.only("quantity", "restocked"))


def variants_low_stock(queryset=None):
    """Filter tracked variants with STOCK_LOW_THRESHOLD or fewer available (index variant_low_stock)."""
    queryset = Variant.objects.all() if queryset is None else queryset
    return queryset.filter(track_stock=True, available__lte=settings.STOCK_LOW_THRESHOLD)


def variant_count_low_stock() -> int:
    return variants_low_stock().count()

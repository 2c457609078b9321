"""Reads of stock for pages: a fixed number of database commands each."""

from inventory.models import StockHold, StockHoldState


def order_sold_holds(*, order_number: str) -> list[StockHold]:
    """Return the order's sales of tracked items, with their variants (what a refund can put back)."""
    return list(
        StockHold.objects.filter(order_number=order_number, state=StockHoldState.SOLD)
        .select_related("variant__product")
        .order_by("created_at", "pk")
    )

"""What shoppers are told about a variant's stock: "In stock", "Only 3 left", "Sold out"."""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class StockLevel:
    tracked: bool
    available: int
    sell_when_out: bool = False

    @classmethod
    def of(cls, variant) -> "StockLevel":
        """Return the stock level of `variant`; a missing variant is an item that is never counted."""
        if variant is None or not variant.track_stock:
            return cls(tracked=False, available=0)
        return cls(tracked=True, available=max(variant.available, 0), sell_when_out=variant.sell_when_out)

    @property
    def is_sold_out(self) -> bool:
        return self.tracked and not self.sell_when_out and self.available == 0

    @property
    def is_low(self) -> bool:
        return self.tracked and 0 < self.available <= settings.STOCK_LOW_THRESHOLD

    @property
    def label(self) -> str:
        if not self.tracked or (self.available == 0 and self.sell_when_out):
            return "In stock" if not self.tracked else "Available to order"
        if self.available == 0:
            return "Sold out"
        if self.is_low:
            return f"Only {self.available} left"
        return "In stock"

    def allows(self, quantity: int) -> bool:
        """Return whether a shopper may have `quantity` of it."""
        return not self.tracked or self.sell_when_out or quantity <= self.available

    def most(self, *, elsewhere: int = 0) -> int | None:
        """Return how many a shopper may have beside `elsewhere` units already in their cart; None
        when the stock sets no limit (not counted, or sold when out)."""
        if not self.tracked or self.sell_when_out:
            return None
        return max(self.available - elsewhere, 0)

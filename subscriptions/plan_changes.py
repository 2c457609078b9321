"""What a customer asks to change in a subscription's plan, and what the payment provider says it
costs, passed between subscriptions.services and the payment gateway."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PlanChange:
    """One item of the subscription moved to another price or quantity.

    `charge_now`: prorated and charged at once (an upgrade), else the new price is billed from
    the next period. `restarts_period`: billed at another interval, the new plan's first period
    starts now and is charged at once, less the unused time of the old one. `proration_date` (a
    Unix time, the provider's clock) is the moment its preview counted the proration from, so
    that the change charges what the preview showed; None before the preview. `ships_goods`: the
    new plan's product is delivered, so a charge for the rest of a period, whose delivery has gone,
    ships nothing until the next renewal.
    """

    stripe_item_id: str
    stripe_price_id: str
    quantity: int
    charge_now: bool
    restarts_period: bool
    proration_date: int | None
    product_name: str
    unit_amount: int
    interval: str
    interval_count: int
    ships_goods: bool

    @property
    def amount_per_period(self) -> int:
        return self.unit_amount * self.quantity

    @property
    def ships_from_renewal(self) -> bool:
        """Whether it is charged now for the rest of a period whose delivery went out already."""
        return self.ships_goods and self.charge_now and not self.restarts_period


@dataclass(frozen=True)
class ChangePreview:
    """What the change costs: charged now (less the unused time credited), and each period from
    the next renewal (`amount_next`, on `next_at`), as the provider will charge them."""

    change: PlanChange
    currency: str
    amount_now: int = 0
    # A downgrade charged now credits more than it charges: the rest pays the next renewals.
    credit_now: int = 0
    amount_next: int | None = None
    next_at: datetime | None = None
    proration_date: int | None = None

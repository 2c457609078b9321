"""Holds whose checkout ended without the shop hearing of it: asked of Stripe, and settled."""

import logging
from datetime import timedelta

from django.utils import timezone

from inventory.models import StockHold, StockHoldState
from inventory.services import stock_release_for_order, stock_sell_for_order
from orders.models import Order, OrderStatus
from payments.confirmation import checkout_session_confirm

logger = logging.getLogger(__name__)

# A completed checkout whose bank payment is still settling keeps its units; asked again after this.
SETTLING_RECHECK = timedelta(hours=1)


def stock_holds_settle_expired(*, now=None) -> int:
    """Settle every order holding stock past its session's expiry; return how many orders were seen.

    Stripe is asked for the session (payments.confirmation applies it to the order, whose status
    moves then sell or release the units). A hold left HELD after that follows its order: paid,
    sold; ended, released; still settling, kept an hour more. A hold with no order (the checkout
    died before storing it) is released.
    """
    now = now or timezone.now()
    numbers = sorted(
        set(
            StockHold.objects.filter(state=StockHoldState.HELD, expires_at__lt=now).values_list(
                "order_number", flat=True
            )
        )
    )
    for number in numbers:
        try:
            _settle(number, now)
        except Exception:
            # One order's failure (Stripe unreachable) must not stop the others; the next sweep retries.
            logger.exception("stock sweep: order %s could not be settled", number)
    return len(numbers)


def _settle(number: str, now) -> None:
    order = Order.objects.filter(number=number).first()
    if order is None or not order.stripe_checkout_session_id:
        stock_release_for_order(order_number=number, note="no order was stored for this checkout")
        return
    order = checkout_session_confirm(session_id=order.stripe_checkout_session_id)
    order.refresh_from_db()
    if order.payment_status in Order.PAID_LIKE_STATUSES:
        stock_sell_for_order(order_number=number)
    elif order.status != OrderStatus.PENDING:
        stock_release_for_order(order_number=number, note=f"order {order.status.lower()}")
    else:
        StockHold.objects.filter(order_number=number, state=StockHoldState.HELD).update(
            expires_at=now + SETTLING_RECHECK, updated_at=now
        )

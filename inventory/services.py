"""Every move of stock: hold at checkout, sell when paid, release when the checkout ends unpaid,
take for a paid renewal, adjust and restock by staff.

Each move of a variant's counters is ONE conditional update of its document, so two shoppers can
never take the same last unit, and the counters keep available + held = on_hand and
on_hand + sold = received. Each move of a hold is one conditional update of its state, so a sale
or a release happens once however often the same end is reported. No transaction: on the
embedded engine a transaction on the variant would lose to every concurrent checkout and retry.
The counters move first and the hold's row records it after, so a process that dies between the
two leaves units unsellable, never sold twice (`manage.py stock_reconcile` puts them right).
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError
from django.db.models import F, Sum
from django.utils import timezone

from catalog.models import Variant
from inventory.exceptions import NotEnoughStock
from inventory.models import BackInStockRequest, StockAdjustment, StockHold, StockHoldState
from inventory.tasks import back_in_stock_notify
from orders.models import Order, OrderItem
from orders.services import order_flag_for_staff

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StockLine:
    """Units of a variant a checkout or an order wants; `name` is how the shopper knows the item."""

    variant_id: object
    quantity: int
    name: str = ""


def stock_hold_for_checkout(*, order_number: str, lines: list[StockLine], expires_at: datetime) -> None:
    """Hold every line's units for the checkout `order_number` until `expires_at`: all or none.

    Lines of one variant are added up; untracked variants hold nothing. Raise NotEnoughStock
    (naming the first line short and how many are left), giving back what was taken, when a
    line cannot be held. Holding again for the same order changes nothing.
    """
    wanted = _by_variant(lines)
    variants = Variant.objects.in_bulk(list(wanted))
    taken = []
    try:
        for variant_id, (quantity, name) in wanted.items():
            variant = variants.get(variant_id)
            if variant is None or not variant.track_stock:
                continue
            if _hold_take(
                variant=variant, order_number=order_number, quantity=quantity, expires_at=expires_at
            ):
                taken.append(variant)
            elif not StockHold.objects.filter(
                order_number=order_number, variant=variant, state=StockHoldState.HELD
            ).exists():
                left = Variant.objects.filter(pk=variant.pk).values_list("available", flat=True).first() or 0
                raise NotEnoughStock(name=name, available=max(left, 0))
    except BaseException:
        for variant in taken:
            _hold_release(variant_id=variant.pk, order_number=order_number)
        raise


def stock_release_for_order(*, order_number: str, note: str) -> int:
    """Give back the units the order holds (its checkout ended unpaid); return how many holds moved."""
    released = 0
    for hold in StockHold.objects.filter(order_number=order_number, state=StockHoldState.HELD):
        released += _hold_release(variant_id=hold.variant_id, order_number=order_number)
    if released:
        logger.info("order %s: %d stock hold(s) released: %s", order_number, released, note)
    return released


def stock_sell_for_order(*, order_number: str) -> int:
    """Turn the order's holds into sales (it is paid): the units leave the shelf. Return how many moved.

    A hold released before the payment arrived (a payment that settled after its session's
    expiry was swept) takes its units again if there are any, else the order is a backorder,
    flagged for staff as a renewal's is.
    """
    sold, short = 0, []
    holds = StockHold.objects.filter(order_number=order_number).exclude(state=StockHoldState.SOLD)
    for hold in holds.select_related("variant__product"):
        if hold.state == StockHoldState.HELD:
            # The counters first, as a take does: a process that dies before the hold records the
            # sale leaves `sold` ahead of the SOLD holds, which stock_reconcile_held undoes (the
            # HELD hold is sold again when the payment is next reported), and the variant's moved
            # updated_at keeps the repair off it meanwhile.
            _counters_sell(variant_id=hold.variant_id, quantity=hold.quantity)
            if StockHold.objects.filter(pk=hold.pk, state=StockHoldState.HELD).update(
                state=StockHoldState.SOLD, updated_at=timezone.now()
            ):
                sold += 1
            else:
                # A concurrent report of the same payment sold it first.
                _counters_sell(variant_id=hold.variant_id, quantity=-hold.quantity)
        elif hold.state == StockHoldState.RELEASED and StockHold.objects.filter(
            pk=hold.pk, state=StockHoldState.RELEASED
        ).update(state=StockHoldState.BACKORDERED, updated_at=timezone.now()):
            taken = _take_for_paid(variant_id=hold.variant_id, quantity=hold.quantity)
            if taken:
                StockHold.objects.filter(pk=hold.pk).update(
                    state=StockHoldState.SOLD, updated_at=timezone.now()
                )
                sold += 1
            else:
                short.append(str(hold.variant))
    order = Order.objects.filter(number=order_number).first() if short else None
    if order is not None:
        note = (
            f"Backorder: no stock of {', '.join(short)} when the payment arrived after its checkout's "
            "hold had ended; ship it once restocked."
        )
        logger.warning("order %s: %s", order_number, note)
        order_flag_for_staff(order=order, note=note)
    return sold


def stock_take_for_paid_order(*, order_number: str, lines: list[StockLine]) -> list[str]:
    """Take the units of an order Stripe has already charged (a renewal): never refused.

    Return the names of the lines there was no stock for: the order is then a backorder, for
    staff. Taking again for the same order changes nothing.
    """
    short = []
    for variant_id, (quantity, name) in _by_variant(lines).items():
        if not Variant.objects.filter(pk=variant_id, track_stock=True).exists():
            continue
        try:
            hold = StockHold.objects.create(
                order_number=order_number,
                variant_id=variant_id,
                quantity=quantity,
                state=StockHoldState.BACKORDERED,
            )
        except IntegrityError:
            continue  # Taken by an earlier delivery of the same payment.
        if _take_for_paid(variant_id=variant_id, quantity=quantity):
            StockHold.objects.filter(pk=hold.pk).update(state=StockHoldState.SOLD, updated_at=timezone.now())
        else:
            short.append(name)
    return short


def stock_take_for_renewal(*, order: Order) -> list[str]:
    """Take the units of a paid renewal order of a physical subscription; Stripe has charged it, so
    it is never refused: lines with no stock make it a backorder, flagged for staff. Return their names.

    An order nothing ships for (a plan change's rest of a period) takes nothing."""
    if not order.needs_fulfilment:
        return []
    items = list(OrderItem.objects.filter(order=order, price__isnull=False).select_related("price"))
    short = stock_take_for_paid_order(
        order_number=order.number,
        lines=[
            StockLine(variant_id=item.price.variant_id, quantity=item.quantity, name=item.name)
            for item in items
        ],
    )
    if short:
        note = f"Backorder: no stock of {', '.join(short)} when the renewal was paid; ship it once restocked."
        logger.warning("order %s: %s", order.number, note)
        order_flag_for_staff(order=order, note=note)
    return short


def stock_adjust(
    *, variant: Variant, quantity: int, reason: str, user=None, order_number: str = ""
) -> StockAdjustment:
    """Add `quantity` (negative: take away) to the variant's stock on hand, and record who and why.

    Units held by open checkouts cannot be taken away: raise NotEnoughStock when fewer than
    -`quantity` are available. A variant that comes back in stock emails who asked for it.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("A stock adjustment needs a reason.")
    guard = {"available__gte": -quantity} if quantity < 0 else {}
    updated = Variant.objects.filter(pk=variant.pk, **guard).update(
        on_hand=F("on_hand") + quantity,
        available=F("available") + quantity,
        received=F("received") + quantity,
        updated_at=timezone.now(),
    )
    if not updated:
        left = Variant.objects.filter(pk=variant.pk).values_list("available", flat=True).first() or 0
        raise NotEnoughStock(name=str(variant), available=max(left, 0))
    variant.refresh_from_db(fields=["on_hand", "held", "available", "sold", "received"])
    order = Order.objects.filter(number=order_number).first() if order_number else None
    adjustment = StockAdjustment.objects.create(
        variant=variant,
        quantity=quantity,
        reason=reason[:255],
        user=user if getattr(user, "pk", None) else None,
        order=order,
        on_hand_after=variant.on_hand,
    )
    if quantity > 0:
        _notify_if_back(variant.pk)
    return adjustment


def stock_restock_for_refund(
    *, order_number: str, variant: Variant, quantity: int, user, reason: str
) -> StockAdjustment:
    """Put back `quantity` units sold to the order (a refund or return): at most what it bought and
    has not put back already, counted with one conditional write on its hold."""
    if quantity < 1:
        raise ValueError("Restock at least one unit.")
    restocked = StockHold.objects.filter(
        order_number=order_number,
        variant=variant,
        state=StockHoldState.SOLD,
        restocked__lte=F("quantity") - quantity,
    ).update(restocked=F("restocked") + quantity, updated_at=timezone.now())
    if not restocked:
        raise NotEnoughStock(name=str(variant), available=0, restock=True)
    return stock_adjust(
        variant=variant, quantity=quantity, reason=reason, user=user, order_number=order_number
    )


# A variant whose counters moved more recently may have a hold being recorded right now.
RECONCILE_QUIET = timedelta(minutes=1)


def stock_reconcile_held(*, dry_run: bool = False) -> list[tuple[str, int, int]]:
    """Make each tracked variant's `held` equal its HELD holds; return (sku, held, recorded) for
    each variant that differed.

    Units counted held without a HELD hold (a checkout that died before recording its hold) go
    back to `available`. Units missing from `held` while their HELD hold is there were counted
    sold by a sale that died before recording it (`sold` is then ahead of the SOLD holds): that
    sale is undone on the counters, and the hold is sold when its payment is next reported (a
    webhook retried, the sweep). Only variants quiet for RECONCILE_QUIET are changed, each with
    one write conditional on its counters being as read, so a checkout taking units meanwhile is
    never undone.
    """
    recorded = defaultdict(int)
    for variant_id, quantity in StockHold.objects.filter(state=StockHoldState.HELD).values_list(
        "variant_id", "quantity"
    ):
        recorded[variant_id] += quantity
    quiet_since = timezone.now() - RECONCILE_QUIET
    fixed = []
    for variant in Variant.objects.filter(track_stock=True, updated_at__lt=quiet_since):
        difference = variant.held - recorded[variant.pk]
        if not difference:
            continue
        unrecorded_sales = 0
        if difference < 0:
            sold_recorded = StockHold.objects.filter(variant=variant, state=StockHoldState.SOLD).aggregate(
                total=Sum("quantity")
            )["total"]
            unrecorded_sales = min(-difference, max(variant.sold - (sold_recorded or 0), 0))
        if dry_run or Variant.objects.filter(
            pk=variant.pk, held=variant.held, sold=variant.sold, updated_at=variant.updated_at
        ).update(
            held=F("held") - difference,
            available=F("available") + difference + unrecorded_sales,
            on_hand=F("on_hand") + unrecorded_sales,
            sold=F("sold") - unrecorded_sales,
            updated_at=timezone.now(),
        ):
            fixed.append((variant.sku, variant.held, recorded[variant.pk]))
    if fixed and not dry_run:
        logger.warning("stock reconciled: %s", fixed)
    return fixed


def _by_variant(lines: list[StockLine]) -> dict:
    wanted: dict = {}
    for line in lines:
        if line.variant_id is None:
            continue
        quantity, name = wanted.get(line.variant_id, (0, line.name))
        wanted[line.variant_id] = (quantity + line.quantity, name)
    return wanted


def _hold_take(*, variant: Variant, order_number: str, quantity: int, expires_at: datetime) -> bool:
    """Take `quantity` of `variant` for the order with one conditional write, then record the hold.

    Return False, changing nothing, when too few are available (or the order holds it already).
    """
    guard = {} if variant.sell_when_out else {"available__gte": quantity}
    if not Variant.objects.filter(pk=variant.pk, track_stock=True, **guard).update(
        available=F("available") - quantity, held=F("held") + quantity, updated_at=timezone.now()
    ):
        return False
    try:
        StockHold.objects.create(
            order_number=order_number, variant=variant, quantity=quantity, expires_at=expires_at
        )
        return True
    except IntegrityError:
        pass
    # The order held this variant before: a finished earlier attempt's hold is taken again;
    # a concurrent twin's (a double click) is the twin's, and these units go back.
    if StockHold.objects.filter(
        order_number=order_number, variant=variant, state=StockHoldState.RELEASED
    ).update(state=StockHoldState.HELD, quantity=quantity, expires_at=expires_at, updated_at=timezone.now()):
        return True
    _counters_give_back(variant_id=variant.pk, quantity=quantity)
    return False


def _hold_release(*, variant_id, order_number: str) -> int:
    hold = StockHold.objects.filter(order_number=order_number, variant_id=variant_id).first()
    if hold is None or not StockHold.objects.filter(pk=hold.pk, state=StockHoldState.HELD).update(
        state=StockHoldState.RELEASED, updated_at=timezone.now()
    ):
        return 0
    _counters_give_back(variant_id=variant_id, quantity=hold.quantity)
    return 1


def _counters_give_back(*, variant_id, quantity: int) -> None:
    Variant.objects.filter(pk=variant_id).update(
        available=F("available") + quantity, held=F("held") - quantity, updated_at=timezone.now()
    )
    _notify_if_back(variant_id)


def _counters_sell(*, variant_id, quantity: int) -> None:
    """Move held units off the shelf as sold (a negative `quantity` undoes it)."""
    Variant.objects.filter(pk=variant_id).update(
        held=F("held") - quantity,
        on_hand=F("on_hand") - quantity,
        sold=F("sold") + quantity,
        updated_at=timezone.now(),
    )


def _take_for_paid(*, variant_id, quantity: int) -> bool:
    """Take units straight off the shelf for a paid order; False when there are too few."""
    variant = Variant.objects.filter(pk=variant_id).values("sell_when_out").first() or {}
    guard = {} if variant.get("sell_when_out") else {"available__gte": quantity}
    return bool(
        Variant.objects.filter(pk=variant_id, **guard).update(
            available=F("available") - quantity,
            on_hand=F("on_hand") - quantity,
            sold=F("sold") + quantity,
            updated_at=timezone.now(),
        )
    )


def _notify_if_back(variant_id) -> None:
    """Email who waits for the variant if it can be bought again (the task checks once more)."""
    if BackInStockRequest.objects.filter(variant_id=variant_id, notified_at__isnull=True).exists():
        back_in_stock_notify.enqueue(variant_id=str(variant_id))


def back_in_stock_request_create(*, variant: Variant, email: str) -> bool:
    """Put `email` on the variant's waiting list (once); return False if it was waiting already.

    An address emailed before that asks again waits again: its request is replaced by a new one,
    whose email is a new one (emails are keyed by the request).
    """
    email = email.strip().lower()
    BackInStockRequest.objects.filter(variant=variant, email=email, notified_at__isnull=False).delete()
    try:
        BackInStockRequest.objects.create(variant=variant, email=email)
    except IntegrityError:
        return False
    return True

"""Fulfilment moves staff make in admin, through the order's fulfilment pipeline.

An order ships in one step once paid; packing it first ("fulfilled") is optional. A move the order's
state does not allow is refused with FulfilmentNotAllowed, saying why and what to do instead
(fulfilment_refusal). Every move goes through Order.set_status("fulfillment_status", ...), which
applies it with a conditional update, so of two staff members shipping the same order only one
ships it; the shipped email is keyed, so the customer gets one.

No multi-document transaction here: the admin runs actions of an order's own page inside Django's
transaction.atomic(), where django_mongodb_backend's commit refuses to run
(TransactionManagementError). Each move is one conditional update instead, safe to repeat: a
delivery whose order was not completed yet completes it when marked again.
"""

from django.utils import timezone

from orders.emails import order_shipped_email_send
from orders.exceptions import FulfilmentNotAllowed, InvalidStatusTransition
from orders.models import PIPELINES, FulfillmentStatus, Order, OrderStatus
from shop.mail import mail_key_kept

# A refused move is told as where the order is now and, when there is one, what to do instead.
_WHERE_IT_IS = {
    FulfillmentStatus.UNFULFILLED: "it hasn't shipped yet",
    FulfillmentStatus.FULFILLED: "it hasn't shipped yet",
    FulfillmentStatus.SHIPPED: "it has already shipped",
    FulfillmentStatus.DELIVERED: "it has already been delivered",
    FulfillmentStatus.RETURNED: "it has been returned",
}
_WHAT_TO_DO_INSTEAD = {
    (FulfillmentStatus.DELIVERED, FulfillmentStatus.UNFULFILLED): "Mark it as shipped first.",
    (FulfillmentStatus.DELIVERED, FulfillmentStatus.FULFILLED): "Mark it as shipped first.",
    (
        FulfillmentStatus.RETURNED,
        FulfillmentStatus.UNFULFILLED,
    ): "Refund it instead if the customer doesn't want it.",
    (
        FulfillmentStatus.RETURNED,
        FulfillmentStatus.FULFILLED,
    ): "Refund it instead if the customer doesn't want it.",
}
_NOTHING_LEFT = {FulfillmentStatus.UNFULFILLED, FulfillmentStatus.FULFILLED}
# Packing and shipping send goods; only paid orders get them.
_NEEDS_PAYMENT = {FulfillmentStatus.FULFILLED, FulfillmentStatus.SHIPPED}


def fulfilment_refusal(order: Order, new_status: str) -> str | None:
    """Return why staff cannot mark `order` with fulfilment `new_status` now, in plain words, or None.

    None for a legal move and for a repeat (the order already has `new_status`).
    """
    moving = f"Order {order.number} can't be marked {FulfillmentStatus(new_status).label.lower()}"
    if not order.needs_fulfilment:
        why = (
            "it charges a plan change; the renewals ship the plan"
            if order.is_plan_change
            else "digital goods and services only"
        )
        return f"{moving}: nothing ships for it ({why})."
    if new_status in _NEEDS_PAYMENT and not order.is_paid:
        payment = order.get_payment_status_display().lower()
        return f"{moving}: it isn't paid (its payment is {payment}). Only paid orders are packed and shipped."
    current = order.fulfillment_status
    if current == new_status or new_status in PIPELINES["fulfillment_status"][current]:
        return None
    where = _WHERE_IT_IS[current]
    if new_status == FulfillmentStatus.RETURNED and current in _NOTHING_LEFT:
        where += ", so nothing can come back"
    instead = _WHAT_TO_DO_INSTEAD.get((new_status, current))
    return f"{moving}: {where}." + (f" {instead}" if instead else "")


def order_mark_fulfilled(*, order: Order, note: str = "") -> bool:
    """Mark a paid order packed and ready to ship (an optional step); False if it already was."""
    return _move(order, FulfillmentStatus.FULFILLED, note=note or "Fulfilled")


def order_mark_shipped(*, order: Order, carrier: str, tracking_number: str, note: str = "") -> bool:
    """Record the shipment of a paid order, packed or not, and email the customer once; False on a repeat.

    Raise what queuing the email raises: the shipment stands, and its email follows (see below)."""
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not carrier or not tracking_number:
        raise ValueError("a shipment needs a carrier and a tracking number")
    shipped = _move(
        order,
        FulfillmentStatus.SHIPPED,
        note="; ".join(filter(None, [f"Shipped with {carrier}, tracking number {tracking_number}", note]))[
            :255
        ],
        carrier=carrier,
        tracking_number=tracking_number,
        shipped_at=timezone.now(),
    )
    # Asked on a repeat too, its key sending it once. A shipment whose email failed (and raised)
    # gets it from the next repeat or the worker's hourly orders.tasks.order_emails_catch_up.
    if order.fulfillment_status == FulfillmentStatus.SHIPPED and mail_key_kept(since=order.shipped_at):
        order_shipped_email_send(order_id=order.pk)
    return shipped


def order_mark_delivered(*, order: Order, note: str = "") -> bool:
    """Record the delivery of a shipped order, which completes an order still processing."""
    delivered = _move(order, FulfillmentStatus.DELIVERED, note=note or "Delivered")
    completed = False
    # Checked on a repeat too, so an order delivered before it could be completed catches up.
    if order.fulfillment_status == FulfillmentStatus.DELIVERED and order.status == OrderStatus.PROCESSING:
        completed = order.set_status("status", OrderStatus.COMPLETED, note="Delivered")
    return delivered or completed


def order_mark_returned(*, order: Order, note: str = "") -> bool:
    """Record that a shipped or delivered order came back; refunding it is a separate step."""
    return _move(order, FulfillmentStatus.RETURNED, note=note or "Returned")


def shipping_refusal(order: Order) -> str | None:
    """Return why `order` cannot be marked shipped now, or None when it can."""
    if order.fulfillment_status == FulfillmentStatus.SHIPPED:
        tracking = f"{order.carrier}, tracking number {order.tracking_number}"
        return f"Order {order.number} has already shipped ({tracking})."
    return fulfilment_refusal(order, FulfillmentStatus.SHIPPED)


def _move(order: Order, new_status: str, *, note: str, **changes) -> bool:
    """Move the order's fulfilment to `new_status` or raise FulfilmentNotAllowed saying why not."""
    order.refresh_from_db()
    if refusal := fulfilment_refusal(order, new_status):
        raise FulfilmentNotAllowed(refusal)
    try:
        return order.set_status("fulfillment_status", new_status, note=note, **changes)
    except InvalidStatusTransition as error:
        # Only a concurrent move gets here (the order was checked just above), and set_status reloaded it.
        if order.fulfillment_status == new_status:
            return False
        now = order.get_fulfillment_status_display().lower()
        asked = FulfillmentStatus(new_status).label.lower()
        raise FulfilmentNotAllowed(
            f"Order {order.number} changed while it was being marked {asked}: it is {now} now. "
            "Check the order and try again if needed."
        ) from error

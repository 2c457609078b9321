"""Fulfilment moves staff make in admin, through the order's fulfilment pipeline.

Every move goes through Order.set_status("fulfillment_status", ...), which refuses an illegal move
(InvalidStatusTransition) and applies a legal one with a conditional update, so of two staff
members shipping the same order only one ships it, and only that one sends the shipped email.

No multi-document transaction here: the admin runs actions of an order's own page inside Django's
transaction.atomic(), where django_mongodb_backend's commit refuses to run
(TransactionManagementError). Each move is one conditional update instead, safe to repeat: a
delivery whose order was not completed yet completes it when marked again.
"""

import logging

from django.utils import timezone

from orders.emails import order_shipped_email_send
from orders.exceptions import FulfilmentNotAllowed, InvalidStatusTransition
from orders.models import FulfillmentStatus, Order, OrderStatus

logger = logging.getLogger(__name__)


def order_mark_fulfilled(*, order: Order, note: str = "") -> bool:
    """Mark a paid order packed and ready to ship; False if it already was."""
    order.refresh_from_db()
    _require_paid(order, "fulfilled")
    return order.set_status("fulfillment_status", FulfillmentStatus.FULFILLED, note=note or "Fulfilled")


def order_mark_shipped(*, order: Order, carrier: str, tracking_number: str, note: str = "") -> bool:
    """Record the shipment of a fulfilled, paid order and email the customer once; False on a repeat."""
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not carrier or not tracking_number:
        raise ValueError("a shipment needs a carrier and a tracking number")
    order.refresh_from_db()
    _require_paid(order, "shipped")
    shipped = order.set_status(
        "fulfillment_status",
        FulfillmentStatus.SHIPPED,
        note="; ".join(filter(None, [f"Shipped with {carrier}, tracking number {tracking_number}", note]))[
            :255
        ],
        carrier=carrier,
        tracking_number=tracking_number,
        shipped_at=timezone.now(),
    )
    if shipped:
        # Only the move that shipped it emails: one email per shipment. A mail server that fails
        # does not undo the shipment; it is logged.
        try:
            order_shipped_email_send(order_id=order.pk)
        except Exception:
            logger.exception("order %s: the shipping notice could not be sent", order.number)
    return shipped


def order_mark_delivered(*, order: Order, note: str = "") -> bool:
    """Record the delivery of a shipped order, which completes an order still processing."""
    order.refresh_from_db()
    delivered = order.set_status("fulfillment_status", FulfillmentStatus.DELIVERED, note=note or "Delivered")
    completed = False
    # Checked on a repeat too, so an order delivered before it could be completed catches up.
    if order.fulfillment_status == FulfillmentStatus.DELIVERED and order.status == OrderStatus.PROCESSING:
        completed = order.set_status("status", OrderStatus.COMPLETED, note="Delivered")
    return delivered or completed


def order_mark_returned(*, order: Order, note: str = "") -> bool:
    """Record that a shipped or delivered order came back; refunding it is a separate step."""
    order.refresh_from_db()
    return order.set_status("fulfillment_status", FulfillmentStatus.RETURNED, note=note or "Returned")


def shipping_refusal(order: Order) -> str | None:
    """Return why `order` cannot be marked shipped now, or None when it can."""
    try:
        _require_paid(order, "shipped")
    except FulfilmentNotAllowed as error:
        return str(error)
    if order.fulfillment_status == FulfillmentStatus.SHIPPED:
        tracking = f"{order.carrier}, tracking number {order.tracking_number}"
        return f"Order {order.number} has already shipped ({tracking})."
    if order.fulfillment_status != FulfillmentStatus.FULFILLED:
        return str(
            InvalidStatusTransition(
                order, "fulfillment_status", order.fulfillment_status, FulfillmentStatus.SHIPPED
            )
        )
    return None


def _require_paid(order: Order, move: str) -> None:
    if not order.is_paid:
        payment = order.get_payment_status_display().lower()
        raise FulfilmentNotAllowed(f"Order {order.number} cannot be {move}: its payment is {payment}.")

from django import template

from orders.models import FulfillmentStatus, OrderStatus
from orders.tracking import tracking_url as _tracking_url

register = template.Library()

# What a paid order under way reads as to its shopper once the parcel has left.
_UNDER_WAY = {
    FulfillmentStatus.SHIPPED: ("Shipped", "shipped"),
    FulfillmentStatus.DELIVERED: ("Delivered", "delivered"),
}


@register.inclusion_tag("orders/status_badge.html")
def order_status_badge(order):
    """Show the order's status as its shopper reads it: "Shipped" rather than "Processing" once it left."""
    label, css = order.get_status_display(), order.status.lower()
    if order.status == OrderStatus.PROCESSING and order.fulfillment_status in _UNDER_WAY:
        label, css = _UNDER_WAY[order.fulfillment_status]
    return {"label": label, "css": css}


@register.filter
def tracking_url(order):
    """Return the carrier's tracking page of the order's parcel, or "" for an unknown carrier.

    Like Django's own filters it gives "" for a variable the template lacks (which reads as "").
    """
    return _tracking_url(getattr(order, "carrier", ""), getattr(order, "tracking_number", ""))

"""The order confirmation email, in HTML and plain text."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from orders.models import Order

logger = logging.getLogger(__name__)


def order_confirmation_send(*, order_id) -> bool:
    """Send the confirmation of a paid order to the address Stripe collected; False if there is none."""
    order = Order.objects.filter(pk=order_id).prefetch_related("items").first()
    if order is None:
        return False
    recipient = order.customer_email or (order.user.email if order.user_id else "")
    if not recipient:
        logger.warning("order %s: no email address to send the confirmation to", order.number)
        return False
    context = {"order": order, "items": list(order.items.all()), "site_name": settings.SITE_NAME}
    message = EmailMultiAlternatives(
        subject=f"Your {settings.SITE_NAME} order {order.number} is confirmed",
        body=render_to_string("orders/email/order_confirmation.txt", context),
        to=[recipient],
    )
    message.attach_alternative(render_to_string("orders/email/order_confirmation.html", context), "text/html")
    message.send()
    logger.info("order %s: confirmation sent to %s", order.number, recipient)
    return True

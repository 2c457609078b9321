"""Email to the customer about their order, each in HTML and plain text."""

import logging

from django.conf import settings

from orders.links import ORDER_LINK_MAX_AGE, order_link_url
from orders.models import Order, Refund, RefundStatus
from shop.mail import mail_send
from shop.money import format_money

logger = logging.getLogger(__name__)


def order_confirmation_send(*, order_id) -> bool:
    """Send the confirmation of a paid order to the address Stripe collected; False if there is none."""
    return _order_email_send(order_id=order_id, template="order_confirmation", subject="is confirmed")


def order_shipped_email_send(*, order_id) -> bool:
    """Tell the customer their order shipped, with the carrier and tracking number; False if no address."""
    return _order_email_send(order_id=order_id, template="order_shipped", subject="has shipped")


def refund_email_send(*, refund_id, previous_status: str | None) -> bool:
    """Tell the customer about a refund Stripe has just settled: succeeded, or failed after all.

    `previous_status` is the refund's status before the change (None for a refund first seen now).
    Return False when there is nothing to tell or no address.
    """
    refund = Refund.objects.filter(pk=refund_id).first()
    if refund is None or refund.status == previous_status:
        return False
    if refund.status == RefundStatus.SUCCEEDED:
        template, subject = "refund_succeeded", "has been refunded"
    elif refund.status == RefundStatus.FAILED:
        template, subject = "refund_failed", "could not be refunded"
    else:
        return False
    context = {"refund": refund, "refund_amount": format_money(refund.amount, refund.currency)}
    return _order_email_send(
        order_id=refund.order_id,
        template=template,
        subject=subject,
        extra=context,
        # One per refund and outcome: an order refunded in parts hears of each part.
        key=f"refund-{refund.pk}-{refund.status}",
    )


def _order_email_send(
    *, order_id, template: str, subject: str, extra: dict | None = None, key: str = ""
) -> bool:
    order = (
        Order.objects.filter(pk=order_id)
        .select_related("user", "renewal_of")
        .prefetch_related("items")
        .first()
    )
    if order is None:
        return False
    recipient = order.customer_email or (order.user.email if order.user_id else "")
    if not recipient:
        logger.warning("order %s: no email address to send %s to", order.number, template)
        return False
    context = {
        "order": order,
        "items": list(order.items.all()),
        "order_url": order_link_url(order=order),
        "link_days": ORDER_LINK_MAX_AGE.days,
        **(extra or {}),
    }
    mail_send(
        template=f"orders/email/{template}",
        context=context,
        subject=f"Your {settings.SITE_NAME} order {order.number} {subject}",
        recipient=recipient,
        # One of each per order, however often it is asked for (a retried event, say).
        key=key or f"order-{order.pk}-{template}",
    )
    logger.info("order %s: %s sent to %s", order.number, template, recipient)
    return True

"""Email to the customer about their order, each in HTML and plain text."""

import logging
from datetime import datetime

from django.conf import settings

from jobs.models import OutgoingEmail
from orders.links import ORDER_LINK_MAX_AGE, order_link_url
from orders.models import FulfillmentStatus, Order, Refund, RefundStatus
from shop.mail import mail_send
from shop.money import format_money

logger = logging.getLogger(__name__)


def order_confirmation_send(*, order_id) -> bool:
    """Queue the confirmation of a paid order for the address Stripe collected, once; False if there
    is no address or it was queued already."""
    return _order_email_send(order_id=order_id, template="order_confirmation", subject="is confirmed")


def order_shipped_email_send(*, order_id) -> bool:
    """Tell the customer, once, that their order shipped, with the carrier and tracking number; False
    if there is no address or it was queued already."""
    return _order_email_send(order_id=order_id, template="order_shipped", subject="has shipped")


def refund_email_send(*, refund_id) -> bool:
    """Tell the customer about a refund Stripe has settled: succeeded, or failed after all; once per
    refund and outcome. Return False when there is nothing to tell, no address, or it was told."""
    refund = Refund.objects.filter(pk=refund_id).first()
    if refund is None:
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
        .prefetch_related("items__product")
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
    queued = mail_send(
        template=f"orders/email/{template}",
        context=context,
        subject=f"Your {settings.SITE_NAME} order {order.number} {subject}",
        recipient=recipient,
        # One of each per order, however often it is asked for (a retried event, say).
        key=key or _order_email_key(order.pk, template),
    )
    if queued:
        logger.info("order %s: %s queued for %s", order.number, template, recipient)
    return queued


def order_emails_owed_queue(*, since: datetime) -> int:
    """Queue the confirmation of each order paid, and the notice of each order shipped, since `since`
    whose email was never queued (its write failed, or its process died after the change); return
    how many. `since` must lie within the time a sent email's key is kept (shop.mail.mail_key_kept)."""
    paid = Order.objects.paid_since(since).exclude(customer_email="")
    shipped = Order.objects.filter(
        fulfillment_status=FulfillmentStatus.SHIPPED, shipped_at__gte=since
    ).exclude(customer_email="")
    owed = {
        **{_order_email_key(pk, "order_confirmation"): (order_confirmation_send, pk) for pk in _pks(paid)},
        **{_order_email_key(pk, "order_shipped"): (order_shipped_email_send, pk) for pk in _pks(shipped)},
    }
    queued = set(OutgoingEmail.objects.filter(key__in=list(owed)).values_list("key", flat=True))
    return sum(send(order_id=pk) for key, (send, pk) in owed.items() if key not in queued)


def _pks(orders) -> list:
    return list(orders.values_list("pk", flat=True))


def _order_email_key(order_id, template: str) -> str:
    return f"order-{order_id}-{template}"

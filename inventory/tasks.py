"""Stock's background work: the sweep of holds whose checkout ended unheard, and back-in-stock emails."""

import logging

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from catalog.models import Variant
from inventory.models import BackInStockRequest
from shop.mail import mail_send

logger = logging.getLogger(__name__)


@task
def stock_holds_sweep() -> int:
    """Settle the holds still HELD past their Checkout Session's expiry, asking Stripe how each ended."""
    from inventory.reconciliation import stock_holds_settle_expired

    return stock_holds_settle_expired()


@task
def back_in_stock_notify(*, variant_id: str) -> int:
    """Email, once each, the shoppers waiting for the variant, if it is available now; return how many."""
    variant = Variant.objects.select_related("product").filter(pk=variant_id, available__gt=0).first()
    if variant is None:
        return 0
    sent = 0
    for request in BackInStockRequest.objects.filter(variant=variant, notified_at__isnull=True):
        # Queued before the request is marked: a run that fails in between is tried again, and the
        # key queues the email once however many runs ask.
        sent += mail_send(
            template="inventory/email/back_in_stock",
            context={
                "variant": variant,
                "product": variant.product,
                # The page with the variant the email names chosen, not the product's first one.
                "product_url": settings.SHOP_BASE_URL + variant.get_absolute_url(),
            },
            subject=f"{variant.product.name} is back in stock",
            recipient=request.email,
            key=f"back-in-stock-{request.pk}",
        )
        BackInStockRequest.objects.filter(pk=request.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
    if sent:
        logger.info("variant %s: %d back-in-stock email(s) queued", variant_id, sent)
    return sent

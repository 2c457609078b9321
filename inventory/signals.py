"""Stock follows the order: every status move goes through Order.set_status, which records it as an
OrderStatusChange; its creation is the one place stock hears that an order was paid or ended."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from inventory.services import stock_release_for_order, stock_sell_for_order
from orders.models import OrderStatus, OrderStatusChange, PaymentStatus

# Order statuses that end a checkout unpaid: its held units go back on sale.
CHECKOUT_ENDED_UNPAID = frozenset({OrderStatus.CANCELLED, OrderStatus.FAILED})


@receiver(post_save, sender=OrderStatusChange, dispatch_uid="inventory_stock_follows_order")
def stock_follows_order(sender, instance, created, raw, **kwargs):
    if not created or raw:
        return
    number = instance.order.number
    if instance.field == "payment_status" and instance.new_status == PaymentStatus.PAID:
        stock_sell_for_order(order_number=number)
    elif instance.field == "status" and instance.new_status in CHECKOUT_ENDED_UNPAID:
        stock_release_for_order(order_number=number, note=f"order {instance.new_status.lower()}")

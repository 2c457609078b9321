"""Guest orders follow their address to the account that proves it is theirs."""

from django.dispatch import receiver

from accounts.signals import address_proved
from orders.services import order_attach_guest_orders


@receiver(address_proved, dispatch_uid="orders_attach_guest_orders")
def attach_guest_orders(sender, user, email, **kwargs):
    order_attach_guest_orders(user=user, email=email)

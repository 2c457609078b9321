"""Guest orders follow their address to the account that proves it is theirs."""

from allauth.account.signals import email_confirmed, password_reset, user_signed_up
from django.dispatch import receiver

from accounts.selectors import user_email_addresses
from orders.services import order_attach_guest_orders


@receiver(email_confirmed, dispatch_uid="orders_attach_at_email_confirmed")
def attach_guest_orders_to_confirmed_address(sender, request, email_address, **kwargs):
    """The shopper opened the confirmation link mailed to the address."""
    order_attach_guest_orders(user=email_address.user, email=email_address.email)


@receiver(user_signed_up, dispatch_uid="orders_attach_at_sign_up")
@receiver(password_reset, dispatch_uid="orders_attach_at_password_reset")
def attach_guest_orders_to_verified_addresses(sender, request, user, **kwargs):
    """A provider that verified the address signed the shopper up, or a reset link mailed to the
    address proved it (accounts/forms.py): neither sends email_confirmed."""
    for address in user_email_addresses(user=user):
        if address.verified:
            order_attach_guest_orders(user=user, email=address.email)

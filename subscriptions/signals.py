"""Guest subscriptions follow their address to the account that proves it is theirs, as orders do."""

from allauth.account.signals import email_confirmed, password_reset, user_signed_up
from django.dispatch import receiver

from accounts.selectors import user_email_addresses
from subscriptions.services import subscription_attach_guest_subscriptions


@receiver(email_confirmed, dispatch_uid="subscriptions_attach_at_email_confirmed")
def attach_guest_subscriptions_to_confirmed_address(sender, request, email_address, **kwargs):
    subscription_attach_guest_subscriptions(user=email_address.user, email=email_address.email)


@receiver(user_signed_up, dispatch_uid="subscriptions_attach_at_sign_up")
@receiver(password_reset, dispatch_uid="subscriptions_attach_at_password_reset")
def attach_guest_subscriptions_to_verified_addresses(sender, request, user, **kwargs):
    """A provider that verified the address, or a reset link mailed to it (see orders/signals.py)."""
    for address in user_email_addresses(user=user):
        if address.verified:
            subscription_attach_guest_subscriptions(user=user, email=address.email)

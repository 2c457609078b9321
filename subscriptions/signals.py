"""Guest subscriptions follow their address to the account that proves it is theirs, as orders do."""

from django.dispatch import receiver

from accounts.signals import address_proved
from subscriptions.services import subscription_attach_guest_subscriptions


@receiver(address_proved, dispatch_uid="subscriptions_attach_guest_subscriptions")
def attach_guest_subscriptions(sender, user, email, **kwargs):
    subscription_attach_guest_subscriptions(user=user, email=email)

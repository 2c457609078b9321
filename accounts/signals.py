"""Loosely coupled extras on allauth's signals, and the shop's own `address_proved`."""

from allauth.account.signals import email_confirmed, password_reset, user_signed_up
from allauth.socialaccount.signals import social_account_added
from django.dispatch import Signal, receiver

from accounts.selectors import user_email_addresses

# Sent with `user` and `email` once `user` has proved `email` is theirs: what a guest bought or
# subscribed to with that address may follow it to the account (orders, subscriptions).
address_proved = Signal()


@receiver(email_confirmed, dispatch_uid="accounts_address_proved_at_email_confirmed")
def announce_confirmed_address(sender, request, email_address, **kwargs):
    """The shopper opened the confirmation link mailed to the address."""
    address_proved.send(sender=type(email_address), user=email_address.user, email=email_address.email)


@receiver(user_signed_up, dispatch_uid="accounts_address_proved_at_sign_up")
@receiver(password_reset, dispatch_uid="accounts_address_proved_at_password_reset")
def announce_verified_addresses(sender, request, user, **kwargs):
    """A provider that verified the address signed the shopper up, or a reset link mailed to the
    address proved it (accounts/forms.py): neither sends email_confirmed."""
    for address in user_email_addresses(user=user):
        if address.verified:
            address_proved.send(sender=type(address), user=user, email=address.email)


@receiver(social_account_added)
def fill_profile_from_linked_account(sender, request, sociallogin, **kwargs):
    """Give a user with no name or avatar the ones of the provider account they just linked."""
    user = sociallogin.user
    changed = []
    if not user.name and (name := sociallogin.account.extra_data.get("name")):
        user.name = str(name)[: user._meta.get_field("name").max_length]
        changed.append("name")
    avatar_url = sociallogin.account.get_avatar_url() or ""
    if not user.image and avatar_url.startswith("https://") and len(avatar_url) <= 500:
        user.image = avatar_url
        changed.append("image")
    if changed:
        user.save(update_fields=[*changed, "updated_at"])

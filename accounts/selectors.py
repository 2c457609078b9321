"""Reads about users for their account pages."""

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers import registry


def user_linked_accounts(*, user):
    """Return the provider accounts linked to `user`, oldest first, each with its `provider_name`.

    The name comes from the provider's class, so an account still shows when its provider is
    no longer configured.
    """
    accounts = list(SocialAccount.objects.filter(user=user).order_by("date_joined"))
    for account in accounts:
        provider_class = registry.get_class(account.provider)
        account.provider_name = provider_class.name if provider_class else account.provider
    return accounts


def user_email_addresses(*, user):
    """Return `user`'s email addresses, the primary one first."""
    return list(EmailAddress.objects.filter(user=user).order_by("-primary", "email"))


def user_receives_reset_links_at(*, user, email: str) -> bool:
    """Return whether a password reset link for `user` may be mailed to `email`.

    Once the account has a proven address, only its proven addresses and the one it signs in
    with (its primary) receive links: anyone can be handed an unproven second address, a typo
    or another person's mailbox, and its reader must not be able to reset the account.
    """
    email = email.lower()
    addresses = list(EmailAddress.objects.filter(user=user))
    if not any(address.verified for address in addresses):
        return True
    return user.email.lower() == email or any(
        address.email.lower() == email and (address.verified or address.primary) for address in addresses
    )

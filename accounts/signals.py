"""Loosely coupled extras on allauth's signals."""

from allauth.socialaccount.signals import social_account_added
from django.dispatch import receiver


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

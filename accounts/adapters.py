"""allauth policy for the shop: who may sign up, link and join which account."""

import copy
import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.account.utils import filter_users_by_email
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from bson import ObjectId
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django_mongodb_backend.fields.objectid import ObjectIdMixin

from accounts.services import email_address_release_unproven_claims
from shop.mail import mail_queue

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Queue allauth's email (confirmation, reset, sign-up) in the shop's outbox, its links on
        SHOP_BASE_URL.

        allauth builds them on the host the request named: any name the server answers to, or
        a Host header a lax proxy passes on, would put a stranger's site in a reset link. Queued,
        not sent: a mail server that is down fails no page, and the worker sends it once it is back.
        """
        # allauth names the recipient to no template; ours say which address they are about.
        context = {"email": email, **context}
        request = allauth_context.request
        if request is not None:
            requested_root = request.build_absolute_uri("/")
            context = {
                name: f"{settings.SHOP_BASE_URL}/{value.removeprefix(requested_root)}"
                if name.endswith("_url") and isinstance(value, str) and value.startswith(requested_root)
                else value
                for name, value in context.items()
            }
        message = self.render_mail(template_prefix, email, context)
        html = next(
            (
                content
                for content, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            "",
        )
        mail_queue(recipient=email, subject=message.subject, body=message.body, html=html)

    def save_user(self, request, user, form, commit=True):
        """Save a new user with the name typed on the sign-up form, if any."""
        if name := form.cleaned_data.get("name"):
            user.name = name
        return super().save_user(request, user, form, commit=commit)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def authenticate_by_email(self, sociallogin):
        """Return (user, email) when the provider and the shop both verified one of its addresses.

        allauth would also join an account that holds the address unverified (and wipe its
        password); whoever registered that address unverified could still hold a session or
        another linked account, so such a sign-in is refused instead (pre_social_login).
        """
        for address in sociallogin.email_addresses:
            if not address.verified or not self.can_authenticate_by_email(sociallogin, address.email):
                continue
            owners = {
                verified.user
                for verified in EmailAddress.objects.filter(
                    email__iexact=address.email, verified=True
                ).select_related("user")
            }
            if len(owners) == 1:
                return owners.pop(), address.email
        return None

    def pre_social_login(self, request, sociallogin):
        """Refuse a provider sign-in that would create a second account for a known address.

        allauth has already joined the sign-in to its linked account, or to the account whose
        address both the provider and the shop verified. Anything left that names a known
        address must not take that account over: its owner signs in first and connects the
        provider from the linked accounts page. An address the provider verified first frees
        itself from other accounts' unverified second addresses.
        """
        if sociallogin.is_existing or sociallogin.state.get("process") == AuthProcess.CONNECT:
            return
        for address in sociallogin.email_addresses:
            if address.verified:
                email_address_release_unproven_claims(email=address.email)
        addresses = {address.email for address in sociallogin.email_addresses}
        if sociallogin.user and sociallogin.user.email:
            addresses.add(sociallogin.user.email)
        if any(filter_users_by_email(address) for address in addresses):
            provider = sociallogin.provider
            logger.info(
                "%s sign-in refused: its address belongs to an account it is not linked to", provider.id
            )
            messages.error(request, self.error_messages["email_taken"] % provider.name)
            raise ImmediateHttpResponse(redirect("account_login"))

    def serialize_instance(self, instance):
        """Return allauth's JSON form of `instance`, its ObjectId keys as hex strings.

        allauth keeps a sign-in waiting for email verification in the session, as JSON.
        """
        unsaved = copy.copy(instance)
        for name, value in vars(unsaved).items():
            if isinstance(value, ObjectId):
                setattr(unsaved, name, str(value))
        return super().serialize_instance(unsaved)

    def deserialize_instance(self, model, data):
        """Rebuild what serialize_instance() stored, its keys as ObjectIds again."""
        instance = super().deserialize_instance(model, data)
        for field in model._meta.concrete_fields:
            value = instance.__dict__.get(field.attname)
            if isinstance(value, str) and isinstance(getattr(field, "target_field", field), ObjectIdMixin):
                setattr(instance, field.attname, field.to_python(value))
        return instance

    def populate_user(self, request, sociallogin, data):
        """Fill a new user's name and avatar from the provider's profile."""
        user = super().populate_user(request, sociallogin, data)
        full_name = " ".join(part for part in (data.get("first_name"), data.get("last_name")) if part)
        user.name = (data.get("name") or full_name)[: user._meta.get_field("name").max_length]
        avatar_url = sociallogin.account.get_avatar_url() or ""
        # The page's content security policy only loads images over https.
        if avatar_url.startswith("https://") and len(avatar_url) <= user._meta.get_field("image").max_length:
            user.image = avatar_url
        return user

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        """Log why a provider sign-in failed; the page tells the shopper nothing changed."""
        logger.warning(
            "%s sign-in failed: %s%s",
            provider.id,
            error,
            f" ({type(exception).__name__}: {exception})" if exception else "",
        )

"""The customer's subscriptions in the account area, and the signed link that opens one for a guest.

Every page here answers Cache-Control: private, no-store (shop/urls.py). Changes are POSTs (CSRF)
that ask Stripe through subscriptions.services, then show what Stripe answered.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core import signing
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from subscriptions.exceptions import SubscriptionChangeFailed, SubscriptionNotChangeable
from subscriptions.links import SUBSCRIPTION_LINK_MAX_AGE, subscription_id_from_link
from subscriptions.models import Subscription
from subscriptions.selectors import (
    subscription_get_by_stripe_id,
    subscription_get_for_user,
    subscription_list_for_user,
    subscription_payments,
)
from subscriptions.services import subscription_cancel, subscription_portal_url, subscription_resume


def _customer_message(error: SubscriptionChangeFailed) -> str:
    """Return what to tell the customer: why the change is not possible, or that Stripe failed
    (Stripe's own words are for staff and the log)."""
    if isinstance(error, SubscriptionNotChangeable):
        return str(error)
    return SubscriptionChangeFailed.default_message


class UserSubscriptionMixin(LoginRequiredMixin):
    """Find the signed-in user's subscription named in the URL; anyone else's answers 404."""

    def get_subscription(self) -> Subscription:
        try:
            return subscription_get_for_user(
                user=self.request.user, stripe_subscription_id=self.kwargs["subscription_id"]
            )
        except Subscription.DoesNotExist:
            raise Http404("No such subscription.") from None


class SubscriptionListView(LoginRequiredMixin, ListView):
    """List the signed-in user's own subscriptions."""

    template_name = "subscriptions/subscription_list.html"
    context_object_name = "subscriptions"
    paginate_by = 20

    def get_queryset(self):
        return subscription_list_for_user(user=self.request.user)


class SubscriptionDetailView(UserSubscriptionMixin, DetailView):
    """Show one of the user's subscriptions: what it gives, when it charges next, its payments."""

    template_name = "subscriptions/subscription_detail.html"
    context_object_name = "subscription"

    def get_object(self, queryset=None):
        return self.get_subscription()

    def get_context_data(self, **kwargs):
        return super().get_context_data(payments=subscription_payments(subscription=self.object), **kwargs)


class SubscriptionChangeView(UserSubscriptionMixin, View):
    """POST only: make one change at Stripe, then go back to the subscription's page with a message."""

    http_method_names = ["post"]

    def change(self, subscription: Subscription) -> Subscription:
        raise NotImplementedError

    def success_message(self, subscription: Subscription) -> str:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        subscription = self.get_subscription()
        try:
            subscription = self.change(subscription)
        except SubscriptionChangeFailed as error:
            messages.error(request, _customer_message(error))
        else:
            messages.success(request, self.success_message(subscription))
        return HttpResponseRedirect(subscription.get_absolute_url())


class SubscriptionCancelView(SubscriptionChangeView):
    def change(self, subscription):
        return subscription_cancel(subscription=subscription, at_period_end=True)

    def success_message(self, subscription):
        if subscription.ends_at is None:
            return "Your subscription will end at the end of its period."
        ends = date_format(subscription.ends_at, "j F Y")
        return f"Your subscription will end on {ends}. You keep it until then."


class SubscriptionResumeView(SubscriptionChangeView):
    def change(self, subscription):
        return subscription_resume(subscription=subscription)

    def success_message(self, subscription):
        return "Your subscription continues: it renews as before."


def _portal_redirect(request, subscription: Subscription, return_path: str, *, back_path: str | None = None):
    """Send the customer to Stripe's portal, which links back to `back_path` (`return_path` unless
    given); `return_path` is where a refusal is shown."""
    try:
        url = subscription_portal_url(
            subscription=subscription, return_url=request.build_absolute_uri(back_path or return_path)
        )
    except SubscriptionChangeFailed as error:
        messages.error(request, _customer_message(error))
        return HttpResponseRedirect(return_path)
    return HttpResponseRedirect(url)


class SubscriptionPortalView(UserSubscriptionMixin, View):
    """POST only: open Stripe's customer portal (card, invoices), coming back to the subscription."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        subscription = self.get_subscription()
        return _portal_redirect(request, subscription, subscription.get_absolute_url())


class SubscriptionPortalReturnedView(TemplateView):
    """Where Stripe's portal leads a guest back to: it names no subscription."""

    template_name = "subscriptions/subscription_portal_returned.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(link_days=SUBSCRIPTION_LINK_MAX_AGE.days, **kwargs)


class SubscriptionLinkView(View):
    """The one subscription a signed link from its email names, read-only, with "Update card".

    A guest has no account to sign in to: the link is their key, as for orders (orders.links).
    """

    template_name = "subscriptions/subscription_link_detail.html"
    refused_template_name = "subscriptions/subscription_link_refused.html"

    def dispatch(self, request, *args, **kwargs):
        try:
            stripe_id = subscription_id_from_link(token=kwargs["token"])
            self.subscription = subscription_get_by_stripe_id(stripe_subscription_id=stripe_id)
        except signing.SignatureExpired:
            return self.refuse(expired=True)
        except (signing.BadSignature, Subscription.DoesNotExist):
            return self.refuse(expired=False)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        context = {
            "subscription": self.subscription,
            "payments": subscription_payments(subscription=self.subscription),
            "link_days": SUBSCRIPTION_LINK_MAX_AGE.days,
        }
        return render(request, self.template_name, context)

    def post(self, request, *args, **kwargs):
        # The link is the guest's key: Stripe's portal page and the logs it passes through
        # must not hold it, so the portal leads back to a page without it.
        return _portal_redirect(
            request, self.subscription, request.path, back_path=reverse("subscriptions:portal_returned")
        )

    def refuse(self, *, expired: bool):
        context = {"expired": expired, "link_days": SUBSCRIPTION_LINK_MAX_AGE.days}
        return render(self.request, self.refused_template_name, context, status=404)

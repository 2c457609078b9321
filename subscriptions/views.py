"""The customer's subscriptions in the account area, and the signed link that opens one for a guest.

Every page here answers Cache-Control: private, no-store (shop/urls.py). Changes are POSTs (CSRF)
that ask Stripe through subscriptions.services, then show what Stripe answered.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.views import View
from django.views.generic import ListView, TemplateView

from shop.money import format_money
from subscriptions.exceptions import (
    SubscriptionChangeFailed,
    SubscriptionNotChangeable,
    SubscriptionPaymentDeclined,
)
from subscriptions.forms import AddressForm, PauseForm
from subscriptions.links import SUBSCRIPTION_LINK_MAX_AGE, subscription_id_from_link
from subscriptions.models import Subscription
from subscriptions.selectors import (
    subscription_get_by_stripe_id,
    subscription_get_for_user,
    subscription_list_for_user,
    subscription_payments,
    subscription_plan_choices,
)
from subscriptions.services import (
    ADDRESS_FIELDS,
    MAX_QUANTITY,
    PAUSED_PLAN_CHANGE_REFUSAL,
    subscription_cancel,
    subscription_change,
    subscription_change_build,
    subscription_change_preview,
    subscription_pause,
    subscription_portal_url,
    subscription_resume,
    subscription_set_address,
    subscription_skip_next,
    subscription_unpause,
)


def _customer_message(error: SubscriptionChangeFailed) -> str:
    """Return what to tell the customer: why the change is not possible, or that Stripe failed
    (Stripe's own words are for staff and the log)."""
    if isinstance(error, SubscriptionNotChangeable | SubscriptionPaymentDeclined):
        return str(error)
    return SubscriptionChangeFailed.default_message


class SubscriptionAccessMixin:
    """Find the subscription the URL names: the signed-in member's own (anyone else's answers
    404), or with `link` the one a guest's signed link names. A link works while the subscription
    belongs to no account: once it joins one, it is managed signed in."""

    link = False
    refused_template_name = "subscriptions/subscription_link_refused.html"

    def dispatch(self, request, *args, **kwargs):
        if self.link:
            try:
                stripe_id = subscription_id_from_link(token=kwargs["token"])
                self.subscription = subscription_get_by_stripe_id(stripe_subscription_id=stripe_id)
            except signing.SignatureExpired:
                return self.refuse(expired=True)
            except (signing.BadSignature, Subscription.DoesNotExist):
                return self.refuse(expired=False)
            if self.subscription.user_id is not None:
                return self.refuse(expired=False, joined_account=True)
        else:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                self.subscription = subscription_get_for_user(
                    user=request.user, stripe_subscription_id=kwargs["subscription_id"]
                )
            except Subscription.DoesNotExist:
                raise Http404("No such subscription.") from None
        return super().dispatch(request, *args, **kwargs)

    def get_subscription(self) -> Subscription:
        return self.subscription

    def manage_path(self, subscription: Subscription) -> str:
        """The subscription's page; its changes are posted below it (`<page>pause/`, ...)."""
        if self.link:
            return reverse("subscriptions:link", kwargs={"token": self.kwargs["token"]})
        return subscription.get_absolute_url()

    def refuse(self, *, expired: bool, joined_account: bool = False):
        context = {
            "expired": expired,
            "joined_account": joined_account,
            "link_days": SUBSCRIPTION_LINK_MAX_AGE.days,
        }
        return render(self.request, self.refused_template_name, context, status=404)


class SubscriptionListView(LoginRequiredMixin, ListView):
    """List the signed-in user's own subscriptions."""

    template_name = "subscriptions/subscription_list.html"
    context_object_name = "subscriptions"
    paginate_by = 20

    def get_queryset(self):
        return subscription_list_for_user(user=self.request.user)


class ChangeItemForm(forms.Form):
    """One item of the subscription to another plan or quantity."""

    item = forms.CharField(max_length=255)
    price = forms.CharField(max_length=64)
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY)


# The confirmation of a previewed change: signed, so that the change and the moment its
# proration was counted from (which sets the charge) are the preview's; valid long enough to read it.
_CONFIRMATION_SALT = "subscriptions.views.change_confirmation"
_CONFIRMATION_MAX_AGE = 30 * 60


class SubscriptionPageMixin:
    """The subscription's page: what it gives, when it charges next, its payments, and the forms
    of every change the customer may make."""

    template_name = "subscriptions/subscription_detail.html"
    link_template_name = "subscriptions/subscription_link_detail.html"

    def get(self, request, *args, **kwargs):
        subscription = self.get_subscription()
        return render(request, self.page_template(), self.page_context(subscription))

    def page_template(self) -> str:
        return self.link_template_name if self.link else self.template_name

    def page_context(self, subscription: Subscription, **extra) -> dict:
        name, address = subscription.delivery_address
        initial = {"name": name, **{field: address.get(field, "") for field in ADDRESS_FIELDS}}
        return {
            "subscription": subscription,
            "payments": subscription_payments(subscription=subscription),
            "manage_path": self.manage_path(subscription),
            "plan_choices": [
                (
                    item,
                    options,
                    held_back,
                    [other["product_name"] for other in subscription.items if other is not item],
                )
                for item in subscription.product_items
                for options, held_back in [subscription_plan_choices(subscription=subscription, item=item)]
                if options
            ]
            if subscription.can_change_plan
            else [],
            "max_quantity": MAX_QUANTITY,
            "paused_plan_change_refusal": PAUSED_PLAN_CHANGE_REFUSAL,
            "downgrades_charge_now": settings.SUBSCRIPTION_DOWNGRADES_CHARGE_NOW,
            "address_form": extra.pop("address_form", None) or AddressForm(initial=initial),
            "pause_form": PauseForm(subscription=subscription, auto_id="pause-%s"),
            "link_days": SUBSCRIPTION_LINK_MAX_AGE.days,
            **extra,
        }


class SubscriptionDetailView(SubscriptionAccessMixin, SubscriptionPageMixin, View):
    """GET the subscription's page; on a guest's link, POST opens Stripe's portal (the link's
    first page did so)."""

    def post(self, request, *args, **kwargs):
        if not self.link:
            return HttpResponseNotAllowed(["GET"])
        return _portal_redirect(request, self.subscription, request.path, link=True)


class SubscriptionChangeView(SubscriptionAccessMixin, View):
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
        return HttpResponseRedirect(self.manage_path(subscription))


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


def _restart_words(subscription: Subscription) -> str:
    if subscription.renewal_after_pause:
        return f"Billing and deliveries restart on {date_format(subscription.renewal_after_pause, 'j F Y')}."
    return "Nothing is charged or delivered until you resume it."


class SubscriptionPauseView(SubscriptionChangeView):
    def change(self, subscription):
        form = PauseForm(self.request.POST, subscription=subscription)
        if not form.is_valid():
            raise SubscriptionNotChangeable(" ".join(form.errors["restart"]))
        return subscription_pause(subscription=subscription, restart_with=form.cleaned_data["restart"])

    def success_message(self, subscription):
        return f"Your subscription is paused. {_restart_words(subscription)}"


class SubscriptionSkipView(SubscriptionChangeView):
    def change(self, subscription):
        return subscription_skip_next(subscription=subscription)

    def success_message(self, subscription):
        return f"Your next delivery is skipped: nothing is charged for it. {_restart_words(subscription)}"


class SubscriptionUnpauseView(SubscriptionChangeView):
    def change(self, subscription):
        return subscription_unpause(subscription=subscription)

    def success_message(self, subscription):
        if subscription.next_charge_at:
            charge = date_format(subscription.next_charge_at, "j F Y")
            return f"Your subscription is running again: next charge and delivery on {charge}."
        return "Your subscription is running again."


class SubscriptionAddressView(SubscriptionPageMixin, SubscriptionChangeView):
    def post(self, request, *args, **kwargs):
        subscription = self.get_subscription()
        form = AddressForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Please correct the delivery address below.")
            context = self.page_context(subscription, address_form=form)
            return render(request, self.page_template(), context, status=400)
        return super().post(request, *args, **kwargs)

    def change(self, subscription):
        data = AddressForm(self.request.POST)
        data.is_valid()
        fields = data.cleaned_data
        return subscription_set_address(subscription=subscription, name=fields["name"], address=fields)

    def success_message(self, subscription):
        return "Your next deliveries go to the new address."


class SubscriptionPlanView(SubscriptionAccessMixin, View):
    """GET: the price of a plan or quantity change, from Stripe's invoice preview; POST: make it."""

    template_name = "subscriptions/subscription_change.html"

    def get(self, request, *args, **kwargs):
        subscription = self.get_subscription()
        form = ChangeItemForm(request.GET)
        try:
            if not form.is_valid():
                raise SubscriptionNotChangeable("Choose a plan and a quantity from 1 to 99.")
            wanted = form.cleaned_data
            change = subscription_change_build(
                subscription=subscription,
                stripe_item_id=wanted["item"],
                price_id=wanted["price"],
                quantity=wanted["quantity"],
            )
            preview = subscription_change_preview(subscription=subscription, change=change)
        except SubscriptionChangeFailed as error:
            messages.error(request, _customer_message(error))
            return HttpResponseRedirect(self.manage_path(subscription))
        confirmation = signing.dumps(
            {**wanted, "proration_date": preview.proration_date}, salt=_CONFIRMATION_SALT
        )
        context = {
            "subscription": subscription,
            "preview": preview,
            "change": change,
            "confirmation": confirmation,
            "manage_path": self.manage_path(subscription),
        }
        return render(request, self.template_name, context)

    def post(self, request, *args, **kwargs):
        subscription = self.get_subscription()
        try:
            confirmed = self.confirmed(request.POST.get("confirmation", ""))
            change = subscription_change_build(
                subscription=subscription,
                stripe_item_id=confirmed["item"],
                price_id=confirmed["price"],
                quantity=confirmed["quantity"],
                proration_date=confirmed["proration_date"],
            )
            subscription = subscription_change(subscription=subscription, change=change)
        except SubscriptionChangeFailed as error:
            messages.error(request, _customer_message(error))
            return HttpResponseRedirect(self.manage_path(subscription))
        plan = f"{change.quantity} × {change.product_name}"
        price = format_money(subscription.amount_per_period, subscription.currency)
        renewal = date_format(subscription.current_period_end, "j F Y")
        if change.ships_from_renewal:
            messages.success(
                request,
                f"Your plan is now {plan}, at {price} per period from today. This period's delivery "
                f"has already gone out: the new plan ships from your renewal on {renewal}.",
            )
        elif change.charge_now:
            messages.success(request, f"Your plan is now {plan}, at {price} per period from today.")
        else:
            messages.success(request, f"From {renewal} your plan is {plan}, at {price} per period.")
        return HttpResponseRedirect(self.manage_path(subscription))

    def confirmed(self, token: str) -> dict:
        try:
            return signing.loads(token, salt=_CONFIRMATION_SALT, max_age=_CONFIRMATION_MAX_AGE)
        except signing.SignatureExpired:
            raise SubscriptionNotChangeable(
                "The price shown has expired: please look at the change again."
            ) from None
        except signing.BadSignature:
            raise SubscriptionNotChangeable("Please look at the price of the change first.") from None


def _portal_redirect(request, subscription: Subscription, return_path: str, *, link: bool):
    """Send the customer to Stripe's portal; `return_path` is where a refusal is shown.

    A member comes back to `return_path`. A guest's link is their key: Stripe's portal page and
    the logs it passes through must not hold it, so the portal leads them back to a page without it.
    """
    back_path = reverse("subscriptions:portal_returned") if link else return_path
    try:
        url = subscription_portal_url(
            subscription=subscription, return_url=request.build_absolute_uri(back_path)
        )
    except SubscriptionChangeFailed as error:
        messages.error(request, _customer_message(error))
        return HttpResponseRedirect(return_path)
    return HttpResponseRedirect(url)


class SubscriptionPortalView(SubscriptionAccessMixin, View):
    """POST only: open Stripe's customer portal (card, invoices), coming back to the subscription."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        subscription = self.get_subscription()
        return _portal_redirect(request, subscription, self.manage_path(subscription), link=self.link)


class SubscriptionPortalReturnedView(TemplateView):
    """Where Stripe's portal leads a guest back to: it names no subscription."""

    template_name = "subscriptions/subscription_portal_returned.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(link_days=SUBSCRIPTION_LINK_MAX_AGE.days, **kwargs)

"""Subscriptions in admin: read-only copies of Stripe's, cancelled now or at period end, paused
(until resumed or until a date), skipped or resumed through Stripe (shop.payment_gateway), the
past-due count on the dashboard, and the plan families a subscriber moves between."""

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from orders.admin.display import address_html
from shop.admin import ReadOnlyAdmin, money_display, url_with_query
from subscriptions.exceptions import SubscriptionChangeFailed
from subscriptions.forms import StaffPauseForm
from subscriptions.models import PlanFamily, Subscription, SubscriptionEmail, SubscriptionStatus
from subscriptions.selectors import subscription_count_past_due
from subscriptions.services import (
    subscription_cancel,
    subscription_pause,
    subscription_resume,
    subscription_skip_next,
    subscription_unpause,
)

BOTH_PAGES = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


class SubscriptionEmailInline(admin.TabularInline):
    model = SubscriptionEmail
    extra = 0
    can_delete = False
    fields = ["sent_at", "kind", "reference", "recipient"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    # A copy of Stripe's: it comes from Stripe only and changes by asking Stripe (the actions).
    list_display = [
        "stripe_subscription_id",
        "customer_email",
        "user",
        "products",
        "status_shown",
        "price_per_period",
        "current_period_end",
        "cancel_at_period_end",
    ]
    list_filter = ["status", "cancel_at_period_end", "pause_behavior"]
    # Plain field names search with icontains: the typed text is a value, never a pattern.
    search_fields = ["customer_email", "=stripe_subscription_id", "=stripe_customer_id"]
    list_select_related = ["user"]
    fields = [
        "stripe_subscription_id",
        "stripe_customer_id",
        "customer_email",
        "user",
        "status_shown",
        "products",
        "price_per_period",
        "current_period_start",
        "current_period_end",
        "trial_end",
        "cancel_at_period_end",
        "canceled_at",
        "ended_at",
        "pause_behavior",
        "pause_resumes_at",
        "delivery_address",
        "latest_invoice_id",
        "order",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [SubscriptionEmailInline]
    actions = [
        "cancel_now",
        "cancel_when_period_ends",
        "undo_cancel_at_period_end",
        "pause_until_resumed",
        "pause_until_date",
        "skip_next_renewal",
        "unpause",
    ]

    price_per_period = money_display("amount_per_period", "price per period")

    def has_cancel_permission(self, request, obj=None):
        return request.user.has_perm("subscriptions.cancel_subscription")

    def has_manage_permission(self, request, obj=None):
        return request.user.has_perm("subscriptions.manage_subscription")

    @admin.display(description="products")
    def products(self, subscription):
        return subscription.product_names

    @admin.display(description="status", ordering="status")
    def status_shown(self, subscription):
        """The status as the shopper reads it: Stripe's "active" says nothing of a pause."""
        status = subscription.get_status_display()
        if not subscription.is_paused:
            return status
        if subscription.renewal_after_pause is None:
            return f"{status} · paused until resumed"
        restart = timezone.localtime(subscription.renewal_after_pause)
        return f"{status} · paused until {date_format(restart, 'j F Y')}"

    @admin.display(description="delivery address")
    def delivery_address(self, subscription):
        """Where renewal orders ship, written as the order pages write an address."""
        name, address = subscription.delivery_address
        return address_html(address, name=name)

    @admin.action(permissions=["cancel"], description="Cancel now…", location=BOTH_PAGES)
    def cancel_now(self, request, queryset):
        return self._cancel(request, queryset, at_period_end=False, action="cancel_now")

    @admin.action(permissions=["cancel"], description="Cancel at period end…", location=BOTH_PAGES)
    def cancel_when_period_ends(self, request, queryset):
        return self._cancel(request, queryset, at_period_end=True, action="cancel_when_period_ends")

    @admin.action(permissions=["manage"], description="Undo cancel at period end", location=BOTH_PAGES)
    def undo_cancel_at_period_end(self, request, queryset):
        self._change_each(request, queryset, subscription_resume, "Renewing again")

    @admin.action(permissions=["manage"], description="Pause until resumed", location=BOTH_PAGES)
    def pause_until_resumed(self, request, queryset):
        self._change_each(
            request,
            queryset,
            lambda subscription: subscription_pause(subscription=subscription, restart_with=None),
            "Paused",
        )

    @admin.action(permissions=["manage"], description="Pause until a date…", location=BOTH_PAGES)
    def pause_until_date(self, request, queryset):
        """Ask for the renewal billing and deliveries restart with (as a subscriber chooses one),
        then pause each subscription until then."""
        subscriptions = list(queryset)
        form = StaffPauseForm(request.POST if "apply" in request.POST else None, subscriptions=subscriptions)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Pause until a date",
                "subtitle": None,
                "opts": self.opts,
                "subscriptions": subscriptions,
                "form": form,
                "action": "pause_until_date",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/subscriptions/subscription/pause_until.html", context)
        skipped = form.cleaned_data["skipped"]
        for subscription in subscriptions:
            choices = subscription.restart_choices()
            restart = choices[skipped - 1] if choices else None
            if restart is None:
                no_renewals = f"{subscription.stripe_subscription_id}: it has no renewals to restart with."
                self.message_user(request, no_renewals, messages.ERROR)
                continue
            self._change_each(
                request,
                [subscription],
                lambda subscription, restart=restart: subscription_pause(
                    subscription=subscription, restart_with=restart
                ),
                f"Paused until the delivery of {date_format(timezone.localtime(restart), 'j F Y')}",
            )
        return None

    @admin.action(permissions=["manage"], description="Skip the next renewal", location=BOTH_PAGES)
    def skip_next_renewal(self, request, queryset):
        self._change_each(request, queryset, subscription_skip_next, "Next renewal skipped")

    @admin.action(permissions=["manage"], description="Resume a paused subscription", location=BOTH_PAGES)
    def unpause(self, request, queryset):
        self._change_each(request, queryset, subscription_unpause, "Charging and delivering again")

    def _change_each(self, request, queryset, change, done_words: str) -> None:
        """Make the change at Stripe for each subscription; say which it was made for, and why not
        for the others."""
        done = []
        for subscription in queryset:
            try:
                change(subscription=subscription)
            except SubscriptionChangeFailed as error:
                self.message_user(request, f"{subscription.stripe_subscription_id}: {error}", messages.ERROR)
                continue
            done.append(subscription.stripe_subscription_id)
        if done:
            self.message_user(request, f"{done_words}: {', '.join(done)}.", messages.SUCCESS)

    def _cancel(self, request, queryset, *, at_period_end: bool, action: str):
        """Ask for confirmation, then cancel each subscription at Stripe and show what Stripe answered."""
        subscriptions = list(queryset)
        if "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "title": "Cancel at period end" if at_period_end else "Cancel now",
                "subtitle": None,
                "opts": self.opts,
                "subscriptions": subscriptions,
                "at_period_end": at_period_end,
                "action": action,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/subscriptions/subscription/cancel.html", context)
        done = []
        for subscription in subscriptions:
            try:
                subscription_cancel(subscription=subscription, at_period_end=at_period_end)
            except SubscriptionChangeFailed as error:
                self.message_user(request, f"{subscription.stripe_subscription_id}: {error}", messages.ERROR)
                continue
            done.append(subscription.stripe_subscription_id)
        if done:
            how = "to end at period end" if at_period_end else "now"
            self.message_user(request, f"Cancelled {how}: {', '.join(done)}.", messages.SUCCESS)
        return None


@admin.register(PlanFamily)
class PlanFamilyAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["products"]


@admin.site.add_dashboard_panel
def subscriptions_dashboard_panel(user) -> dict:
    """Return the count of subscriptions whose payment failed, linked to that list."""
    if not user.has_perm("subscriptions.view_subscription"):
        return {}
    return {
        "past_due_subscriptions": {
            "count": subscription_count_past_due(),
            "url": url_with_query(
                reverse("admin:subscriptions_subscription_changelist"),
                status__exact=SubscriptionStatus.PAST_DUE,
            ),
        }
    }

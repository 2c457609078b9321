"""The Stripe webhook log: every event as received, read-only, its processing state, and Retry.

Retry (an action on the list, a button on an event's page) runs the event's handler again through
payments.services.webhook_event_process, as `manage.py retry_webhooks` does.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.text import Truncator

from payments.models import WebhookEvent
from shop.admin import ReadOnlyAdmin, pretty_json, url_with_query


class FailedFilter(admin.SimpleListFilter):
    title = "failed"
    parameter_name = "failed"

    def lookups(self, request, model_admin):
        return [("yes", "Yes (not processed, tried)"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.failed()
        if self.value() == "no":
            return queryset.filter(Q(processed=True) | Q(attempts=0))
        return queryset


class ApiVersionFilter(admin.SimpleListFilter):
    title = "API version"
    parameter_name = "api_version"

    def lookups(self, request, model_admin):
        return [
            ("pinned", f"The shop's ({settings.STRIPE_API_VERSION})"),
            ("other", "Another version"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "pinned":
            return queryset.filter(api_version=settings.STRIPE_API_VERSION)
        if self.value() == "other":
            return queryset.exclude(api_version=settings.STRIPE_API_VERSION).exclude(api_version="")
        return queryset


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    # Events come from Stripe only, are read and retried, never edited; the stored event is what
    # makes a redelivery a recognised repeat, so it is never deleted either.
    list_display = [
        "stripe_event_id",
        "type",
        "processed",
        "attempts",
        "short_error",
        "api_version_display",
        "received_at",
    ]
    list_filter = ["type", "processed", FailedFilter, ApiVersionFilter, "livemode"]
    search_fields = ["=stripe_event_id", "type"]
    date_hierarchy = "received_at"
    fields = [
        "stripe_event_id",
        "type",
        "api_version_display",
        "livemode",
        "stripe_created_at",
        "received_at",
        "processed",
        "processed_at",
        "attempts",
        "last_error",
        "processing_started_at",
        "payload_display",
        "updated_at",
    ]
    readonly_fields = fields
    actions = ["retry"]

    def has_retry_permission(self, request, obj=None):
        return request.user.has_perm("payments.change_webhookevent")

    def get_urls(self):
        retry = path(
            "<path:object_id>/retry/",
            self.admin_site.admin_view(self.retry_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_retry",
        )
        return [retry, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_retry": self.has_retry_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="last error or note")
    def short_error(self, event):
        return Truncator(event.last_error).chars(80)

    @admin.display(description="API version")
    def api_version_display(self, event):
        if event.api_version_differs:
            # The endpoint in the Stripe dashboard should be set to the shop's version (docs/stripe.md).
            return f"⚠ {event.api_version} (not {settings.STRIPE_API_VERSION})"
        return event.api_version or "—"

    @admin.display(description="payload")
    def payload_display(self, event):
        return pretty_json(event.payload)

    @admin.action(permissions=["retry"], description="Retry selected events")
    def retry(self, request, queryset):
        """Run each unprocessed event's handler again; a failure is recorded on the event itself."""
        succeeded, failed, skipped = [], [], 0
        for event in queryset.order_by("received_at"):
            outcome, error = _retry(event)
            if outcome == RETRY_PROCESSED:
                succeeded.append(event.stripe_event_id)
            elif outcome == RETRY_FAILED:
                failed.append(f"{event.stripe_event_id}: {error}")
            else:
                skipped += 1
        if succeeded:
            self.message_user(request, f"Processed {len(succeeded)} event(s).", messages.SUCCESS)
        if failed:
            self.message_user(
                request, f"{len(failed)} event(s) failed again: {'; '.join(failed)}", messages.ERROR
            )
        if skipped:
            self.message_user(request, f"Skipped {skipped} event(s) already processed.", messages.INFO)

    def retry_view(self, request, object_id):
        """Retry one event from its page (the page's Retry button posts here)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        event = self.get_object(request, unquote(object_id))
        if event is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_retry_permission(request, event):
            raise PermissionDenied
        outcome, error = _retry(event)
        if outcome == RETRY_PROCESSED:
            self.message_user(request, f"Processed {event.stripe_event_id}.", messages.SUCCESS)
        elif outcome == RETRY_FAILED:
            self.message_user(
                request,
                f"{event.stripe_event_id} failed again: {error} The error is kept on the event.",
                messages.ERROR,
            )
        else:
            self.message_user(
                request, f"{event.stripe_event_id} was already processed: nothing to retry.", messages.INFO
            )
        return HttpResponseRedirect(reverse("admin:payments_webhookevent_change", args=[event.pk]))


RETRY_PROCESSED, RETRY_FAILED, RETRY_SKIPPED = "processed", "failed", "skipped"


def _retry(event: WebhookEvent) -> tuple[str, Exception | None]:
    """Run the event's handler again through the service `manage.py retry_webhooks` uses.

    Return (RETRY_PROCESSED | RETRY_FAILED | RETRY_SKIPPED, the error of a failure).
    """
    from payments.services import webhook_event_process

    if event.processed:
        return RETRY_SKIPPED, None
    try:
        ran = webhook_event_process(event=event)
    except Exception as error:
        # Whatever went wrong, the service recorded it on the event: report it, go on.
        return RETRY_FAILED, error
    # False: another worker processed it in the meantime.
    return (RETRY_SKIPPED, None) if ran is False else (RETRY_PROCESSED, None)


@admin.site.add_dashboard_panel
def webhooks_dashboard_panel(user) -> dict:
    """Return the count of failed webhook events, linked to the list of them."""
    if not user.has_perm("payments.view_webhookevent"):
        return {}
    return {
        "failed_webhook_events": {
            "count": WebhookEvent.objects.failed().count(),
            "url": url_with_query(reverse("admin:payments_webhookevent_changelist"), failed="yes"),
        }
    }

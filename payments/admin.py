"""The Stripe webhook log: every event as received, its processing state, and a retry action."""

from django.contrib import admin, messages
from django.db.models import Q
from django.urls import reverse
from django.utils.text import Truncator

from payments.models import WebhookEvent
from shop.admin import pretty_json, url_with_query


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


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["stripe_event_id", "type", "processed", "attempts", "short_error", "received_at"]
    list_filter = ["type", "processed", FailedFilter, "livemode"]
    search_fields = ["=stripe_event_id", "type"]
    date_hierarchy = "received_at"
    fields = [
        "stripe_event_id",
        "type",
        "api_version",
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

    def has_add_permission(self, request):
        # Events come from Stripe only.
        return False

    def has_delete_permission(self, request, obj=None):
        # The stored event is what makes a redelivery a recognised repeat.
        return False

    @admin.display(description="last error or note")
    def short_error(self, event):
        return Truncator(event.last_error).chars(80)

    @admin.display(description="payload")
    def payload_display(self, event):
        return pretty_json(event.payload)

    @admin.action(permissions=["change"], description="Retry selected events")
    def retry(self, request, queryset):
        """Run each unprocessed event's handler again; a failure is recorded on the event itself."""
        from payments.services import webhook_event_process

        succeeded, failed, skipped = [], [], 0
        for event in queryset.order_by("received_at"):
            if event.processed:
                skipped += 1
                continue
            try:
                ran = webhook_event_process(event=event)
            except Exception as error:
                # Whatever went wrong, the service recorded it on the event: report it, go on.
                failed.append(f"{event.stripe_event_id}: {error}")
            else:
                # False: another worker processed it in the meantime.
                if ran is False:
                    skipped += 1
                else:
                    succeeded.append(event.stripe_event_id)
        if succeeded:
            self.message_user(request, f"Processed {len(succeeded)} event(s).", messages.SUCCESS)
        if failed:
            self.message_user(
                request, f"{len(failed)} event(s) failed again: {'; '.join(failed)}", messages.ERROR
            )
        if skipped:
            self.message_user(request, f"Skipped {skipped} event(s) already processed.", messages.INFO)


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

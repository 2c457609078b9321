"""The background work in the admin: tasks waiting, running and failed (with the error, and Retry),
and the outgoing emails, sent or not; their counts on the dashboard."""

from django.contrib import admin, messages
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from jobs.models import OutgoingEmail, TaskRecord
from jobs.services import task_records_retry
from shop.admin import ReadOnlyAdmin, pretty_json, url_with_query


@admin.register(TaskRecord)
class TaskRecordAdmin(ReadOnlyAdmin):
    # Queue and priority are on each task's page and in the filters: in the list they would push
    # the error, what staff come here for, past the edge of a laptop's window.
    list_display = ["task", "status", "tries", "run_after", "short_error"]
    list_filter = ["status", "queue_name", "task_path"]
    date_hierarchy = "enqueued_at"
    fields = [
        "task_path",
        "status",
        "queue_name",
        "priority",
        "args_display",
        "kwargs_display",
        "attempts",
        "max_attempts",
        "run_after",
        "enqueued_at",
        "started_at",
        "last_attempted_at",
        "finished_at",
        "worker_id",
        "lease_expires_at",
        "worker_ids",
        "return_value",
        "errors_display",
    ]
    readonly_fields = fields
    actions = ["retry"]

    def has_retry_permission(self, request, obj=None):
        return request.user.has_perm("jobs.change_taskrecord")

    @admin.display(description="task", ordering="task_path")
    def task(self, record):
        """ "payments: webhook_event_handle" for payments.tasks.webhook_event_handle."""
        module, _, function = record.task_path.rpartition(".")
        return f"{module.partition('.')[0]}: {function}" if module else function

    @admin.display(description="tries", ordering="attempts")
    def tries(self, record):
        return f"{record.attempts} of {record.max_attempts}"

    @admin.display(description="last error")
    def short_error(self, record):
        # A task that succeeded on a retry has no error now; its page keeps the old ones as history.
        if record.status == TaskResultStatus.SUCCESSFUL:
            return ""
        lines = record.last_error.strip().splitlines()
        return Truncator(lines[-1] if lines else "").chars(80)

    @admin.display(description="args")
    def args_display(self, record):
        return pretty_json(record.args)

    @admin.display(description="kwargs")
    def kwargs_display(self, record):
        return pretty_json(record.kwargs)

    @admin.display(description="errors, oldest first")
    def errors_display(self, record):
        return format_html("<pre>{}</pre>", "\n\n".join(error["traceback"] for error in record.errors))

    @admin.action(permissions=["retry"], description="Retry selected failed tasks")
    def retry(self, request, queryset):
        retried = task_records_retry(task_ids=queryset.values_list("pk", flat=True))
        skipped = queryset.count() - retried
        if retried:
            self.message_user(request, f"Queued {retried} failed task(s) again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"Left {skipped} task(s) alone: only failed ones are retried.", messages.INFO
            )


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ["subject", "recipient", "created_at", "sent_at"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["=recipient"]
    date_hierarchy = "created_at"
    fields = ["key", "recipient", "subject", "created_at", "sent_at", "body"]
    readonly_fields = fields


@admin.site.add_dashboard_panel
def jobs_dashboard_panel(user) -> dict:
    """Return the counts of failed tasks and of emails not sent yet, each linked to its list."""
    figures = {}
    if user.has_perm("jobs.view_taskrecord"):
        figures["failed_tasks"] = {
            "count": TaskRecord.objects.failed().count(),
            "url": url_with_query(
                reverse("admin:jobs_taskrecord_changelist"), status__exact=TaskResultStatus.FAILED
            ),
        }
    if user.has_perm("jobs.view_outgoingemail"):
        figures["unsent_emails"] = {
            "count": OutgoingEmail.objects.unsent().count(),
            "url": url_with_query(reverse("admin:jobs_outgoingemail_changelist"), sent_at__isempty=1),
        }
    return figures

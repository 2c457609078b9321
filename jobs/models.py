"""Background work kept in the shop's database: the tasks of Django's task framework, the ticks of
the periodic tasks, and the outgoing emails."""

from django.db import models
from django.tasks import TaskResultStatus
from django.utils import timezone

from shop.indexes import TTLIndex


class TaskRecordQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(status=TaskResultStatus.READY)

    def running(self):
        return self.filter(status=TaskResultStatus.RUNNING)

    def failed(self):
        return self.filter(status=TaskResultStatus.FAILED)


class TaskRecord(models.Model):
    """One enqueued task, its state and its result (jobs.backend.MongoDBTaskBackend)."""

    task_path = models.CharField(max_length=255, help_text="The dotted path of the task function.")
    queue_name = models.CharField(max_length=100)
    priority = models.IntegerField(default=0)
    backend_name = models.CharField(max_length=100)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=TaskResultStatus.choices, default=TaskResultStatus.READY)
    # Always set (the enqueue time when not deferred), so one range serves the claim.
    run_after = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField()
    # While RUNNING: the worker holding it, and until when; a lapsed lease may be taken over.
    worker_id = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    worker_ids = models.JSONField(default=list, blank=True)
    errors = models.JSONField(
        default=list, blank=True, help_text="Each failed attempt's exception class and traceback."
    )
    return_value = models.JSONField(null=True, blank=True)
    enqueued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    last_attempted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set when the task succeeds: MongoDB deletes the row then. Failed ones stay for staff.
    purge_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = TaskRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "task"
        ordering = ["-enqueued_at"]
        indexes = [
            # The claim: equality on status and queue, sorted by priority then run_after, range on
            # run_after (equality, sort, range).
            models.Index(fields=["status", "queue_name", "-priority", "run_after"], name="jobs_task_claim"),
            models.Index(fields=["status", "lease_expires_at"], name="jobs_task_lease"),
            models.Index(fields=["status", "-enqueued_at"], name="jobs_task_status_newest"),
            TTLIndex(fields=["purge_at"], name="jobs_task_purge_ttl", expire_after_seconds=0),
        ]

    def __str__(self):
        return f"{self.task_path} ({self.get_status_display()})"

    @property
    def last_error(self) -> str:
        return self.errors[-1]["traceback"] if self.errors else ""


class PeriodicRun(models.Model):
    """One tick of one periodic task: its unique key lets one worker, and only one, enqueue it."""

    name = models.CharField(max_length=100)
    tick = models.BigIntegerField(help_text="Seconds since the epoch divided by the task's period.")
    enqueued_at = models.DateTimeField(default=timezone.now)
    purge_at = models.DateTimeField(editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "tick"], name="jobs_periodic_once_a_tick")]
        indexes = [TTLIndex(fields=["purge_at"], name="jobs_periodic_purge_ttl", expire_after_seconds=0)]

    def __str__(self):
        return f"{self.name} #{self.tick}"


class OutgoingEmailQuerySet(models.QuerySet):
    def unsent(self):
        return self.filter(sent_at=None)


class OutgoingEmail(models.Model):
    """An email rendered when the shop decided to send it, delivered by a task, sent once per key."""

    key = models.CharField(max_length=255, unique=True)
    recipient = models.EmailField()
    subject = models.CharField(max_length=998)
    body = models.TextField()
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set once sent: the key is kept this long against a retried task sending it again.
    purge_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["sent_at", "-created_at"], name="jobs_email_unsent_newest"),
            TTLIndex(fields=["purge_at"], name="jobs_email_purge_ttl", expire_after_seconds=0),
        ]

    def __str__(self):
        return f"{self.subject} → {self.recipient}"

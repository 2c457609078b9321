from django.conf import settings
from django.db import models
from django.utils import timezone


class WebhookEventQuerySet(models.QuerySet):
    def unprocessed(self):
        """Return stored events whose handler has not succeeded yet, oldest first (the retry queue)."""
        return self.filter(processed=False).order_by("received_at")

    def failed(self):
        """Return unprocessed events whose handler ran at least once and failed."""
        return self.filter(processed=False, attempts__gt=0)


class WebhookEvent(models.Model):
    """A Stripe event, stored once before it is processed, so none is ever lost."""

    stripe_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    api_version = models.CharField(max_length=50, blank=True)
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    stripe_created_at = models.DateTimeField(
        null=True, blank=True, help_text="When Stripe created the event."
    )
    processed = models.BooleanField(default=False)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Set while one worker runs the handler: a concurrent delivery of the same event sees it and
    # backs off. A lease, so that a worker that died mid-way does not block the event for good.
    processing_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WebhookEventQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["processed", "received_at"], name="webhook_retry_queue"),
            models.Index(fields=["-received_at"], name="webhook_newest"),
            models.Index(fields=["type", "-received_at"], name="webhook_type_newest"),
        ]

    def __str__(self):
        return f"{self.type} ({self.stripe_event_id})"

    @property
    def api_version_differs(self) -> bool:
        """Whether Stripe rendered the event in another API version than the shop's pinned one.

        Handlers read their objects at the pinned version, but such an event tells staff that the
        endpoint's version in the Stripe dashboard is not the one the shop is built for."""
        return bool(self.api_version) and self.api_version != settings.STRIPE_API_VERSION

    @property
    def failed(self):
        return not self.processed and self.attempts > 0

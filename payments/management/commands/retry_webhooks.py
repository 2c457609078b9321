"""Re-run stored Stripe events whose processing has not succeeded, oldest first."""

from django.core.management.base import BaseCommand
from django.db import connection

from payments.exceptions import WebhookEventInProgress
from payments.models import WebhookEvent
from payments.services import webhook_event_process


class Command(BaseCommand):
    help = "Re-run stored Stripe webhook events that have not been processed yet, oldest first."

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-attempts",
            type=int,
            default=10,
            help="Leave alone events already tried this many times (default: 10); 0 retries all.",
        )
        parser.add_argument(
            "--limit", type=int, default=500, help="Retry at most this many events (default: 500)."
        )

    def handle(self, *args, max_attempts, limit, **options):
        events = WebhookEvent.objects.unprocessed()
        if max_attempts:
            events = events.filter(attempts__lt=max_attempts)
        processed = failed = busy = 0
        for event in events[:limit]:
            try:
                webhook_event_process(event=event)
            except WebhookEventInProgress:
                busy += 1
            except Exception as error:
                # The service recorded the error on the event; carry on with the next one.
                failed += 1
                self.stderr.write(f"{event.stripe_event_id} ({event.type}) failed again: {error}")
                # A transaction that failed at commit can leave its session on the connection.
                connection.close()
            else:
                processed += 1
        given_up = (
            WebhookEvent.objects.failed().filter(attempts__gte=max_attempts).count() if max_attempts else 0
        )
        summary = f"Retried {processed + failed + busy} event(s): {processed} processed, {failed} failed"
        summary += (
            f", {busy} in progress elsewhere; {given_up} at or over {max_attempts} attempts left alone."
        )
        self.stdout.write(self.style.SUCCESS(summary) if not failed else self.style.WARNING(summary))

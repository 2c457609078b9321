"""Orders' background work: the emails a change owed whose queuing failed."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from orders.emails import order_emails_owed_queue

# How far back the catch-up looks: far within the time a sent email's key is kept, so it never
# queues one that was sent.
CATCH_UP_WINDOW = timedelta(days=7)


@task
def order_emails_catch_up() -> int:
    """Queue the confirmations and shipping notices of recent orders that were never queued (the
    write failed, or its process died after the change); return how many."""
    return order_emails_owed_queue(since=timezone.now() - CATCH_UP_WINDOW)

"""The delivery of the shop's emails, one task per email (shop.mail.mail_send enqueues them), and
the hourly requeue of those left unsent."""

from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.utils import timezone

from jobs.models import OutgoingEmail

# How long the key of a sent email is kept: a task retried within it never sends the email again.
SENT_KEY_LIFETIME = timedelta(days=30)
# An email written this recently may have its task being queued still (mail_queue's second write).
REQUEUE_AFTER = timedelta(minutes=10)


@task
def email_deliver(*, key: str) -> bool:
    """Send the outgoing email `key` unless it was sent; False when it had been. Raise what the mail
    backend raises (the mail server is down): the task is tried again later."""
    email = OutgoingEmail.objects.filter(key=key, sent_at=None).first()
    if email is None:
        return False
    message = EmailMultiAlternatives(subject=email.subject, body=email.body, to=[email.recipient])
    if email.html:
        message.attach_alternative(email.html, "text/html")
    message.send()
    now = timezone.now()
    OutgoingEmail.objects.filter(pk=email.pk, sent_at=None).update(
        sent_at=now, purge_at=now + SENT_KEY_LIFETIME
    )
    return True


@task
def unsent_emails_requeue() -> int:
    """Queue again the delivery of each email left unsent with no task to send it: its task ran out
    of attempts (a long outage of the mail server) or was never queued; return how many."""
    from jobs.services import outgoing_emails_requeue

    return outgoing_emails_requeue(written_before=timezone.now() - REQUEUE_AFTER)

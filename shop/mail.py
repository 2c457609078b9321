"""The shop's emails: each one a plain-text body with an HTML alternative, from two templates.

An email is rendered when the shop decides to send it and stored (jobs.OutgoingEmail), in the
caller's transaction when there is one; a task (jobs.tasks.email_deliver) sends it, and tries
again while the mail server is down. Each email has a key and is sent once per key.

An email a state change owes (an order paid, a refund settled) is asked for again by whatever
runs again after a failure (a retried event or task), not only by the run that made the change:
the key queues it once. Errors reach the caller, so that run fails and is tried again.
"""

import uuid
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError
from django.template.loader import render_to_string
from django.utils import timezone

from jobs.models import OutgoingEmail
from jobs.tasks import SENT_KEY_LIFETIME, email_deliver


def mail_send(*, template: str, context: dict, subject: str, recipient: str, key: str = "") -> bool:
    """Queue `template`.txt with `template`.html as its alternative for `recipient`; both templates
    also get `site_name`. `key` names the email: one already queued under it is not queued again
    (False). Without a key each call is a new email."""
    if key and OutgoingEmail.objects.filter(key=key).exists():
        # Asked for again (a retried event): nothing to render.
        return False
    context = {**context, "site_name": settings.SITE_NAME}
    return mail_queue(
        recipient=recipient,
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
        key=key,
    )


def mail_queue(*, recipient: str, subject: str, body: str, html: str = "", key: str = "") -> bool:
    """Store a rendered email and queue its delivery; False when one under `key` was queued already."""
    key = key or uuid.uuid4().hex
    try:
        OutgoingEmail.objects.create(key=key, recipient=recipient, subject=subject, body=body, html=html)
    except IntegrityError:
        return False
    email_deliver.enqueue(key=key)
    return True


def mail_key_kept(*, since: datetime | None) -> bool:
    """Whether an email keyed on a change made at `since` may be asked for again without being sent
    twice: its key is kept SENT_KEY_LIFETIME after it was sent, which was after the change."""
    return since is not None and since > timezone.now() - SENT_KEY_LIFETIME

"""The shop's emails: each one a plain-text body with an HTML alternative, from two templates.

An email is rendered when the shop decides to send it and stored (jobs.OutgoingEmail), in the
caller's transaction when there is one; a task (jobs.tasks.email_deliver) sends it, and tries
again while the mail server is down. Each email has a key and is sent once per key.
"""

import uuid

from django.conf import settings
from django.db import IntegrityError
from django.template.loader import render_to_string

from jobs.models import OutgoingEmail
from jobs.tasks import email_deliver


def mail_send(*, template: str, context: dict, subject: str, recipient: str, key: str = "") -> bool:
    """Queue `template`.txt with `template`.html as its alternative for `recipient`; both templates
    also get `site_name`. `key` names the email: one already queued under it is not queued again
    (False). Without a key each call is a new email."""
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

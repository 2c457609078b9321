"""The shop's emails: each one a plain-text body with an HTML alternative, from two templates."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def mail_send(*, template: str, context: dict, subject: str, recipient: str) -> None:
    """Send `template`.txt with `template`.html as its alternative to `recipient`; both templates
    also get `site_name`. Raise what the mail backend raises."""
    context = {**context, "site_name": settings.SITE_NAME}
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string(f"{template}.txt", context), to=[recipient]
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()

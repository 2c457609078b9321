"""An email backend for the development terminal: each message as a person reads it."""

from django.core.mail.backends.console import EmailBackend


class TextConsoleEmailBackend(EmailBackend):
    """Print sender, recipients, subject and the text body, instead of the raw MIME message."""

    def write_message(self, message):
        headers = [("From", message.from_email), ("To", ", ".join(message.to))]
        headers += [("Cc", ", ".join(message.cc)), ("Bcc", ", ".join(message.bcc))]
        lines = [f"{name}: {value}" for name, value in headers if value]
        lines += [f"Subject: {message.subject}", "", message.body.rstrip()]
        if any(mimetype == "text/html" for _, mimetype in getattr(message, "alternatives", [])):
            lines += ["", "(an HTML version too, not shown)"]
        self.stream.write("\n".join(lines) + "\n" + "-" * 79 + "\n")

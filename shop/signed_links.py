"""Links that let someone who is not signed in open one thing of theirs (a guest's order or
subscription): the link carries the thing's key, signed and dated, and expires."""

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.urls import reverse


@dataclass(frozen=True)
class SignedLink:
    """Signed links to the URL named `url_name`, which takes the signed value as its `token`."""

    salt: str
    url_name: str
    max_age: timedelta

    def path(self, value: str) -> str:
        """Return the path of the link to `value`."""
        token = signing.TimestampSigner(salt=self.salt).sign(value)
        return reverse(self.url_name, kwargs={"token": token})

    def value(self, token: str) -> str:
        """Return the value `token` signed; raise signing.SignatureExpired or BadSignature."""
        return signing.TimestampSigner(salt=self.salt).unsign(token, max_age=self.max_age)

"""Password reset links that name the address they were mailed to."""

from allauth.account.forms import EmailAwarePasswordResetTokenGenerator
from django.core import signing


class AddressPasswordResetTokenGenerator(EmailAwarePasswordResetTokenGenerator):
    """allauth's reset token, followed by the address it was mailed to, signed for its user.

    allauth's token says which account a link resets, not which address received it; the reset
    proves that address (accounts/services.py, user_prove_address), so the link carries it.
    """

    salt = "accounts.tokens.AddressPasswordResetTokenGenerator"

    def __init__(self, email=None):
        super().__init__()
        self.email = email

    def make_token(self, user):
        if self.email is None:
            raise ValueError("A reset link names the address it is mailed to.")
        signed_address = signing.dumps([str(user.pk), self.email.lower()], salt=self.salt)
        return f"{super().make_token(user)}.{signed_address}"

    def check_token(self, user, token):
        return self.address_of(user, token) is not None

    def address_of(self, user, token):
        """Return the address `token` was mailed to, or None when it does not reset `user`."""
        token, _, signed_address = (token or "").partition(".")
        if not super().check_token(user, token):
            return None
        try:
            user_pk, email = signing.loads(signed_address, salt=self.salt)
        except (signing.BadSignature, TypeError, ValueError):
            return None
        return email if user_pk == str(user.pk) else None

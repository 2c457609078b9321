"""How allauth writes a user's primary key into links (password reset) and the session (login stages).

allauth takes any IntegerField subclass for an integer and base-36 encodes it; the backend's
ObjectIdAutoField is one, so allauth's own functions fail on every ObjectId. These replace them
with the key's hex string. install() runs from AccountsConfig.ready().
"""

from allauth.account import forms as allauth_forms
from allauth.account import utils as allauth_utils
from bson import ObjectId


def user_pk_to_url_str(user):
    """Return the user's primary key as its 24-character hex string."""
    return str(user.pk)


def url_str_to_user_pk(pk_str):
    """Return the ObjectId written by user_pk_to_url_str(); raise ValueError for anything else."""
    if not ObjectId.is_valid(pk_str):
        raise ValueError(f"not a user key: {pk_str!r}")
    return ObjectId(pk_str)


def install():
    # allauth imports these from allauth.account.utils at call time, except forms.py at import.
    allauth_utils.user_pk_to_url_str = user_pk_to_url_str
    allauth_utils.url_str_to_user_pk = url_str_to_user_pk
    allauth_forms.url_str_to_user_pk = url_str_to_user_pk

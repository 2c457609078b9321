"""Small builders shared by the cart tests."""

from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory


def guest_request(session=None):
    """Return a GET request of a visitor without an account, with a real database session."""
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    request.session = session if session is not None else SessionStore()
    return request


def user_request(user):
    request = guest_request()
    request.user = user
    return request

"""The shop's session store: Django's database sessions, read with one command."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.sessions import SessionStore
from shop.transactions import atomic

pytestmark = pytest.mark.django_db


def saved_session(**data) -> str:
    session = SessionStore()
    session.update(data)
    session.save()
    return session.session_key


def test_a_session_comes_back_with_its_data_in_one_command():
    key = saved_session(cart_id="abc")
    saved_session(cart_id="neighbour")

    with CaptureQueriesContext(connection) as commands:
        session = SessionStore(session_key=key)
        assert session["cart_id"] == "abc"

    assert len(commands.captured_queries) == 1


def test_an_expired_session_is_empty_and_saved_under_a_new_key_leaving_the_old_row_alone():
    key = saved_session(cart_id="abc")
    neighbour = saved_session(cart_id="neighbour")
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))

    session = SessionStore(session_key=key)
    assert session.get("cart_id") is None
    session["cart_id"] = "new"
    session.save()

    assert session.session_key != key
    assert SessionStore(session_key=neighbour)["cart_id"] == "neighbour"
    assert SessionStore(session_key=session.session_key)["cart_id"] == "new"


def test_an_unknown_key_is_an_empty_session():
    saved_session(cart_id="abc")

    session = SessionStore(session_key="x" * 32)

    assert session.get("cart_id") is None
    assert not session.exists("x" * 32)


def test_inside_a_transaction_a_session_is_read_in_it_as_the_orm_reads():
    key = saved_session(cart_id="abc")

    with atomic():
        session = SessionStore(session_key=key)
        session["cart_id"] = "written in the transaction"
        session.save()
        assert SessionStore(session_key=key)["cart_id"] == "written in the transaction"

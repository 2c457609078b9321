"""Staff test wiring: admin clients per role, and Stripe as the test needs it.

By default Stripe is unreachable (a closed port), so no test talks to a simulator left running on
the development port by accident. Catalog sync compares whole catalogs, so unlike the shared
fixtures of tests/conftest.py, `quiet_sim` and `stripe_sim` here start a fresh, empty simulator
for each test.
"""

import socket

import pytest
from django.test import Client

from accounts.models import UserRole
from tests import factories
from tests.conftest import (
    point_shop_at_stripe_simulator,
)


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def stripe_down(settings):
    """Point the shop at a port where nothing listens: every Stripe call fails to connect.

    Return that address, for a test that takes Stripe down after starting a simulator.
    """
    url = f"http://127.0.0.1:{_closed_port()}"
    point_shop_at_stripe_simulator(settings, url)
    return url


@pytest.fixture
def quiet_sim(stripe_down, fresh_quiet_sim):
    """A simulator of its own that delivers nothing, started after stripe_down (whose address a test
    can switch to)."""
    return fresh_quiet_sim


@pytest.fixture
def stripe_sim(stripe_down, fresh_sim):
    """A simulator of its own delivering to the live server, started after stripe_down."""
    return fresh_sim


@pytest.fixture
def client_as(db):
    """Return a test client signed in with a new user of `role` (None: anonymous)."""

    def make(role):
        client = Client()
        if role is not None:
            client.force_login(factories.UserFactory(role=role))
        return client

    return make


@pytest.fixture
def staff_client(client_as):
    return client_as(UserRole.ADMIN)

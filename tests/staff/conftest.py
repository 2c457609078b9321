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
from stripe_simulator import StripeSimulator
from tests import factories
from tests.conftest import (
    STRIPE_TEST_RETRY_DELAYS,
    STRIPE_TEST_WEBHOOK_SECRET,
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
def quiet_sim(settings, stripe_down):
    simulator = StripeSimulator(
        webhook_url=None, webhook_secret=STRIPE_TEST_WEBHOOK_SECRET, async_settle_delay=None
    ).start()
    point_shop_at_stripe_simulator(settings, simulator.url)
    yield simulator
    simulator.stop()


@pytest.fixture
def stripe_sim(settings, live_server, stripe_down):
    simulator = StripeSimulator(
        webhook_url=f"{live_server.url}/payments/webhook/",
        webhook_secret=STRIPE_TEST_WEBHOOK_SECRET,
        retry_delays=STRIPE_TEST_RETRY_DELAYS,
        async_settle_delay=None,
    ).start()
    point_shop_at_stripe_simulator(settings, simulator.url)
    yield simulator
    simulator.wait_for_deliveries(timeout=10)
    simulator.stop()


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

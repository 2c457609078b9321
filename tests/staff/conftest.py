"""Staff test wiring: admin clients per role, and Stripe as the test needs it.

By default Stripe is unreachable (a closed port), so no test talks to a simulator left running on
the development port by accident. `quiet_sim` is a fresh simulator that delivers no webhooks;
`stripe_sim` delivers its signed webhooks to the live server, as Stripe would.
"""

import socket

import pytest
import stripe
from django.test import Client

from accounts.models import UserRole
from payments.stripe_simulator import StripeSimulator
from tests import factories

API_KEY = "sk_test_staff_tests"
WEBHOOK_SECRET = "whsec_staff_tests"
# Stripe retries failed deliveries over days; here over a fraction of a second.
RETRY_DELAYS = (0.05, 0.1, 0.2)


def _point_shop_at(settings, url):
    settings.STRIPE_USE_SIMULATOR = True
    settings.STRIPE_API_BASE = url
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 5


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
    _point_shop_at(settings, url)
    return url


@pytest.fixture
def quiet_sim(settings, stripe_down):
    simulator = StripeSimulator(
        webhook_url=None, webhook_secret=WEBHOOK_SECRET, async_settle_delay=None
    ).start()
    _point_shop_at(settings, simulator.url)
    yield simulator
    simulator.stop()


@pytest.fixture
def stripe_sim(settings, live_server, stripe_down):
    simulator = StripeSimulator(
        webhook_url=f"{live_server.url}/payments/webhook/",
        webhook_secret=WEBHOOK_SECRET,
        retry_delays=RETRY_DELAYS,
        async_settle_delay=None,
    ).start()
    _point_shop_at(settings, simulator.url)
    yield simulator
    simulator.wait_for_deliveries(timeout=10)
    simulator.stop()


@pytest.fixture
def stripe_api(settings):
    """Return a maker of SDK clients on the simulator the test uses, to look at Stripe's side."""

    def make():
        return stripe.StripeClient(API_KEY, base_addresses={"api": settings.STRIPE_API_BASE})

    return make


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

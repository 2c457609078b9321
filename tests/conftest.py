"""Test wiring: an isolated database server, and fast isolation between tests.

With MONGODB_URI unset, the suite starts its own in-memory embedded server on a free port and
never touches development data. With MONGODB_URI set, it uses that server with a throwaway
database name (Django prefixes it with "test_" and drops it at the end).
"""

import os
import random
import uuid

import pytest
import stripe
from django.db import connections

from devtools.embedded_mongodb import start_server_process, stop_server_process
from stripe_simulator import StripeSimulator


def pytest_addoption(parser):
    parser.addoption(
        "--stripe-delivery",
        choices=("ordered", "unruly"),
        default="ordered",
        help="how the delivering Stripe simulators send webhooks: ordered, or unruly (reordered, some "
        "twice, retried longer; `make test` runs the suites whose webhooks move money once that way)",
    )
    parser.addoption(
        "--stripe-delivery-seed",
        type=int,
        default=None,
        help="seed of the unruly delivery's draws (which events are held back, how long, which are sent "
        "twice); default: a new one each run, printed in the header: pass it to replay a failing run",
    )


def pytest_configure(config):
    # Chosen once, before any simulator starts, so every simulator of the run draws from it.
    if config.getoption("stripe_delivery_seed") is None:
        config.option.stripe_delivery_seed = random.SystemRandom().randrange(1_000_000)


def pytest_report_header(config):
    return _unruly_delivery_line(config)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # Again under the failures: -q leaves the header out.
    if exitstatus != 0 and (line := _unruly_delivery_line(config)):
        terminalreporter.write_line(line)


def _unruly_delivery_line(config) -> str | None:
    if config.getoption("stripe_delivery") != "unruly":
        return None
    seed = config.getoption("stripe_delivery_seed")
    return f"stripe delivery: unruly, seed {seed} (replay with --stripe-delivery-seed={seed})"


# Static rows written once by migrate; every other collection is emptied after each test.
KEPT_COLLECTIONS = frozenset({"django_migrations", "django_content_type", "auth_permission"})


@pytest.fixture(scope="session")
def mongodb_uri():
    if uri := os.environ.get("MONGODB_URI"):
        yield uri
        return
    process, port = start_server_process()
    yield f"mongodb://127.0.0.1:{port}/"
    stop_server_process(process)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(mongodb_uri):
    from django.conf import settings

    database = settings.DATABASES["default"]
    database["HOST"] = mongodb_uri
    if os.environ.get("MONGODB_URI"):
        database["NAME"] = f"shop_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def _django_db_helper(request, django_db_setup, django_db_blocker):
    """Replace pytest-django's per-test flush with emptying the collections a test wrote to.

    Django's flush re-creates content types and permissions after every test (about 0.4 s on
    the embedded engine); they never change during the suite, so keep them.
    """
    with django_db_blocker.unblock():
        yield
        empty_collections()


@pytest.fixture(autouse=True)
def _forget_navigation():
    """Each test starts without the navigation another test's collections left in the process's cache."""
    from catalog.context_processors import navigation_forget

    navigation_forget()


def empty_collections():
    database = connections["default"].database
    for name in database.list_collection_names():
        if name not in KEPT_COLLECTIONS and not name.startswith("system."):
            database[name].delete_many({})


# --- Stripe: the offline simulator in front of the shop served over HTTP ----------------------
STRIPE_TEST_API_KEY = "sk_test_shop_tests"
STRIPE_TEST_WEBHOOK_SECRET = "whsec_shop_tests"
# Stripe retries failed deliveries over days; here over a fraction of a second.
STRIPE_TEST_RETRY_DELAYS = (0.05, 0.1, 0.2)


def point_shop_at_stripe_simulator(settings, url):
    """Send the shop's Stripe calls to the simulator at `url` and let browsers post to its hosted page."""
    settings.STRIPE_USE_SIMULATOR = True
    settings.STRIPE_API_BASE = url
    settings.STRIPE_SECRET_KEY = STRIPE_TEST_API_KEY
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_TEST_WEBHOOK_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 5
    # Chromium applies form-action to the redirect from the checkout form to the hosted page.
    csp = settings.SECURE_CSP
    settings.SECURE_CSP = {**csp, "form-action": [*csp.get("form-action", ["'self'"]), url]}


@pytest.fixture(scope="session")
def stripe_simulator(live_server, pytestconfig):
    """A simulator that delivers its signed webhooks to the live server, as Stripe would."""
    simulator = StripeSimulator(
        webhook_url=f"{live_server.url}/payments/webhook/",
        webhook_secret=STRIPE_TEST_WEBHOOK_SECRET,
        retry_delays=STRIPE_TEST_RETRY_DELAYS,
        async_settle_delay=None,
        delivery=pytestconfig.getoption("stripe_delivery"),
        delivery_seed=pytestconfig.getoption("stripe_delivery_seed"),
    ).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def stripe_sim(settings, stripe_simulator):
    """Point the shop at the delivering simulator; afterwards wait until its deliveries are settled."""
    point_shop_at_stripe_simulator(settings, stripe_simulator.url)
    yield stripe_simulator
    stripe_simulator.wait_for_deliveries(timeout=10)


@pytest.fixture
def fresh_sim(settings, live_server, pytestconfig):
    """A simulator of its own, delivering to the live server: no other test's clock or subscriptions."""
    simulator = StripeSimulator(
        webhook_url=f"{live_server.url}/payments/webhook/",
        webhook_secret=STRIPE_TEST_WEBHOOK_SECRET,
        retry_delays=STRIPE_TEST_RETRY_DELAYS,
        async_settle_delay=None,
        delivery=pytestconfig.getoption("stripe_delivery"),
        delivery_seed=pytestconfig.getoption("stripe_delivery_seed"),
    ).start()
    point_shop_at_stripe_simulator(settings, simulator.url)
    yield simulator
    simulator.wait_for_deliveries(timeout=10)
    simulator.stop()


@pytest.fixture
def fresh_quiet_sim(settings):
    """A simulator of its own that delivers nothing: the test posts its events."""
    simulator = StripeSimulator(
        webhook_url=None, webhook_secret=STRIPE_TEST_WEBHOOK_SECRET, async_settle_delay=None
    ).start()
    point_shop_at_stripe_simulator(settings, simulator.url)
    yield simulator
    simulator.stop()


@pytest.fixture(scope="session")
def quiet_stripe_simulator():
    """A simulator that delivers no webhooks: tests read its events and post them themselves."""
    simulator = StripeSimulator(
        webhook_url=None, webhook_secret=STRIPE_TEST_WEBHOOK_SECRET, async_settle_delay=None
    ).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def quiet_sim(settings, quiet_stripe_simulator):
    point_shop_at_stripe_simulator(settings, quiet_stripe_simulator.url)
    return quiet_stripe_simulator


@pytest.fixture
def stripe_api(settings):
    """Return a maker of SDK clients on the simulator the test uses, to look at Stripe's side."""

    def make():
        return stripe.StripeClient(STRIPE_TEST_API_KEY, base_addresses={"api": settings.STRIPE_API_BASE})

    return make


@pytest.fixture
def outbox_write_fails_once(monkeypatch):
    """Make the first write of an email to the outbox fail, as a database that is briefly away;
    return the keys of the emails whose write failed."""
    from django.db import DatabaseError

    from jobs.models import OutgoingEmail

    create = OutgoingEmail.objects.create
    failed = []

    def create_or_fail(**fields):
        if not failed:
            failed.append(fields["key"])
            raise DatabaseError("the outbox write failed")
        return create(**fields)

    monkeypatch.setattr(OutgoingEmail.objects, "create", create_or_fail)
    return failed

"""Browser journeys: Debian's Chromium driven by Playwright against the shop served over HTTP.

They never skip: a missing browser is an error (.ci/run installs Debian's chromium).
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# tests themselves (set-up and assertions) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ACTION_TIMEOUT_MS = 10_000
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it.")
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def base_url(live_server):
    """Let journeys open pages by path: page.goto("/cart/")."""
    return live_server.url


@pytest.fixture
def page(page):
    """Fail a step after a few seconds rather than Playwright's 30."""
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    return page


@pytest.fixture
def shop(db, stripe_sim):
    """The shop served over HTTP on the test database, with the Stripe simulator in front of it.

    Return the simulator, for waiting until its webhooks have arrived.
    """
    return stripe_sim


@pytest.fixture
def shop_of_its_own(db, fresh_sim):
    """The shop with a Stripe simulator of its own, for a journey that advances its test clock.

    Advancing the shared simulator's `shop-simulator` clock would renew other tests' subscriptions
    and date every later test's customers in the future.
    """
    return fresh_sim


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed and (page := item.funcargs.get("page")):
        ARTIFACTS.mkdir(exist_ok=True)
        name = item.nodeid.replace("/", "_").replace(":", "_")
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
        (ARTIFACTS / f"{name}.html").write_text(page.content())
    return report

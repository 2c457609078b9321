"""Robustness test wiring: the payments fixtures (Stripe simulator, shoppers over HTTP), reused."""

import pytest

from tests.payments.conftest import (  # noqa: F401 -- fixtures, found by pytest by name
    guest_client,
    guest_with_cart,
    user_with_cart,
)
from tests.robustness.servers import ShopProcess, WorkerProcess


@pytest.fixture
def cart_sessions(stripe_api):
    """Return a function listing the Checkout Sessions Stripe holds for a cart (by their metadata)."""

    def sessions_of(cart):
        sessions = stripe_api().v1.checkout.sessions.list({"limit": 100}).data
        return [session for session in sessions if session.metadata.to_dict().get("cart_id") == str(cart.pk)]

    return sessions_of


def _processes(process_class, log_dir, name):
    """Yield a starter of `process_class` processes, each logging to its own file; stop them all after."""
    started = []

    def start(env):
        process = process_class(env=env, log_path=log_dir / f"{name}-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def serve_shop(tmp_path):
    """Start the shop in a gunicorn process with the given environment; stop it after the test."""
    yield from _processes(ShopProcess, tmp_path, "shop")


@pytest.fixture
def spawn_worker(tmp_path):
    """Start `manage.py run_worker` with the given environment; stop it after the test."""
    yield from _processes(WorkerProcess, tmp_path, "worker")

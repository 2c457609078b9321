"""Robustness test wiring: the payments fixtures (Stripe simulator, shoppers over HTTP), reused."""

import pytest

from tests.payments.conftest import (  # noqa: F401 -- fixtures, found by pytest by name
    guest_client,
    guest_with_cart,
    user_with_cart,
)
from tests.robustness.servers import ShopProcess


@pytest.fixture
def cart_sessions(stripe_api):
    """Return a function listing the Checkout Sessions Stripe holds for a cart (by their metadata)."""

    def sessions_of(cart):
        sessions = stripe_api().v1.checkout.sessions.list({"limit": 100}).data
        return [session for session in sessions if session.metadata.to_dict().get("cart_id") == str(cart.pk)]

    return sessions_of


@pytest.fixture
def serve_shop(tmp_path):
    """Start the shop in a gunicorn process with the given environment; stop it after the test."""
    started = []

    def serve(env):
        shop = ShopProcess(env=env, log_path=tmp_path / f"shop-{len(started)}.log")
        started.append(shop)
        return shop

    yield serve
    for shop in started:
        shop.stop()

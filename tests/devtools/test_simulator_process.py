"""`python -m devtools.simulator_process ensure|stop`: the simulator `make run` starts in the background."""

import socket

import pytest
import requests

from devtools import simulator_process


@pytest.fixture
def isolated(settings, tmp_path, monkeypatch):
    """A free port and a private pid file, so the test never meets a developer's simulator."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.STRIPE_USE_SIMULATOR = True
    settings.STRIPE_SIMULATOR_PORT = port
    monkeypatch.setattr(simulator_process, "DATA_DIR", tmp_path)
    monkeypatch.setattr(simulator_process, "PID_FILE", tmp_path / "stripe-simulator.pid")
    monkeypatch.setattr(simulator_process, "LOG_FILE", tmp_path / "stripe-simulator.log")
    monkeypatch.setattr(simulator_process, "STATE_FILE", tmp_path / "stripe-simulator.json")
    monkeypatch.delenv("STRIPE_SIMULATOR_STATE_FILE", raising=False)
    yield port
    simulator_process.stop()


def test_ensure_starts_it_once_and_stop_stops_it(isolated, capsys):
    port = isolated

    simulator_process.ensure()
    simulator_process.ensure()

    output = capsys.readouterr().out
    assert "Stripe simulator started" in output
    assert "Stripe simulator already running" in output
    answer = requests.get(
        f"http://127.0.0.1:{port}/v1/customers", headers={"Authorization": "Bearer sk_test_x"}, timeout=5
    )
    assert answer.json()["object"] == "list"

    simulator_process.stop()

    assert not simulator_process.is_listening(port)
    assert not simulator_process.PID_FILE.exists()


def test_ensure_does_nothing_when_a_stripe_key_is_configured(isolated, settings, capsys):
    settings.STRIPE_USE_SIMULATOR = False

    simulator_process.ensure()

    assert "using Stripe, not the simulator" in capsys.readouterr().out
    assert not simulator_process.is_listening(isolated)
    assert not simulator_process.PID_FILE.exists()


def test_a_restarted_simulator_still_sells_what_it_sold_before(isolated):
    api = f"http://127.0.0.1:{isolated}/v1"
    auth = {"Authorization": "Bearer sk_test_x"}
    simulator_process.ensure()
    product = requests.post(f"{api}/products", data={"name": "Mug"}, headers=auth, timeout=5).json()
    price = requests.post(
        f"{api}/prices",
        data={"product": product["id"], "unit_amount": 1999, "currency": "usd"},
        headers=auth,
        timeout=5,
    ).json()

    simulator_process.stop()
    simulator_process.ensure()

    assert (
        requests.get(f"{api}/prices/{price['id']}", headers=auth, timeout=5).json()["product"]
        == product["id"]
    )
    session = requests.post(
        f"{api}/checkout/sessions",
        data={
            "mode": "payment",
            "line_items[0][price]": price["id"],
            "line_items[0][quantity]": "1",
            "success_url": "https://shop.test/done",
        },
        headers=auth,
        timeout=5,
    )
    assert (session.status_code, session.json()["amount_total"]) == (200, 1999)

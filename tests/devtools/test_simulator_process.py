"""`python -m devtools.simulator_process ensure|stop`: the simulator `make run` starts in the background."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from devtools import simulator_process

BASE_DIR = Path(__file__).resolve().parents[2]
SCRIPT = "from django.conf import settings; print(settings.SHOP_BASE_URL)"


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


def test_it_delivers_webhooks_to_the_shop_at_its_own_address(isolated, settings, monkeypatch, capsys):
    # `make run PORT=8031` serves the shop there, and sets SHOP_BASE_URL to match.
    monkeypatch.delenv("STRIPE_SIMULATOR_WEBHOOK_URL", raising=False)
    settings.SHOP_BASE_URL = "http://127.0.0.1:8031"

    simulator_process.ensure()

    assert "webhooks to http://127.0.0.1:8031/payments/webhook/" in capsys.readouterr().out


def test_make_run_on_another_port_gives_the_shop_that_address_unless_one_is_set():
    def base_url(**environment) -> str:
        answer = subprocess.run(  # noqa: S603 -- our own manage.py with fixed arguments
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", SCRIPT],
            cwd=BASE_DIR,
            env={
                "PATH": os.environ["PATH"],
                "DJANGO_SETTINGS_MODULE": "shop.settings.local",
                "DJANGO_ENV_FILE": os.devnull,
                **environment,
            },
            capture_output=True,
            text=True,
            check=True,
        )
        return answer.stdout.strip()

    assert base_url(SHOP_DEV_SERVER="127.0.0.1:8031") == "http://127.0.0.1:8031"
    assert base_url() == "http://127.0.0.1:8000"
    assert (
        base_url(SHOP_DEV_SERVER="127.0.0.1:8031", SHOP_BASE_URL="https://shop.example")
        == "https://shop.example"
    )
    makefile = (BASE_DIR / "Makefile").read_text()
    assert "run: export SHOP_DEV_SERVER = " in makefile

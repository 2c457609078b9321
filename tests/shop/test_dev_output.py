"""What `make run` prints: each email as text, one line per log record, Stripe quiet unless asked."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

BASE_DIR = Path(__file__).resolve().parents[2]
# Logs as the development server would, and an order email with an HTML part, through local settings.
SCRIPT = """
import logging
from django.core.mail import EmailMultiAlternatives
logging.getLogger("django.utils.autoreload").info("Watching for file changes with StatReloader")
logging.getLogger("django.request").warning("Not Found: /nowhere")
logging.getLogger("stripe").info("message='Request to Stripe api' method=post")
message = EmailMultiAlternatives(
    subject="Your order NW-1 is confirmed",
    body="Thank you for your order, Grace. " * 4 + "\\nTotal paid: €38.50",
    to=["grace@example.com"],
)
message.attach_alternative("<p>Thank you for your order</p>", "text/html")
message.send()
"""


def run_in_development(**environment):
    return subprocess.run(  # noqa: S603 -- our own manage.py with fixed arguments
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", SCRIPT],
        cwd=BASE_DIR,
        env={
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", str(BASE_DIR)),
            "DJANGO_SETTINGS_MODULE": "shop.settings.local",
            "DJANGO_ENV_FILE": os.devnull,
            **environment,
        },
        capture_output=True,
        text=True,
        check=True,
    )


@pytest.fixture(scope="module")
def development_output():
    return run_in_development()


def test_an_email_prints_as_its_text(development_output):
    printed = development_output.stdout

    assert "Subject: Your order NW-1 is confirmed\n" in printed
    assert "To: grace@example.com\n" in printed
    assert "Thank you for your order, Grace. " * 4 + "\nTotal paid: €38.50\n" in printed
    assert "(an HTML version too, not shown)" in printed
    assert "Content-Transfer-Encoding" not in printed
    assert "<p>" not in printed


def test_each_log_record_prints_once(development_output):
    logged = development_output.stderr.splitlines()

    assert len([line for line in logged if "Watching for file changes" in line]) == 1
    assert len([line for line in logged if "Not Found: /nowhere" in line]) == 1


def test_stripe_calls_are_not_logged_by_default(development_output):
    assert "Request to Stripe api" not in development_output.stderr


@pytest.mark.parametrize("environment", [{"STRIPE_LOG_LEVEL": "INFO"}, {"LOG_LEVEL": "DEBUG"}])
def test_stripe_calls_are_logged_on_request(environment):
    assert "Request to Stripe api" in run_in_development(**environment).stderr


def test_an_email_url_still_wins_in_development():
    printed = run_in_development(EMAIL_URL="consolemail://").stdout

    assert "Content-Transfer-Encoding" in printed


def test_favicon_ico_leads_to_the_shops_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content)


@pytest.mark.django_db
def test_pages_name_the_same_icon(client):
    page = client.get(reverse("catalog:product_list")).text

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page

"""Production settings: secrets only from the environment, and Django's deployment checks clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "shop.settings.production",
    "DJANGO_ENV_FILE": os.devnull,
    "DJANGO_SECRET_KEY": "x7#production-secret-for-this-test-only-" + "k" * 30,
    "DJANGO_ALLOWED_HOSTS": "shop.example.com",
    "MONGODB_URI": "mongodb://db.example.com/",
    "STRIPE_SECRET_KEY": "sk_test_from_environment",
    "STRIPE_WEBHOOK_SECRET": "whsec_from_environment",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
    "SHOP_BASE_URL": "https://shop.example.com",
}


def run_manage(*args, without=()):
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", BASE_DIR), **PRODUCTION_ENV}
    for name in without:
        del environment[name]
    return subprocess.run(  # noqa: S603 -- our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "MONGODB_URI",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "EMAIL_URL",
        "SHOP_BASE_URL",
    ],
)
def test_production_refuses_to_start_without_a_secret_or_required_setting(missing):
    result = run_manage("check", without=[missing])
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr

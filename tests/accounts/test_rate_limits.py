"""Sign-in limits hold across worker processes and tell clients behind the proxy apart."""

import json
import os
import subprocess
import sys

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed login attempts. Try again later."


def run_in_another_process(script, **environment):
    """Run `script` in a fresh interpreter with the shop set up on the test database; return its output."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "MONGODB_URI": connection.settings_dict["HOST"],
        "MONGODB_NAME": connection.settings_dict["NAME"],
        **environment,
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and a fixed script)
        [sys.executable, "-c", f"import django; django.setup()\n{script}"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def settings_in_another_process(expression, **environment):
    return json.loads(
        run_in_another_process(
            f"import json; from django.conf import settings; print(json.dumps({expression}))", **environment
        )
    )


def sign_in(client, email, password, **headers):
    return client.post(reverse("account_login"), {"login": email, "password": password}, headers=headers)


def test_failed_sign_ins_in_another_worker_process_count_here(client):
    UserFactory(email="grace@example.com")
    run_in_another_process(
        "from django.test import Client\n"
        "client = Client()\n"
        "for _ in range(5):\n"
        "    client.post('/accounts/login/', {'login': 'grace@example.com', 'password': 'wrong'})\n"
    )

    response = sign_in(client, "grace@example.com", PASSWORD)

    assert response.status_code == 200
    assert TOO_MANY in response.text


def verified_user(email):
    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def signed_in(response):
    return (response.status_code, response.get("Location")) == (302, reverse("catalog:product_list"))


def test_failed_sign_ins_for_other_accounts_from_one_address_leave_a_bystander_in(client):
    verified_user("grace@example.com")
    verified_user("ada@example.com")
    # Every shopper behind one address: one of them guesses at other accounts.
    for attempt in range(12):
        sign_in(Client(), f"nobody{attempt}@example.com", "wrong")
    sign_in(Client(), "ada@example.com", "wrong")

    assert signed_in(sign_in(client, "grace@example.com", PASSWORD))
    assert signed_in(sign_in(Client(), "ada@example.com", PASSWORD))


def test_wrong_passwords_for_one_account_lock_it_from_every_address(client):
    verified_user("grace@example.com")
    bystander = verified_user("ada@example.com")
    for _ in range(5):
        sign_in(Client(REMOTE_ADDR="203.0.113.5"), "grace@example.com", "wrong")

    locked = sign_in(Client(REMOTE_ADDR="198.51.100.7"), "grace@example.com", PASSWORD)
    other_account = sign_in(Client(REMOTE_ADDR="203.0.113.5"), bystander.email, PASSWORD)

    assert locked.status_code == 200
    assert TOO_MANY in locked.text
    assert signed_in(other_account)


def test_behind_the_proxy_two_clients_are_counted_apart(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    verified_user("grace@example.com")
    # The proxy connects from one address and names each client in X-Forwarded-For.
    for attempt in range(30):
        sign_in(client, f"nobody{attempt}@example.com", "wrong", x_forwarded_for="203.0.113.5")

    throttled = sign_in(client, "grace@example.com", PASSWORD, x_forwarded_for="203.0.113.5")
    other_client = sign_in(client, "grace@example.com", PASSWORD, x_forwarded_for="198.51.100.7")

    assert throttled.status_code == 429
    assert signed_in(other_client)


def test_the_trusted_proxy_count_comes_from_the_environment():
    assert settings_in_another_process("settings.ALLAUTH_TRUSTED_PROXY_COUNT") == 0
    assert (
        settings_in_another_process("settings.ALLAUTH_TRUSTED_PROXY_COUNT", DJANGO_TRUSTED_PROXY_COUNT="2")
        == 2
    )


def test_the_cache_is_the_shared_database_unless_a_cache_url_is_given():
    assert settings_in_another_process("settings.CACHES['default']['BACKEND']") == "shop.cache.MongoDBCache"
    assert settings_in_another_process(
        "settings.CACHES['default']", CACHE_URL="redis://cache.internal:6379/1"
    ) == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/1",
    }


def admin_sign_in(client, email, password):
    return client.post(reverse("admin:login"), {"username": email, "password": password, "next": "/admin/"})


def signed_in_to_admin(client):
    return client.get(reverse("admin:index")).status_code == 200


def test_staff_sign_in_to_admin_with_the_right_password(client):
    AdminFactory(email="staff@example.com")

    response = admin_sign_in(client, "staff@example.com", PASSWORD)

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert signed_in_to_admin(client)


def test_after_the_limit_on_the_shop_sign_in_admin_refuses_the_right_password(client):
    AdminFactory(email="staff@example.com")
    for _ in range(5):
        sign_in(client, "staff@example.com", "wrong")

    response = admin_sign_in(client, "staff@example.com", PASSWORD)

    assert response.status_code == 200
    assert TOO_MANY in response.text
    assert not signed_in_to_admin(client)


def test_repeated_wrong_admin_passwords_are_limited_here_and_on_the_shop_sign_in(client):
    AdminFactory(email="staff@example.com")
    wrong = [admin_sign_in(client, "staff@example.com", "wrong") for _ in range(5)]

    refused = admin_sign_in(client, "staff@example.com", PASSWORD)

    assert all("Please enter the correct email address and password" in answer.text for answer in wrong)
    assert TOO_MANY in refused.text
    assert not signed_in_to_admin(client)
    assert TOO_MANY in sign_in(client, "staff@example.com", PASSWORD).text


def test_admin_sign_in_is_throttled_per_address_as_the_shop_sign_in_is(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    AdminFactory(email="staff@example.com")
    for attempt in range(3):
        admin_sign_in(Client(), f"nobody{attempt}@example.com", "wrong")

    throttled = admin_sign_in(client, "staff@example.com", PASSWORD)
    elsewhere = admin_sign_in(Client(REMOTE_ADDR="198.51.100.7"), "staff@example.com", PASSWORD)

    assert throttled.status_code == 429
    assert not signed_in_to_admin(client)
    assert (elsewhere.status_code, elsewhere["Location"]) == (302, "/admin/")

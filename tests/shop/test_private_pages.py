"""Pages with a shopper's own data stay out of shared and browser caches; no page may move its base URL."""

import pytest
from django.urls import reverse

from tests import factories

# Pages a signed-in shopper reads about themselves: the shop's account page, allauth's, orders.
SIGNED_IN_PAGES = [
    "/accounts/profile/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/3rdparty/",
    "/orders/",
]
# allauth's pages for visitors: what a shared computer's next user must not get back from cache.
VISITOR_PAGES = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]


def _cache_directives(response):
    return {directive.strip() for directive in response.get("Cache-Control", "").split(",")}


@pytest.fixture
def shopper_client(client, db):
    shopper = factories.UserFactory()
    client.force_login(shopper)
    client.shopper = shopper
    return client


@pytest.mark.parametrize("url", SIGNED_IN_PAGES)
def test_account_and_order_pages_are_private_and_not_stored(shopper_client, url):
    response = shopper_client.get(url)

    assert response.status_code == 200
    assert {"private", "no-store"} <= _cache_directives(response)


@pytest.mark.parametrize("url", VISITOR_PAGES)
def test_sign_in_pages_are_private_and_not_stored(client, db, url):
    response = client.get(url)

    assert response.status_code == 200
    assert {"private", "no-store"} <= _cache_directives(response)


def test_an_order_page_and_the_checkout_success_page_are_private_and_not_stored(shopper_client):
    order = factories.OrderFactory(user=shopper_client.shopper, paid=True)

    for url in [
        reverse("orders:detail", args=[order.number]),
        f"{reverse('payments:success')}?session_id={order.stripe_checkout_session_id}",
    ]:
        response = shopper_client.get(url)

        assert response.status_code == 200, url
        assert {"private", "no-store"} <= _cache_directives(response), url


def test_the_catalog_stays_cacheable(client, db):
    assert "no-store" not in _cache_directives(client.get(reverse("catalog:product_list")))


def test_the_content_security_policy_forbids_a_base_element(client, db):
    policy = client.get(reverse("catalog:product_list"))["Content-Security-Policy"]

    assert "base-uri 'none'" in [directive.strip() for directive in policy.split(";")]

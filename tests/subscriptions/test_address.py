"""The delivery address a subscriber sets: only a country the shop ships to (those Stripe's
checkout asks an address in), chosen by name; another is refused and changes nothing."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from orders.addresses import SHIPPING_COUNTRIES
from subscriptions.models import Subscription
from tests import factories
from tests.subscriptions.test_changes import NEW_ADDRESS


def signed_in(subscription):
    client = Client()
    client.force_login(subscription.user)
    return client


def address_url(subscription):
    return reverse("subscriptions:address", kwargs={"subscription_id": subscription.stripe_subscription_id})


def test_the_country_is_a_choice_of_the_countries_checkout_ships_to_by_name(db):
    subscription = factories.SubscriptionFactory()

    page = signed_in(subscription).get(subscription.get_absolute_url()).text

    select = re.search(r'<select name="country"[^>]*>(.*?)</select>', page, re.S).group(1)
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)
    assert [code for code, _name in options if code] == sorted(
        SHIPPING_COUNTRIES, key=lambda code: dict(options)[code]
    )
    assert set(SHIPPING_COUNTRIES) == {code for code, _name in options if code}
    assert ("GB", "United Kingdom") in options
    assert ("US", "United States") in options


@pytest.mark.parametrize("country", ["ZZ", "JP", "jp"])
def test_a_country_the_shop_does_not_ship_to_is_refused_and_nothing_changes(db, country):
    subscription = factories.SubscriptionFactory()
    neighbour = factories.SubscriptionFactory()
    neighbour.refresh_from_db()
    client = signed_in(subscription)

    answer = client.post(address_url(subscription), {**NEW_ADDRESS, "country": country})

    assert answer.status_code == 400
    assert "We deliver only to the countries listed" in answer.text
    assert "Your next deliveries go to the new address." not in answer.text
    assert Subscription.objects.get(pk=subscription.pk).shipping_address == {}
    assert Subscription.objects.get(pk=neighbour.pk).updated_at == neighbour.updated_at


def test_a_country_the_shop_ships_to_is_saved(db):
    subscription = factories.SubscriptionFactory()
    client = signed_in(subscription)

    saved = client.post(address_url(subscription), {**NEW_ADDRESS, "country": "FR"})

    assert "Your next deliveries go to the new address." in client.get(saved.headers["Location"]).text
    assert Subscription.objects.get(pk=subscription.pk).shipping_address["country"] == "FR"

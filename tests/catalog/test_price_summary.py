"""Each product's price summary (lowest amounts, cheapest price per type) stays right after every
kind of price change, and the catalog page lists, filters and sorts by it alone."""

import importlib
import json
import time
import uuid
from datetime import timedelta

import pytest
import stripe
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Price, PriceType, Product
from catalog.page_cache import catalog_changed
from catalog.selectors import PriceKind, ProductSort, product_list_page
from payments.catalog_sync import catalog_pull_from_stripe, price_push_to_stripe
from payments.models import WebhookEvent
from stripe_simulator import StripeSimulator
from tests.admin.pages import change_url, run_action
from tests.conftest import STRIPE_TEST_WEBHOOK_SECRET, point_shop_at_stripe_simulator
from tests.factories import AdminFactory, PriceFactory, ProductFactory

HOME = reverse("catalog:product_list")
fill_price_summaries = importlib.import_module(
    "catalog.migrations.0003_fill_price_summary"
).fill_price_summaries


def lowest_amounts(product):
    """Return the stored (lowest, lowest one-time, lowest recurring) amounts of the product."""
    product.refresh_from_db()
    return product.lowest_price_amount, product.lowest_one_time_amount, product.lowest_recurring_amount


def listed_names(**filters):
    return [product.name for product in product_list_page(**filters).object_list]


@pytest.fixture
def coffee(db):
    """A product with a one-time price of $15.00 and a monthly one of $9.00 with a trial."""
    product = ProductFactory(name="Coffee")
    PriceFactory(product=product, unit_amount=1500)
    PriceFactory(product=product, monthly=True, unit_amount=900, trial_period_days=14)
    return product


@pytest.fixture
def fresh_stripe(settings):
    """An empty Stripe simulator of this test's own (a pull reads all of Stripe's catalog)."""
    simulator = StripeSimulator(
        webhook_url=None, webhook_secret=STRIPE_TEST_WEBHOOK_SECRET, async_settle_delay=None
    ).start()
    point_shop_at_stripe_simulator(settings, simulator.url)
    yield simulator
    simulator.stop()


# --- What the summary holds -----------------------------------------------------------------


def test_new_prices_are_summarised_on_their_product(coffee):
    assert lowest_amounts(coffee) == (900, 1500, 900)
    cheapest, count = coffee.listed_price()
    assert (cheapest.label, cheapest.trial_period_days, count) == ("$9.00 / month", 14, 2)
    one_time, count = coffee.listed_price(PriceType.ONE_TIME)
    assert (one_time.label, count) == ("$15.00", 1)
    assert one_time.pk == Price.objects.get(product=coffee, type=PriceType.ONE_TIME).pk


def test_a_product_without_an_available_price_has_an_empty_summary(db):
    product = ProductFactory()
    PriceFactory(product=product, active=False)
    PriceFactory(product=product, deleted_at=timezone.now())

    assert lowest_amounts(product) == (None, None, None)
    assert product.listed_price() == (None, 0)
    assert listed_names() == []


# --- Every path that changes a price ----------------------------------------------------------


def test_editing_a_price_and_saving_it_updates_the_summary(coffee):
    monthly = Price.objects.get(product=coffee, type=PriceType.RECURRING)

    monthly.unit_amount = 2000
    monthly.save()
    assert lowest_amounts(coffee) == (1500, 1500, 2000)

    monthly.active = False
    monthly.save()
    assert lowest_amounts(coffee) == (1500, 1500, None)
    assert coffee.listed_price() == (coffee.listed_price(PriceType.ONE_TIME)[0], 1)


def test_turning_a_one_time_price_into_a_subscription_moves_it_between_types(coffee):
    one_time = Price.objects.get(product=coffee, type=PriceType.ONE_TIME)

    one_time.type, one_time.recurring_interval, one_time.unit_amount = PriceType.RECURRING, "year", 500
    one_time.save()

    assert lowest_amounts(coffee) == (500, None, 500)
    assert coffee.listed_price()[0].label == "$5.00 / year"
    assert coffee.listed_price(PriceType.RECURRING)[1] == 2


def test_soft_delete_and_restore_of_prices_by_queryset_update_the_summary(coffee):
    monthly = Price.objects.filter(product=coffee, type=PriceType.RECURRING)

    assert monthly.soft_delete() == 1
    assert lowest_amounts(coffee) == (1500, 1500, None)

    assert monthly.restore() == 1
    assert lowest_amounts(coffee) == (900, 1500, 900)


def test_queryset_updates_of_amount_or_availability_update_the_summary(coffee):
    Price.objects.filter(product=coffee, type=PriceType.ONE_TIME).update(unit_amount=700)
    assert lowest_amounts(coffee) == (700, 700, 900)

    Price.objects.filter(product=coffee).update(active=False)
    assert lowest_amounts(coffee) == (None, None, None)


def test_deleting_a_price_updates_the_summary(coffee):
    Price.objects.get(product=coffee, type=PriceType.RECURRING).delete()
    assert lowest_amounts(coffee) == (1500, 1500, None)

    Price.objects.filter(product=coffee).delete()
    assert lowest_amounts(coffee) == (None, None, None)


def test_moving_a_price_to_another_product_updates_both_summaries(coffee):
    tea = ProductFactory(name="Tea")
    monthly = Price.objects.get(product=coffee, type=PriceType.RECURRING)

    monthly.product = tea
    monthly.save()
    assert (lowest_amounts(coffee), lowest_amounts(tea)) == ((1500, 1500, None), (900, None, 900))

    Price.objects.filter(pk=monthly.pk).update(product=coffee)
    assert (lowest_amounts(coffee), lowest_amounts(tea)) == ((900, 1500, 900), (None, None, None))


def test_prices_created_in_bulk_are_summarised(db):
    mug, pen = ProductFactory(), ProductFactory()

    Price.objects.bulk_create(
        [
            Price(product=mug, unit_amount=1800),
            Price(product=mug, unit_amount=1200),
            Price(product=pen, unit_amount=300),
        ]
    )

    assert (lowest_amounts(mug), lowest_amounts(pen)) == ((1200, 1200, None), (300, 300, None))


def test_saving_a_product_read_before_its_prices_changed_keeps_their_summary(db):
    product = ProductFactory(name="Mug")
    PriceFactory(product=product, unit_amount=1800)

    product.name = "Enamel mug"
    product.save()

    assert lowest_amounts(product) == (1800, 1800, None)
    assert listed_names() == ["Enamel mug"]


def test_the_data_migration_summarises_existing_prices(coffee):
    empty = ProductFactory(name="Empty")
    Product.objects.update(lowest_price_amount=None, lowest_one_time_amount=None, price_summary={})

    fill_price_summaries(apps, schema_editor=None)

    assert lowest_amounts(coffee) == (900, 1500, 900)
    assert coffee.listed_price()[0].label == "$9.00 / month"
    assert lowest_amounts(empty) == (None, None, None)


# --- Staff in admin -----------------------------------------------------------------------------


@pytest.fixture
def staff_client(db, quiet_sim):
    client = Client()
    client.force_login(AdminFactory())
    return client


def test_admin_edits_soft_deletes_restores_and_deletes_update_the_summary(staff_client, coffee):
    monthly = Price.objects.get(product=coffee, type=PriceType.RECURRING)

    run_action(staff_client, Price, "soft_delete", [monthly])
    assert lowest_amounts(coffee) == (1500, 1500, None)
    run_action(staff_client, Price, "restore", [monthly])
    assert lowest_amounts(coffee) == (900, 1500, 900)

    form = {
        "product": str(coffee.pk),
        "nickname": "",
        "type": PriceType.RECURRING,
        "unit_amount": "4.00",
        "currency": "usd",
        "recurring_interval": "month",
        "recurring_interval_count": "1",
        "trial_period_days": "",
        "metadata": "{}",
        "active": "on",
        "confirm_live": "on",
    }
    assert staff_client.post(change_url(monthly), form).status_code == 302
    assert lowest_amounts(coffee) == (400, 1500, 400)

    staff_client.post(reverse("admin:catalog_price_delete", args=[monthly.pk]), {"post": "yes"})
    assert lowest_amounts(coffee) == (1500, 1500, None)


# --- Stripe: webhooks and the pull -----------------------------------------------------------------


def deliver_stripe_event(event_type, stripe_object):
    """Post a signed event to the webhook endpoint, as Stripe does; return the stored event."""
    event = {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "created": int(time.time()),
        "data": {"object": stripe_object},
        "livemode": False,
        "type": event_type,
    }
    payload = json.dumps(event, default=str)  # Stripe sends decimal amounts as strings
    signature = stripe.WebhookSignature.generate_signature_header(payload, STRIPE_TEST_WEBHOOK_SECRET)
    response = Client().post(
        reverse("payments:webhook"),
        payload,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )
    assert response.status_code == 200
    return WebhookEvent.objects.get(stripe_event_id=event["id"])


def test_stripe_price_updated_and_deleted_events_update_the_summary(coffee, quiet_sim, stripe_api):
    monthly = Price.objects.get(product=coffee, type=PriceType.RECURRING)
    price_push_to_stripe(price=monthly)
    monthly.refresh_from_db()
    api = stripe_api()

    archived = api.v1.prices.update(monthly.stripe_price_id, {"active": False}).to_dict()
    assert deliver_stripe_event("price.updated", archived).processed
    assert lowest_amounts(coffee) == (1500, 1500, None)

    Price.objects.filter(pk=monthly.pk).update(active=True)
    assert lowest_amounts(coffee) == (900, 1500, 900)
    assert deliver_stripe_event("price.deleted", archived).processed
    assert lowest_amounts(coffee) == (1500, 1500, None)


def test_a_stripe_pull_updates_the_summary_of_prices_it_archives(db, fresh_stripe, stripe_api):
    api = stripe_api()
    stripe_product = api.v1.products.create({"name": "Mug"})
    cheap = api.v1.prices.create({"product": stripe_product.id, "unit_amount": 500, "currency": "usd"})
    api.v1.prices.create({"product": stripe_product.id, "unit_amount": 800, "currency": "usd"})
    catalog_pull_from_stripe()
    mug = Product.objects.get(stripe_product_id=stripe_product.id)
    assert lowest_amounts(mug) == (500, 500, None)
    # Our own price, whose Stripe price is gone.
    PriceFactory(product=mug, unit_amount=100, stripe_price_id="price_gone")
    assert lowest_amounts(mug) == (100, 100, None)

    api.v1.prices.update(cheap.id, {"active": False})
    summary = catalog_pull_from_stripe()

    assert summary.prices["archived"] == 2
    assert lowest_amounts(mug) == (800, 800, None)


# --- The catalog page reads the summary ----------------------------------------------------------


def test_the_catalog_page_lists_filters_and_sorts_by_the_summary(coffee):
    now = timezone.now()
    mug = ProductFactory(name="Mug", created_at=now - timedelta(minutes=1))
    mug_price = PriceFactory(product=mug, unit_amount=1200)
    socks = ProductFactory(name="Socks", created_at=now - timedelta(minutes=2))
    PriceFactory(product=socks, monthly=True, unit_amount=400)

    assert listed_names(sort=ProductSort.PRICE_LOW_HIGH) == ["Socks", "Coffee", "Mug"]
    assert listed_names(kind=PriceKind.ONE_TIME, sort=ProductSort.PRICE_HIGH_LOW) == ["Coffee", "Mug"]

    Price.objects.filter(pk=mug_price.pk).update(unit_amount=100)
    assert listed_names(sort=ProductSort.PRICE_LOW_HIGH) == ["Mug", "Socks", "Coffee"]
    assert listed_names(kind=PriceKind.SUBSCRIPTION, sort=ProductSort.PRICE_HIGH_LOW) == ["Coffee", "Socks"]

    Price.objects.filter(pk=mug_price.pk).soft_delete()
    assert listed_names() == ["Coffee", "Socks"]


def test_the_product_card_shows_the_cheapest_price_of_the_chosen_type(client, coffee):
    html = client.get(HOME).content.decode()
    assert "$9.00 / month" in html
    assert "14-day free trial" in html
    assert "From" in html

    html = client.get(HOME, {"kind": PriceKind.ONE_TIME}).content.decode()
    assert "$15.00" in html
    assert "$9.00" not in html
    assert "From" not in html


@pytest.mark.parametrize(
    "query", [{}, {"sort": "price"}, {"sort": "-price", "kind": "subscription", "q": "item"}]
)
def test_the_catalog_page_reads_only_products_and_never_lists_their_ids(db, client, database_commands, query):
    Product.objects.bulk_create(Product(name=f"Item {index}", slug=f"item-{index}") for index in range(30))
    Price.objects.bulk_create(
        Price(product=product, type="RECURRING", recurring_interval="month", unit_amount=500 + index)
        for index, product in enumerate(Product.objects.all())
    )
    # The collections of the navigation and filters are read once and kept (catalog.context_processors).
    client.get(HOME)
    catalog_changed()

    with database_commands() as commands:
        response = client.get(HOME, query)

    assert len(response.context["products"]) == 24
    sent = [command["sql"] for command in commands.captured_queries if "django_cache" not in command["sql"]]
    assert len(sent) == 2
    assert all(command.startswith("db.catalog_product.aggregate(") for command in sent)
    assert not any("$in" in command or "$lookup" in command for command in sent)

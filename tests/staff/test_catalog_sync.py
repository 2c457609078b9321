"""The catalog and Stripe kept in step: pushed from admin, pulled by `manage.py sync_stripe`."""

import io
import json

import pytest
import stripe
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from cart.selectors import CART_SESSION_KEY
from catalog.models import SYNC_ERROR_KEY, Price, PriceType, Product
from orders.models import Order
from payments import catalog_sync
from payments.catalog_sync import catalog_pull_from_stripe, price_push_to_stripe, product_push_to_stripe
from payments.models import WebhookEvent
from shop.money import to_major_units
from tests import factories
from tests.admin.pages import change_url, changelist_url, run_action
from tests.images import png_upload
from tests.staff.helpers import REFUSED_ROLES, STAFF_ROLES, is_login_redirect, messages_of

MONTHLY = {"type": "RECURRING", "unit_amount": "9.00", "currency": "usd", "recurring_interval": "month"}


def product_form(name, *, prices=(), active=True, images=(), initial_images=0):
    """Return the POST data of the product page with inline `images` and new `prices` (dicts of fields)."""
    data = {
        "name": name,
        "slug": name.lower().replace(" ", "-"),
        "description": f"All about {name}",
        "metadata": "{}",
        "images-TOTAL_FORMS": str(len(images)),
        "images-INITIAL_FORMS": str(initial_images),
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
        "prices-TOTAL_FORMS": str(len(prices)),
        "prices-INITIAL_FORMS": "0",
        "prices-MIN_NUM_FORMS": "0",
        "prices-MAX_NUM_FORMS": "1000",
        # The variants and collections inlines, left as they are.
        **{
            f"{prefix}-{name}": value
            for prefix in ("variants", "memberships")
            for name, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"))
        },
    }
    if active:
        data["active"] = "on"
    for index, price in enumerate(prices):
        # Prices on sale are confirmed (tests/staff/test_price_entry.py shows why).
        fields = {
            "nickname": "",
            "recurring_interval_count": "1",
            "active": "on",
            "confirm_live": "on",
            **price,
        }
        data.update({f"prices-{index}-{name}": value for name, value in fields.items() if value is not None})
    for index, image in enumerate(images):
        data.update({f"images-{index}-{name}": value for name, value in image.items()})
    return data


def price_form(price, **changes):
    """Return the POST data of the price change page, as it stands, with `changes`."""
    data = {
        "product": str(price.product_id),
        "nickname": price.nickname,
        "type": price.type,
        "unit_amount": str(to_major_units(price.unit_amount, price.currency)),
        "currency": price.currency,
        "recurring_interval": price.recurring_interval,
        "recurring_interval_count": str(price.recurring_interval_count),
        "trial_period_days": "" if price.trial_period_days is None else str(price.trial_period_days),
        "metadata": json.dumps(price.metadata),
    }
    if price.active:
        data["active"] = "on"
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def add_product(client, name, **options):
    return client.post(reverse("admin:catalog_product_add"), product_form(name, **options), follow=True)


def pushed_price(**fields):
    price = factories.PriceFactory(**fields)
    price_push_to_stripe(price=price)
    price.refresh_from_db()
    return price


# --- Push from admin ------------------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_a_product_with_a_monthly_price_added_in_admin_is_in_stripe_and_in_the_shop(
    client_as, role, quiet_sim, stripe_api
):
    client = client_as(role)

    response = add_product(client, "Tea club", prices=[{**MONTHLY, "nickname": "Monthly tin"}])

    assert response.status_code == 200
    assert not [m for m in messages_of(response) if "Stripe" in m]
    product = Product.objects.get()
    price = product.prices.get()
    api = stripe_api()
    stripe_product = api.v1.products.retrieve(product.stripe_product_id)
    stripe_price = api.v1.prices.retrieve(price.stripe_price_id)
    assert (stripe_product.name, stripe_product.description, stripe_product.active) == (
        "Tea club",
        "All about Tea club",
        True,
    )
    assert stripe_product.metadata["product_id"] == str(product.pk)
    assert (stripe_price.product, stripe_price.unit_amount, stripe_price.currency) == (
        product.stripe_product_id,
        900,
        "usd",
    )
    assert (stripe_price.recurring.interval, stripe_price.recurring.interval_count) == ("month", 1)
    assert (stripe_price.nickname, stripe_price.active) == ("Monthly tin", True)
    shop_page = client.get(product.get_absolute_url())
    assert shop_page.status_code == 200
    assert "$9.00" in shop_page.text


@pytest.mark.parametrize(
    "change",
    [{"unit_amount": "18.00"}, {"currency": "eur"}, {"recurring_interval": "year"}],
    ids=["amount", "currency", "interval"],
)
def test_changing_amount_currency_or_interval_makes_a_new_stripe_price_and_archives_the_old(
    staff_client, quiet_sim, stripe_api, change
):
    price = pushed_price(type=PriceType.RECURRING, recurring_interval="month", unit_amount=1500)
    old_id = price.stripe_price_id
    sold = factories.OrderItemFactory(price=price, stripe_price_id=old_id)

    response = staff_client.post(
        change_url(price), price_form(price, **change, confirm_live="on"), follow=True
    )

    price.refresh_from_db()
    assert price.stripe_price_id not in (None, old_id)
    assert any(f"{old_id} is archived" in message for message in messages_of(response))
    api = stripe_api()
    new, old = api.v1.prices.retrieve(price.stripe_price_id), api.v1.prices.retrieve(old_id)
    assert (new.active, old.active) == (True, False)
    assert (new.unit_amount, new.currency, new.recurring.interval) == (
        price.unit_amount,
        price.currency,
        price.recurring_interval,
    )
    assert (old.unit_amount, old.currency, old.recurring.interval) == (1500, "usd", "month")
    assert new.metadata.to_dict() == {"price_id": str(price.pk), "replaces": old_id}
    # Orders keep what was bought, at what price.
    sold.refresh_from_db()
    assert (sold.unit_amount, sold.stripe_price_id) == (1500, old_id)

    # Saving again changes nothing more in Stripe.
    staff_client.post(change_url(price), price_form(price), follow=True)
    price.refresh_from_db()
    assert price.stripe_price_id == new.id
    assert len(api.v1.prices.list({"product": price.product.stripe_product_id}).data) == 2


def test_an_old_price_that_cannot_be_archived_is_named_in_the_error(
    staff_client, quiet_sim, stripe_api, monkeypatch
):
    price = pushed_price(unit_amount=1500)
    old_id = price.stripe_price_id
    working_client = catalog_sync.stripe_client

    def client_that_cannot_archive():
        client = working_client()
        update = client.v1.prices.update

        def refuse_archiving(price_id, params=None, options=None):
            if params == {"active": False}:
                raise stripe.APIConnectionError("connection reset")
            return update(price_id, params, options)

        client.v1.prices.update = refuse_archiving
        return client

    monkeypatch.setattr(catalog_sync, "stripe_client", client_that_cannot_archive)

    response = staff_client.post(
        change_url(price), price_form(price, unit_amount="18.00", confirm_live="on"), follow=True
    )

    price.refresh_from_db()
    assert price.stripe_price_id != old_id
    [error] = [m for m in messages_of(response) if "Stripe did not take the change" in m]
    assert (
        f"it is now {price.stripe_price_id}, but {old_id} could not be archived: "
        "Stripe could not be reached (network error)."
    ) in error
    assert old_id in price.metadata[SYNC_ERROR_KEY]["message"]
    assert stripe_api().v1.prices.retrieve(price.stripe_price_id).unit_amount == 1800


def test_a_nickname_change_updates_the_same_stripe_price(staff_client, quiet_sim, stripe_api):
    price = pushed_price()
    stripe_id = price.stripe_price_id

    staff_client.post(change_url(price), price_form(price, nickname="Gift size"), follow=True)

    price.refresh_from_db()
    assert price.stripe_price_id == stripe_id
    assert stripe_api().v1.prices.retrieve(stripe_id).nickname == "Gift size"


def test_deactivating_a_product_or_price_archives_it_in_stripe_and_activating_brings_it_back(
    staff_client, quiet_sim, stripe_api
):
    price = pushed_price()
    product = price.product
    product_push_to_stripe(product=product)
    api = stripe_api()
    data = product_form(product.name, active=False)
    data["slug"] = product.slug

    staff_client.post(change_url(product), data, follow=True)
    staff_client.post(change_url(price), price_form(price, active=None), follow=True)

    assert api.v1.products.retrieve(product.stripe_product_id).active is False
    assert api.v1.prices.retrieve(price.stripe_price_id).active is False

    staff_client.post(change_url(product), {**data, "active": "on"}, follow=True)
    price.refresh_from_db()
    staff_client.post(change_url(price), price_form(price, active="on", confirm_live="on"), follow=True)

    assert api.v1.products.retrieve(product.stripe_product_id).active is True
    assert api.v1.prices.retrieve(price.stripe_price_id).active is True


@pytest.mark.parametrize("model", [Product, Price])
def test_soft_delete_archives_in_stripe_and_restore_brings_it_back(
    staff_client, quiet_sim, stripe_api, model
):
    price = pushed_price()
    product_push_to_stripe(product=price.product)
    row = price if model is Price else price.product
    retrieve = stripe_api().v1.prices.retrieve if model is Price else stripe_api().v1.products.retrieve
    stripe_id = price.stripe_price_id if model is Price else price.product.stripe_product_id

    run_action(staff_client, model, "soft_delete", [row])
    assert retrieve(stripe_id).active is False

    run_action(staff_client, model, "restore", [row])
    assert retrieve(stripe_id).active is True


def test_deleting_a_price_archives_it_in_stripe(staff_client, quiet_sim, stripe_api):
    price = pushed_price()

    staff_client.post(reverse("admin:catalog_price_delete", args=[price.pk]), {"post": "yes"}, follow=True)

    assert not Price.objects.filter(pk=price.pk).exists()
    assert stripe_api().v1.prices.retrieve(price.stripe_price_id).active is False


def test_a_stripe_outage_during_a_save_keeps_the_row_shows_the_error_and_a_later_save_pushes_it(
    staff_client, settings, stripe_down, quiet_sim, stripe_api
):
    simulator_url = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = stripe_down

    response = add_product(
        staff_client, "Kettle", prices=[{"type": "ONE_TIME", "unit_amount": "45.00", "currency": "usd"}]
    )

    product = Product.objects.get()
    errors = [m for m in messages_of(response) if "Stripe did not take the change" in m]
    outage = (
        "is saved here, but Stripe did not take the change: Stripe could not be reached (network error). "
        "It is marked “not in sync with Stripe”; save it again to retry."
    )
    assert errors == [f"“Kettle” {outage}", f"“{product.prices.get()}” {outage}"]
    assert product.stripe_product_id is None
    assert product.metadata[SYNC_ERROR_KEY]["message"] == "Stripe could not be reached (network error)."
    listing = staff_client.get(changelist_url(Product))
    assert 'alt="False"' in listing.text
    assert "Not in sync: Stripe could not be reached" in staff_client.get(change_url(product)).text

    settings.STRIPE_API_BASE = simulator_url
    data = product_form("Kettle")
    data["metadata"] = json.dumps(product.metadata)
    staff_client.post(change_url(product), data, follow=True)

    product.refresh_from_db()
    assert SYNC_ERROR_KEY not in product.metadata
    assert stripe_api().v1.products.retrieve(product.stripe_product_id).name == "Kettle"


def test_stripes_refusal_during_a_push_is_shown_with_its_reason(staff_client, quiet_sim):
    product = factories.ProductFactory(name="Ghost", stripe_product_id="prod_not_in_stripe")
    data = product_form("Ghost")
    data["slug"] = product.slug

    response = staff_client.post(change_url(product), data, follow=True)

    [error] = [m for m in messages_of(response) if "Stripe did not take the change" in m]
    assert "No such product: 'prod_not_in_stripe'" in error
    product.refresh_from_db()
    assert product.description == "All about Ghost"  # saved all the same
    assert "prod_not_in_stripe" in product.metadata[SYNC_ERROR_KEY]["message"]


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_shoppers_and_visitors_cannot_add_products(client_as, role, quiet_sim, stripe_api):
    response = client_as(role).post(
        reverse("admin:catalog_product_add"), product_form("Sneaky", prices=[MONTHLY])
    )

    assert is_login_redirect(response)
    assert not Product.objects.exists()
    assert stripe_api().v1.products.list().data == []


def test_with_webhooks_delivered_the_catalog_has_one_row_per_stripe_object(staff_client, stripe_sim):
    add_product(
        staff_client,
        "Coffee club",
        prices=[MONTHLY, {"type": "ONE_TIME", "unit_amount": "15.00", "currency": "usd"}],
    )
    stripe_sim.wait_for_deliveries()

    product = Product.objects.get()
    assert product.prices.count() == 2
    assert set(product.prices.values_list("active", flat=True)) == {True}
    assert not WebhookEvent.objects.filter(processed=False).exists()


def test_with_webhooks_delivered_an_amount_change_leaves_one_row(staff_client, stripe_sim):
    price = pushed_price(unit_amount=1500)
    stripe_sim.wait_for_deliveries()

    staff_client.post(
        change_url(price), price_form(price, unit_amount="18.00", confirm_live="on"), follow=True
    )
    stripe_sim.wait_for_deliveries()

    assert list(Price.objects.values_list("unit_amount", "active")) == [(1800, True)]


# --- Pull: manage.py sync_stripe ------------------------------------------------------------


def stripe_catalog(api):
    """Create in Stripe: two products on sale (three prices) and an archived one."""
    mug = api.v1.products.create(
        {"name": "Mug", "description": "Stoneware", "images": ["https://img.test/mug.png"]}
    )
    tea = api.v1.products.create({"name": "Tea"})
    old = api.v1.products.create({"name": "Old poster", "active": False})
    api.v1.prices.create({"product": mug.id, "unit_amount": 1200, "currency": "usd", "nickname": "Single"})
    monthly = api.v1.prices.create(
        {"product": mug.id, "unit_amount": 900, "currency": "usd", "recurring": {"interval": "month"}}
    )
    api.v1.prices.create(
        {
            "product": tea.id,
            "unit_amount": 500,
            "currency": "jpy",
            "recurring": {"interval": "year", "interval_count": 2},
        }
    )
    api.v1.prices.create({"product": old.id, "unit_amount": 300, "currency": "usd"})
    return {"mug": mug, "tea": tea, "old": old, "monthly": monthly}


def sync_stripe(*args):
    out = io.StringIO()
    call_command("sync_stripe", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def catalog_rows():
    return (
        sorted(Product.objects.values_list("name", "description", "active", "stripe_product_id")),
        sorted(
            Price.objects.values_list(
                "product__name",
                "unit_amount",
                "currency",
                "type",
                "recurring_interval",
                "recurring_interval_count",
                "nickname",
                "active",
                "stripe_price_id",
            )
        ),
    )


def test_pull_creates_the_catalog_once_however_often_it_runs(db, quiet_sim, stripe_api):
    objects = stripe_catalog(stripe_api())

    first = sync_stripe()

    assert "products: 2 created, 0 updated, 0 unchanged, 0 archived, 1 skipped" in first
    assert "prices:   3 created, 0 updated, 0 unchanged, 0 archived, 1 skipped" in first
    assert f"product {objects['old'].id} skipped: archived in Stripe and not in the catalog" in first
    products, prices = catalog_rows()
    assert products == [
        ("Mug", "Stoneware", True, objects["mug"].id),
        ("Tea", "", True, objects["tea"].id),
    ]
    assert [row[:8] for row in prices] == [
        ("Mug", 900, "usd", "RECURRING", "month", 1, "", True),
        ("Mug", 1200, "usd", "ONE_TIME", "", 1, "Single", True),
        ("Tea", 500, "jpy", "RECURRING", "year", 2, "", True),
    ]
    assert Product.objects.get(name="Mug").slug == "mug"

    second = sync_stripe()

    assert "products: 0 created, 0 updated, 2 unchanged, 0 archived, 1 skipped" in second
    assert "prices:   0 created, 0 updated, 3 unchanged, 0 archived, 1 skipped" in second
    assert catalog_rows() == (products, prices)


def test_pull_takes_stripes_changes_and_archives(db, quiet_sim, stripe_api):
    api = stripe_api()
    objects = stripe_catalog(api)
    sync_stripe()
    api.v1.products.update(objects["mug"].id, {"name": "Big mug"})
    api.v1.prices.update(objects["monthly"].id, {"active": False})

    output = sync_stripe()

    assert "products: 0 created, 1 updated, 1 unchanged, 0 archived, 1 skipped" in output
    assert "prices:   0 created, 0 updated, 2 unchanged, 1 archived, 1 skipped" in output
    assert Product.objects.get(stripe_product_id=objects["mug"].id).name == "Big mug"
    assert Price.objects.get(stripe_price_id=objects["monthly"].id).active is False


def test_a_dry_run_reports_what_would_change_and_writes_nothing(db, quiet_sim, stripe_api):
    api = stripe_api()
    objects = stripe_catalog(api)

    output = sync_stripe("--dry-run")

    assert output.startswith("Dry run, nothing written. Would change:")
    assert "products: 2 created, 0 updated, 0 unchanged, 0 archived, 1 skipped" in output
    assert "prices:   3 created, 0 updated, 0 unchanged, 0 archived, 1 skipped" in output
    assert not Product.objects.exists()
    assert not Price.objects.exists()

    sync_stripe()
    before = catalog_rows()
    api.v1.products.update(objects["tea"].id, {"active": False})

    output = sync_stripe("--dry-run")

    assert "products: 0 created, 0 updated, 1 unchanged, 1 archived, 1 skipped" in output
    assert catalog_rows() == before


def test_pull_conflict_rules_keep_the_shops_unsent_edits_and_deletions(db, quiet_sim, stripe_api):
    api = stripe_api()
    edited = pushed_price(unit_amount=1500)
    Price.objects.filter(pk=edited.pk).update(unit_amount=1700)  # an edit not pushed yet
    flagged = pushed_price(nickname="Ours")
    api.v1.prices.update(flagged.stripe_price_id, {"nickname": "Theirs"})
    Price.objects.filter(pk=flagged.pk).update(metadata={SYNC_ERROR_KEY: {"message": "down", "at": "now"}})
    deleted = pushed_price()
    product_push_to_stripe(product=deleted.product)
    Product.objects.filter(pk=deleted.product.pk).soft_delete()
    api.v1.products.update(deleted.product.stripe_product_id, {"name": "Renamed in Stripe"})

    output = sync_stripe()

    assert f"price {edited.stripe_price_id} ({Price.objects.get(pk=edited.pk)}) skipped: its amount" in output
    assert f"price {flagged.stripe_price_id} " in output
    assert "its last push to Stripe failed" in output
    assert (
        f"product {deleted.product.stripe_product_id} ({deleted.product.name}) skipped: soft-deleted"
        in output
    )
    assert Price.objects.get(pk=edited.pk).unit_amount == 1700
    assert Price.objects.get(pk=flagged.pk).nickname == "Ours"
    assert Product.objects.get(pk=deleted.product.pk).name == deleted.product.name
    assert Price.objects.count() == 3
    assert Product.objects.count() == 3


def test_pull_links_rows_the_shop_pushed_and_skips_prices_an_amount_change_replaced(
    staff_client, quiet_sim, stripe_api
):
    price = pushed_price(unit_amount=1500)
    old_id = price.stripe_price_id
    staff_client.post(
        change_url(price), price_form(price, unit_amount="20.00", confirm_live="on"), follow=True
    )
    price.refresh_from_db()
    product = price.product
    # The shop lost the product's Stripe id (say, a restore from an old backup).
    Product.objects.filter(pk=product.pk).update(stripe_product_id=None)

    output = sync_stripe()

    assert "products: 0 created, 1 updated, 0 unchanged, 0 archived, 0 skipped" in output
    assert f"price {old_id} skipped: replaced by {price.stripe_price_id}" in output
    assert Product.objects.get().stripe_product_id == product.stripe_product_id
    assert list(Price.objects.values_list("stripe_price_id", flat=True)) == [price.stripe_price_id]


def test_pull_archives_rows_whose_stripe_object_is_gone(db, quiet_sim):
    gone = factories.PriceFactory(stripe_price_id="price_gone", product__stripe_product_id="prod_gone")

    output = sync_stripe()

    assert "products: 0 created, 0 updated, 0 unchanged, 1 archived, 0 skipped" in output
    assert "prices:   0 created, 0 updated, 0 unchanged, 1 archived, 0 skipped" in output
    assert "product prod_gone" in output
    gone.refresh_from_db()
    assert (gone.active, gone.product.active) == (False, False)


def test_pull_reports_its_progress_through_the_callback(db, quiet_sim, stripe_api):
    stripe_catalog(stripe_api())
    stages = []

    def progress(iterable, *, desc, **options):
        items = list(iterable)
        stages.append((desc, len(items)))
        return items

    summary = catalog_pull_from_stripe(progress=progress)

    assert stages == [
        ("Reading Stripe products", 3),
        ("Reading Stripe prices", 4),
        ("Products", 3),
        ("Prices", 4),
    ]
    assert summary.products["created"] == 2


def test_the_command_help_states_the_conflict_rule(capsys):
    with pytest.raises(SystemExit):
        call_command("sync_stripe", "--help")
    assert "Stripe wins for product name" in " ".join(capsys.readouterr().out.split())


# --- What the shopper pays for a price that is not in sync ----------------------------------


def guest_cart_client(price, quantity=1):
    """Return a guest's test client whose cart holds `quantity` of `price`."""
    guest = Client()
    session = guest.session
    session.save()
    cart = factories.CartFactory(session_key=session.session_key, currency=price.currency)
    factories.CartItemFactory(cart=cart, price=price, quantity=quantity)
    session[CART_SESSION_KEY] = str(cart.pk)
    session.save()
    return guest, cart


def test_a_price_changed_while_stripe_was_down_cannot_be_bought_until_stripe_has_it(
    staff_client, settings, stripe_down, quiet_sim, stripe_api
):
    price = pushed_price(unit_amount=1000, product__name="Brass lamp")
    old_stripe_id = price.stripe_price_id
    simulator_url = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = stripe_down
    saved = staff_client.post(
        change_url(price), price_form(price, unit_amount="90.00", confirm_live="on"), follow=True
    )
    assert any("Stripe did not take the change" in message for message in messages_of(saved))
    settings.STRIPE_API_BASE = simulator_url
    guest, cart = guest_cart_client(Price.objects.get(pk=price.pk))

    cart_page = guest.get(reverse("cart:detail"))
    refused = guest.post(reverse("payments:checkout"), follow=True)

    assert "Brass lamp cannot be bought right now" in cart_page.text
    assert "$90.00" not in cart_page.text.split('id="summary-heading"')[1]
    assert refused.redirect_chain == [("/cart/", 302)]
    assert messages_of(refused) == [
        "“Brass lamp” cannot be bought right now. Your cart is unchanged: try again later, "
        "or remove it and check out the rest."
    ]
    assert not Order.objects.exists()
    cart.refresh_from_db()
    assert not cart.is_locked
    assert not stripe_api().v1.checkout.sessions.list().data
    assert Price.objects.get(pk=price.pk).stripe_price_id == old_stripe_id


def test_checkout_refuses_a_price_whose_stripe_twin_has_other_terms(db, quiet_sim, stripe_api):
    price = pushed_price(unit_amount=1000, product__name="Brass lamp")
    # Changed without a push (a bulk edit, a push that died half-way): no flag, Stripe still says $10.
    Price.objects.filter(pk=price.pk).update(unit_amount=9000)
    guest, cart = guest_cart_client(Price.objects.get(pk=price.pk))

    refused = guest.post(reverse("payments:checkout"), follow=True)

    assert messages_of(refused) == [
        "“Brass lamp” cannot be bought right now. Your cart is unchanged: try again later, "
        "or remove it and check out the rest."
    ]
    assert not Order.objects.exists()
    cart.refresh_from_db()
    assert not cart.is_locked
    assert not stripe_api().v1.checkout.sessions.list().data


# --- Images: uploaded in the shop, given to Stripe as absolute https URLs ------------------------


def stripe_images(api, product):
    return api.v1.products.retrieve(product.stripe_product_id).images


def test_stripe_gets_absolute_https_urls_of_the_uploaded_pictures_in_order(
    staff_client, stripe_sim, stripe_api, settings
):
    settings.SHOP_BASE_URL = "https://shop.example.com"
    images = [
        {"image": png_upload("side.png"), "alt_text": "The mug from the side", "position": "2"},
        {"image": png_upload("top.png"), "alt_text": "The mug from above", "position": "1"},
    ]
    add_product(staff_client, "Mug", images=images)
    stripe_sim.wait_for_deliveries()
    product = Product.objects.get()
    top, side = product.images.all()

    assert stripe_images(stripe_api(), product) == [
        f"https://shop.example.com/media/{top.image.name}",
        f"https://shop.example.com/media/{side.image.name}",
    ]
    # Stripe's product.updated events leave the shop's pictures as they are.
    assert not WebhookEvent.objects.filter(processed=False).exists()
    assert list(product.images.all()) == [top, side]

    # Removed in admin: removed in Stripe too.
    rows = [
        {"id": str(top.pk), "alt_text": top.alt_text, "position": "1", "DELETE": "on"},
        {"id": str(side.pk), "alt_text": side.alt_text, "position": "2"},
    ]
    staff_client.post(change_url(product), product_form("Mug", images=rows, initial_images=2), follow=True)
    stripe_sim.wait_for_deliveries()

    assert stripe_images(stripe_api(), product) == [f"https://shop.example.com/media/{side.image.name}"]
    assert list(product.images.all()) == [side]


def test_with_a_plain_http_shop_url_stripe_gets_no_images(staff_client, stripe_sim, stripe_api, settings):
    settings.SHOP_BASE_URL = "http://127.0.0.1:8000"
    add_product(staff_client, "Mug", images=[{"image": png_upload(), "alt_text": "A mug", "position": "0"}])
    stripe_sim.wait_for_deliveries()
    product = Product.objects.get()

    assert product.images.count() == 1
    assert stripe_images(stripe_api(), product) == []


def test_a_pull_leaves_the_shops_pictures_alone_and_the_next_push_restores_them(
    db, quiet_sim, stripe_api, settings
):
    settings.SHOP_BASE_URL = "https://shop.example.com"
    image = factories.ProductImageFactory(product__name="Mug")
    product = image.product
    product_push_to_stripe(product=product)
    product.refresh_from_db()
    ours = [f"https://shop.example.com/media/{image.image.name}"]
    assert stripe_images(stripe_api(), product) == ours

    stripe_api().v1.products.update(
        product.stripe_product_id, {"images": ["https://cdn.example.com/new.jpg"]}
    )
    assert "products: 0 created, 0 updated, 1 unchanged" in sync_stripe()

    assert list(product.images.all()) == [image]
    product_push_to_stripe(product=product)
    assert stripe_images(stripe_api(), product) == ours

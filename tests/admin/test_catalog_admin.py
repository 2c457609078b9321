"""Soft-delete and restore from the catalog admin; deleted rows stay visible to staff."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from catalog.models import Price, Product
from tests import factories
from tests.admin.pages import changelist_url, messages_of, result_pks, run_action


@pytest.mark.parametrize(
    ("model", "factory"),
    [(Product, factories.ProductFactory), (Price, factories.PriceFactory)],
    ids=["Product", "Price"],
)
def test_soft_delete_hides_rows_from_the_shop_and_restore_brings_them_back(
    super_admin_client, model, factory
):
    doomed, kept = factory(), factory()

    response = run_action(super_admin_client, model, "soft_delete", [doomed])

    assert f"Soft-deleted 1 {model._meta.verbose_name}" in " ".join(messages_of(response))
    doomed.refresh_from_db()
    assert doomed.deleted_at is not None
    assert kept in model.objects.available()
    assert doomed not in model.objects.available()
    # Still listed for staff, where it can be restored.
    assert str(doomed.pk) in result_pks(super_admin_client.get(changelist_url(model)))

    response = run_action(super_admin_client, model, "restore", [doomed])

    assert f"Restored 1 {model._meta.verbose_name}" in " ".join(messages_of(response))
    doomed.refresh_from_db()
    assert doomed.deleted_at is None
    assert doomed in model.objects.available()


def test_soft_delete_keeps_the_first_deletion_time(super_admin_client):
    deleted_at = timezone.now() - timezone.timedelta(days=3)
    product = factories.ProductFactory(deleted_at=deleted_at)

    response = run_action(super_admin_client, Product, "soft_delete", [product])

    assert "Soft-deleted 0 products" in " ".join(messages_of(response))
    product.refresh_from_db()
    assert abs(product.deleted_at - deleted_at) < timezone.timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("yes", {"deleted"}), ("no", {"live", "inactive"}), (None, {"deleted", "live", "inactive"})],
)
def test_deleted_filter(super_admin_client, value, expected):
    rows = {
        "deleted": factories.ProductFactory(deleted_at=timezone.now()),
        "live": factories.ProductFactory(),
        "inactive": factories.ProductFactory(active=False),
    }

    response = super_admin_client.get(changelist_url(Product, **({"deleted": value} if value else {})))

    assert result_pks(response) == {str(rows[name].pk) for name in expected}


def test_inactive_filter_on_prices(super_admin_client):
    active, inactive = factories.PriceFactory(), factories.PriceFactory(active=False)

    response = super_admin_client.get(changelist_url(Price, active__exact=0))

    assert result_pks(response) == {str(inactive.pk)}
    assert str(active.pk) not in result_pks(response)


def test_search_finds_products_by_name_and_stripe_id(super_admin_client):
    desk = factories.ProductFactory(name="Walnut desk", stripe_product_id="prod_desk")
    factories.ProductFactory(name="Oak chair", stripe_product_id="prod_chair")

    by_name = super_admin_client.get(changelist_url(Product, q="walnut"))
    by_stripe_id = super_admin_client.get(changelist_url(Product, q="prod_desk"))

    assert result_pks(by_name) == result_pks(by_stripe_id) == {str(desk.pk)}


def test_search_finds_prices_by_product_name_and_stripe_id(super_admin_client):
    price = factories.PriceFactory(product__name="Walnut desk", stripe_price_id="price_desk")
    factories.PriceFactory(product__name="Oak chair")

    assert result_pks(super_admin_client.get(changelist_url(Price, q="walnut"))) == {str(price.pk)}
    assert result_pks(super_admin_client.get(changelist_url(Price, q="price_desk"))) == {str(price.pk)}


def test_admin_role_can_soft_delete(admin_role_client):
    product = factories.ProductFactory()

    run_action(admin_role_client, Product, "soft_delete", [product])

    product.refresh_from_db()
    assert product.is_deleted


def test_shopper_cannot_run_catalog_actions(client, db):
    product = factories.ProductFactory()
    client.force_login(factories.UserFactory())

    response = run_action(client, Product, "soft_delete", [product])

    assert response.redirect_chain[0][0].startswith("/admin/login/")
    product.refresh_from_db()
    assert not product.is_deleted


def test_anonymous_visitor_cannot_run_catalog_actions(client, db):
    product = factories.ProductFactory(deleted_at=timezone.now())

    run_action(client, Product, "restore", [product])

    product.refresh_from_db()
    assert product.is_deleted


def test_price_change_page_refuses_a_recurring_price_without_interval(super_admin_client):
    price = factories.PriceFactory()

    response = super_admin_client.post(
        f"/admin/catalog/price/{price.pk}/change/",
        {
            "product": str(price.product.pk),
            "nickname": "",
            "type": "RECURRING",
            "unit_amount": "9.00",
            "currency": "usd",
            "recurring_interval": "",
            "recurring_interval_count": "1",
            "active": "on",
            "metadata": "{}",
        },
    )

    assert response.status_code == 200
    assert "A recurring price needs a billing interval." in response.text
    price.refresh_from_db()
    assert price.type == "ONE_TIME"
    assert price.unit_amount == 1500


# --- What staff may enter ---------------------------------------------------------------------


def _product_form(name, images, *, prices=()):
    data = {
        "name": name,
        "slug": name.lower().replace(" ", "-"),
        "description": "",
        "images": json.dumps(images),
        "metadata": "{}",
        "active": "on",
        "prices-TOTAL_FORMS": str(len(prices)),
        "prices-INITIAL_FORMS": "0",
        "prices-MIN_NUM_FORMS": "0",
        "prices-MAX_NUM_FORMS": "1000",
    }
    for index, price in enumerate(prices):
        fields = {
            "nickname": "",
            "type": "ONE_TIME",
            "currency": "usd",
            "recurring_interval_count": "1",
            **price,
        }
        data.update({f"prices-{index}-{field}": value for field, value in fields.items()})
    return data


@pytest.mark.parametrize(
    "image",
    [
        "javascript:alert(document.cookie)",
        "javascript://%0Aalert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "http://images.example.com/mug.png",
        "//evil.example/mug.png",
        "/etc/passwd",
        "catalog/../../secrets.txt",
        "vbscript:msgbox(1)",
    ],
)
def test_product_page_refuses_an_image_that_is_not_https_or_a_shop_path(super_admin_client, image):
    response = super_admin_client.post(
        reverse("admin:catalog_product_add"), _product_form("Mug", ["catalog/demo/mug.svg", image])
    )

    assert response.status_code == 200
    assert "Use an https:// address or a path of the shop&#x27;s own images" in response.text
    assert not Product.objects.filter(name="Mug").exists()


def test_product_page_accepts_https_images_and_shop_paths(super_admin_client):
    images = ["catalog/demo/enamel-mug.svg", "https://cdn.example.com/mugs/blue.png?w=400"]

    super_admin_client.post(reverse("admin:catalog_product_add"), _product_form("Mug", images))

    assert Product.objects.get(name="Mug").images == images


def test_an_unsafe_image_stored_before_the_rule_is_not_shown(client, db):
    product = factories.ProductFactory(name="Mug")
    factories.PriceFactory(product=product)
    # Written past validation, as rows from before the rule were.
    Product.objects.filter(pk=product.pk).update(
        images=["javascript:alert(1)//://", "data:text/html,<b>x</b>", "catalog/demo/mug.svg"]
    )

    response = client.get(product.get_absolute_url())

    assert "javascript:" not in response.text
    assert "data:text/html" not in response.text
    assert "/static/catalog/demo/mug.svg" in response.text


def test_price_page_refuses_an_amount_stripe_cannot_take(super_admin_client):
    price = factories.PriceFactory()

    response = super_admin_client.post(
        f"/admin/catalog/price/{price.pk}/change/",
        {
            "product": str(price.product.pk),
            "nickname": "",
            "type": "ONE_TIME",
            "unit_amount": "1000000.00",
            "currency": "usd",
            "recurring_interval": "",
            "recurring_interval_count": "1",
            "active": "on",
            "metadata": "{}",
        },
    )

    assert response.status_code == 200
    assert "Enter at most $999,999.99: Stripe does not take larger prices." in response.text
    price.refresh_from_db()
    assert price.unit_amount == 1500


def test_product_page_refuses_a_new_price_stripe_cannot_take(super_admin_client):
    form = _product_form("Mug", ["catalog/demo/mug.svg"], prices=[{"unit_amount": "1000000"}])

    response = super_admin_client.post(reverse("admin:catalog_product_add"), form)

    assert "Enter at most $999,999.99: Stripe does not take larger prices." in response.text
    assert not Product.objects.filter(name="Mug").exists()


def test_the_largest_price_stripe_takes_is_accepted(db):
    factories.PriceFactory.build(product=factories.ProductFactory(), unit_amount=99_999_999).full_clean()

    with pytest.raises(ValidationError) as refused:
        factories.PriceFactory.build(product=factories.ProductFactory(), unit_amount=100_000_000).full_clean()

    assert "unit_amount" in refused.value.message_dict

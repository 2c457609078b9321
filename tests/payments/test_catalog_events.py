"""product.* and price.* events keep the catalog in step with Stripe (delivered for real)."""

from catalog.models import Price, PriceType, Product
from payments.models import WebhookEvent
from tests import factories


def test_product_changes_in_stripe_reach_the_catalog(stripe_sim, stripe_api):
    product = factories.ProductFactory(name="Mug", description="Plain")
    api = stripe_api()

    stripe_product = api.v1.products.create({"name": "Mug", "metadata": {"product_id": str(product.pk)}})
    stripe_sim.wait_for_deliveries()
    product.refresh_from_db()
    assert product.stripe_product_id == stripe_product.id

    api.v1.products.update(
        stripe_product.id,
        {"name": "Stoneware mug", "description": "Glazed", "images": ["https://img.example.com/mug.png"]},
    )
    stripe_sim.wait_for_deliveries()
    product.refresh_from_db()
    assert (product.name, product.description) == ("Stoneware mug", "Glazed")
    # Images are uploaded in the shop: Stripe's do not become the product's.
    assert not product.images.exists()
    assert product.slug == factories.ProductFactory._meta.model.objects.get(pk=product.pk).slug

    api.v1.products.update(stripe_product.id, {"active": False})
    stripe_sim.wait_for_deliveries()
    product.refresh_from_db()
    assert not product.active
    assert not WebhookEvent.objects.filter(processed=False).exists()


def test_prices_created_and_changed_in_stripe_reach_the_catalog(stripe_sim, stripe_api):
    product = factories.ProductFactory(stripe_product_id=None)
    api = stripe_api()
    stripe_product = api.v1.products.create(
        {"name": product.name, "metadata": {"product_id": str(product.pk)}}
    )
    stripe_sim.wait_for_deliveries()

    stripe_price = api.v1.prices.create(
        {
            "product": stripe_product.id,
            "unit_amount": 900,
            "currency": "eur",
            "recurring": {"interval": "month", "interval_count": 3},
            "nickname": "Quarterly",
        }
    )
    stripe_sim.wait_for_deliveries()
    price = Price.objects.get(stripe_price_id=stripe_price.id)
    assert (price.product, price.unit_amount, price.currency, price.type) == (
        product,
        900,
        "eur",
        PriceType.RECURRING,
    )
    assert (price.recurring_interval, price.recurring_interval_count, price.nickname) == (
        "month",
        3,
        "Quarterly",
    )

    api.v1.prices.update(stripe_price.id, {"active": False, "nickname": "Old quarterly"})
    stripe_sim.wait_for_deliveries()
    price.refresh_from_db()
    assert (price.active, price.nickname) == (False, "Old quarterly")
    assert Price.objects.count() == 1


def test_prices_of_products_outside_the_catalog_are_ignored(stripe_sim, stripe_api):
    api = stripe_api()
    elsewhere = api.v1.products.create({"name": "Not ours"})
    elsewhere_price = api.v1.prices.create({"product": elsewhere.id, "unit_amount": 100, "currency": "usd"})
    stripe_sim.wait_for_deliveries()

    assert not Product.objects.exists()
    assert not Price.objects.exists()
    assert set(WebhookEvent.objects.values_list("processed", flat=True)) == {True}
    # Staff reading the events see why nothing was added.
    assert WebhookEvent.objects.get(type="product.created").last_error == (
        f"Ignored: product {elsewhere.id} is not in the catalog."
    )
    assert WebhookEvent.objects.get(type="price.created").last_error == (
        f"Ignored: price {elsewhere_price.id} is for product {elsewhere.id}, not in the catalog."
    )


def test_a_second_stripe_price_made_for_one_of_ours_is_not_added_as_another(stripe_sim, stripe_api):
    price = factories.PriceFactory(product__stripe_product_id=None, unit_amount=500)
    api = stripe_api()
    stripe_product = api.v1.products.create(
        {"name": price.product.name, "metadata": {"product_id": str(price.product.pk)}}
    )
    # A create retried after a lost answer leaves Stripe two prices naming our one price.
    stripe_ids = {
        api.v1.prices.create(
            {
                "product": stripe_product.id,
                "unit_amount": 500,
                "currency": "usd",
                "metadata": {"price_id": str(price.pk)},
            }
        ).id
        for _ in range(2)
    }
    stripe_sim.wait_for_deliveries()

    assert list(Price.objects.values_list("pk", flat=True)) == [price.pk]
    # Our price is sold as one of them, whichever Stripe told of first.
    price.refresh_from_db()
    assert price.stripe_price_id in stripe_ids
    assert set(WebhookEvent.objects.values_list("processed", flat=True)) == {True}


def test_a_product_deleted_in_stripe_goes_off_sale_and_its_neighbour_stays(stripe_sim, stripe_api):
    gone, kept = factories.ProductFactory(name="Mug"), factories.ProductFactory(name="Bowl")
    api = stripe_api()
    stripe_ids = {
        product.pk: api.v1.products.create(
            {"name": product.name, "metadata": {"product_id": str(product.pk)}}
        ).id
        for product in (gone, kept)
    }
    stripe_sim.wait_for_deliveries()

    api.v1.products.delete(stripe_ids[gone.pk])
    stripe_sim.wait_for_deliveries()

    gone.refresh_from_db()
    kept.refresh_from_db()
    assert (gone.active, kept.active) == (False, True)
    assert WebhookEvent.objects.get(type="product.deleted").processed


def test_a_price_deleted_in_stripe_goes_off_sale_and_its_neighbour_stays(stripe_sim, stripe_api):
    product = factories.ProductFactory(stripe_product_id=None)
    api = stripe_api()
    stripe_product = api.v1.products.create(
        {"name": product.name, "metadata": {"product_id": str(product.pk)}}
    )
    gone_id, kept_id = (
        api.v1.prices.create({"product": stripe_product.id, "unit_amount": amount, "currency": "usd"}).id
        for amount in (500, 700)
    )
    stripe_sim.wait_for_deliveries()

    stripe_sim.delete_price_from_dashboard(gone_id)
    stripe_sim.wait_for_deliveries()

    gone, kept = (Price.objects.get(stripe_price_id=stripe_id) for stripe_id in (gone_id, kept_id))
    assert (gone.active, kept.active) == (False, True)
    assert WebhookEvent.objects.get(type="price.deleted").processed

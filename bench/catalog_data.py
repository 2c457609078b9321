"""Generate a catalog of N products, each with a one-time and a monthly price, as BSON files.

    python -m bench.catalog_data --products 5000 --out DIR    # DJANGO_SETTINGS_MODULE=bench.settings

Documents are built by the models' own fields (`get_db_prep_save`), so they are exactly what the
ORM would store; bench/dbserver.py inserts them in one engine batch. Also writes DIR/catalog.json:
the product slugs and price ids the load tool picks from.
"""

import argparse
import datetime
import json
import random
from pathlib import Path

ADJECTIVES = ["Sturdy", "Classic", "Compact", "Everyday", "Deluxe", "Handmade", "Organic", "Vintage"]
MATERIALS = ["oak", "steel", "linen", "ceramic", "wool", "cotton", "bamboo", "leather"]
NOUNS = ["mug", "backpack", "lamp", "notebook", "scarf", "bottle", "planter", "apron", "tray", "candle"]


def product_names(count):
    """Return `count` distinct, readable product names (deterministic)."""
    return [
        f"{ADJECTIVES[i % 8]} {MATERIALS[i // 8 % 8]} {NOUNS[i // 64 % 10]} {i + 1:05d}" for i in range(count)
    ]


def catalog_instances(count, *, now):
    """Return unsaved (products, prices): each product gets a one-time and a monthly price."""
    from bson import ObjectId
    from django.utils.text import slugify

    from catalog.models import BillingInterval, Price, PriceType, Product, price_summary_fields

    rng = random.Random(count)  # noqa: S311 - repeatable prices, not secrets
    products, prices = [], []
    for index, name in enumerate(product_names(count)):
        product = Product(
            id=ObjectId(),
            name=name,
            slug=slugify(name),
            description=f"{name} — generated for the load benchmark. " * 3,
            created_at=now - datetime.timedelta(minutes=index),
        )
        products.append(product)
        prices.append(
            Price(
                id=ObjectId(),
                product=product,
                type=PriceType.ONE_TIME,
                unit_amount=rng.randrange(500, 20_000, 50),
                currency="usd",
            )
        )
        prices.append(
            Price(
                id=ObjectId(),
                product=product,
                type=PriceType.RECURRING,
                unit_amount=rng.randrange(300, 3_000, 50),
                currency="usd",
                recurring_interval=BillingInterval.MONTH,
            )
        )
        # Documents are written without the ORM's signals: fill the catalog page's price summary.
        for field, value in price_summary_fields(prices[-2:]).items():
            setattr(product, field, value)
    return products, prices


def stored_document(instance, connection):
    """Return the document the ORM would insert for an unsaved model instance."""
    document = {}
    for field in instance._meta.concrete_fields:
        value = field.get_db_prep_save(field.pre_save(instance, add=True), connection)
        document["_id" if field.primary_key else field.column] = value
    return document


def write_catalog(count, out_dir):
    """Write products.bson, prices.bson and catalog.json to out_dir; return their collection names."""
    import bson
    from django.db import connection
    from django.utils import timezone

    from catalog.models import Price, Product

    products, prices = catalog_instances(count, now=timezone.now())
    files = {}
    for model, instances in ((Product, products), (Price, prices)):
        path = out_dir / f"{model._meta.model_name}s.bson"
        path.write_bytes(b"".join(bson.encode(stored_document(obj, connection)) for obj in instances))
        files[model._meta.db_table] = str(path)
    fixture = {
        "files": files,
        "slugs": [product.slug for product in products],
        "price_ids": [str(price.id) for price in prices],
    }
    (out_dir / "catalog.json").write_text(json.dumps(fixture))
    return fixture


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    import django

    django.setup()
    write_catalog(args.products, args.out)


if __name__ == "__main__":
    main()

"""The Stripe objects checkout needs before it can charge: products, prices and customers.

Each is created at most once: the request carries an idempotency key derived from our row and
what is sent, and the Stripe id is saved with a conditional update, so two checkouts racing to
create the same object both end up with the one Stripe returned (or the one saved first).
"""

import hashlib
import json

from django.db.models import Q

from accounts.models import User
from catalog.models import Price, Product
from payments.stripe_client import stripe_client


def catalog_product_ensure_stripe(*, product: Product) -> str:
    """Return the product's Stripe product id, creating the Stripe product first if there is none."""
    if product.stripe_product_id:
        return product.stripe_product_id
    params = {"name": product.name, "metadata": {"product_id": str(product.pk)}}
    if product.description:
        params["description"] = product.description
    created = stripe_client().v1.products.create(
        params, {"idempotency_key": _idempotency_key("product", product.pk, params)}
    )
    product.stripe_product_id = _save_stripe_id(Product, product.pk, "stripe_product_id", created.id)
    return product.stripe_product_id


def catalog_price_ensure_stripe(*, price: Price) -> str:
    """Return the price's Stripe price id, creating the Stripe product and price first if needed."""
    if price.stripe_price_id:
        return price.stripe_price_id
    params = stripe_price_params(price=price, metadata={"price_id": str(price.pk)})
    created = stripe_client().v1.prices.create(
        params, {"idempotency_key": _idempotency_key("price", price.pk, params)}
    )
    price.stripe_price_id = _save_stripe_id(Price, price.pk, "stripe_price_id", created.id)
    return price.stripe_price_id


def stripe_price_params(*, price: Price, metadata: dict) -> dict:
    """Return the parameters that create a Stripe price with the row's terms (its product first)."""
    params = {
        "product": catalog_product_ensure_stripe(product=price.product),
        "unit_amount": price.unit_amount,
        "currency": price.currency,
        "metadata": metadata,
    }
    if price.is_recurring:
        params["recurring"] = {
            "interval": price.recurring_interval,
            "interval_count": price.recurring_interval_count,
        }
    if price.nickname:
        params["nickname"] = price.nickname
    return params


def price_terms(price: Price) -> tuple:
    """Return what a Stripe price can never change, as the shop's row states it: amount, currency,
    interval and interval count."""
    return (
        price.unit_amount,
        price.currency,
        price.recurring_interval if price.is_recurring else "",
        price.recurring_interval_count if price.is_recurring else 1,
    )


def stripe_price_terms(stripe_price: dict) -> tuple:
    """Return the terms of a Stripe price, comparable with price_terms()."""
    recurring = stripe_price.get("recurring") or {}
    return (
        stripe_price.get("unit_amount"),
        stripe_price["currency"],
        recurring.get("interval") or "",
        recurring.get("interval_count") or 1,
    )


def product_fields_from_stripe(stripe_product: dict) -> dict:
    """Return the Product fields Stripe is the source of: name, description and active.

    Not images: they are uploaded in the shop, and Stripe holds copies of their URLs.
    """
    return {
        "name": stripe_product["name"],
        "description": stripe_product.get("description") or "",
        "active": stripe_product["active"],
    }


def customer_ensure_stripe(*, user: User) -> str:
    """Return the user's Stripe customer id, creating the customer (linked by metadata) if needed."""
    if user.stripe_customer_id:
        return user.stripe_customer_id
    params = {"email": user.email, "metadata": {"user_id": str(user.pk)}}
    if user.name:
        params["name"] = user.name
    created = stripe_client().v1.customers.create(
        params, {"idempotency_key": _idempotency_key("customer", user.pk, params)}
    )
    user.stripe_customer_id = _save_stripe_id(User, user.pk, "stripe_customer_id", created.id)
    return user.stripe_customer_id


def _idempotency_key(kind: str, pk, params: dict) -> str:
    # The parameters are part of the key: Stripe refuses a key reused with other parameters.
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    return f"shop-{kind}-{pk}-{digest}"


def _save_stripe_id(model, pk, field: str, stripe_id: str) -> str:
    """Save `stripe_id` unless a concurrent request saved one first; return the id that is kept."""
    unset = Q(**{f"{field}__isnull": True}) | Q(**{field: ""})
    if model.objects.filter(unset, pk=pk).update(**{field: stripe_id}):
        return stripe_id
    return model.objects.filter(pk=pk).values_list(field, flat=True).get()

"""The shopper's Stripe customer, created at most once (see payments.stripe_client)."""

from accounts.models import User
from payments.stripe_client import creation_idempotency_key, stripe_client, stripe_id_save


def customer_ensure_stripe(*, user: User) -> str:
    """Return the user's Stripe customer id, creating the customer (linked by metadata) if needed."""
    if user.stripe_customer_id:
        return user.stripe_customer_id
    params = {"email": user.email, "metadata": {"user_id": str(user.pk)}}
    if user.name:
        params["name"] = user.name
    created = stripe_client().v1.customers.create(
        params, {"idempotency_key": creation_idempotency_key("customer", user.pk, params)}
    )
    user.stripe_customer_id = stripe_id_save(User, user.pk, "stripe_customer_id", created.id)
    return user.stripe_customer_id

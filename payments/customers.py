"""The shopper's Stripe customer, created at most once (see payments.stripe_client).

With the simulator, every customer is made on one shared test clock, `shop-simulator`: advancing
that clock renews every subscription the shop made (see stripe_simulator/README.md).
"""

import time

from django.conf import settings

from accounts.models import User
from cart.models import Cart
from payments.stripe_client import creation_idempotency_key, stripe_client, stripe_id_save

SIMULATOR_TEST_CLOCK_NAME = "shop-simulator"


def customer_ensure_stripe(*, user: User) -> str:
    """Return the user's Stripe customer id, creating the customer (linked by metadata) if needed."""
    if user.stripe_customer_id:
        return user.stripe_customer_id
    params = {"email": user.email, "metadata": {"user_id": str(user.pk)}}
    if user.name:
        params["name"] = user.name
    created = _customer_create(params, key_owner=user.pk)
    user.stripe_customer_id = stripe_id_save(User, user.pk, "stripe_customer_id", created.id)
    return user.stripe_customer_id


def customer_create_for_guest(*, cart: Cart) -> str:
    """Return a new Stripe customer for a guest's subscription checkout of `cart`, without email.

    Stripe's page asks for the email and sets it on the customer. The same checkout of the same
    cart (a double click) gets the same customer: the key follows the cart's version.
    """
    params = {"metadata": {"cart_id": str(cart.pk)}}
    return _customer_create(params, key_owner=f"guest-{cart.pk}-{cart.updated_at.timestamp()}").id


def _customer_create(params: dict, *, key_owner):
    if settings.STRIPE_USE_SIMULATOR:
        params = {**params, "test_clock": simulator_test_clock_ensure()}
    return stripe_client().v1.customers.create(
        params, {"idempotency_key": creation_idempotency_key("customer", key_owner, params)}
    )


def simulator_test_clock_ensure() -> str:
    """Return the id of the simulator's `shop-simulator` test clock, creating it if there is none."""
    client = stripe_client()
    clocks = [
        clock
        for clock in client.v1.test_helpers.test_clocks.list({"limit": 100}).auto_paging_iter()
        if clock.name == SIMULATOR_TEST_CLOCK_NAME
    ]
    if clocks:
        # Two first checkouts racing may have made two: everyone then takes the oldest.
        return min(clocks, key=lambda clock: (clock.created, clock.id)).id
    frozen_time = int(time.time())
    # Creators within the same second send the same request, and get one clock.
    created = client.v1.test_helpers.test_clocks.create(
        {"frozen_time": frozen_time, "name": SIMULATOR_TEST_CLOCK_NAME},
        {"idempotency_key": f"shop-test-clock-{SIMULATOR_TEST_CLOCK_NAME}-{frozen_time}"},
    )
    return created.id

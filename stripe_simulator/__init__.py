"""An offline Stripe API simulator for development and tests.

Serves a subset of the Stripe v1 API over HTTP (enough for the shop: customers,
products, prices, Checkout Sessions, payment intents, charges, refunds,
subscriptions, invoices, test clocks, events), a hosted checkout page at
``/checkout/{id}``, a customer portal page at ``/billing_portal/{id}``, and
test control endpoints under ``/_simulator/`` (see `server`). Events are
delivered as signed webhooks with retries. Standard library only, no Django:

    with StripeSimulator(webhook_url="http://127.0.0.1:8000/payments/webhook/",
                         webhook_secret="whsec_test") as sim:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": sim.url})

Run it on its own with ``python -m stripe_simulator --help``.
"""

from .simulator import StripeSimulator
from .webhooks import DeliveryAttempt

__all__ = ["DeliveryAttempt", "StripeSimulator"]

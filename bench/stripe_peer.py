"""The Stripe the worker reads from during the webhook scenario: the local simulator, on its own port.

Every webhook handler reads its event's object from Stripe before it changes anything, so the
worker's throughput includes that call, as it would in production. The pages never call Stripe:
the app servers keep a closed port as their Stripe (bench/server.py).
"""

import json
import urllib.parse
import urllib.request

from stripe_simulator import StripeSimulator

API_KEY = "sk_test_bench"


class StripePeer:
    def __init__(self):
        self.simulator = StripeSimulator(webhook_url=None, async_settle_delay=None).start()
        self.url = self.simulator.url
        self.customer_id = self._customer_create()

    def _customer_create(self) -> str:
        """Create the customer of no shop user that every bench event is about."""
        request = urllib.request.Request(  # noqa: S310 - our own local simulator
            f"{self.url}/v1/customers",
            data=urllib.parse.urlencode({"email": "bench@example.com", "name": "Bench Customer"}).encode(),
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())["id"]

    def stop(self):
        self.simulator.stop()

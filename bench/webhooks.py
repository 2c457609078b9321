"""Stripe events signed exactly as Stripe signs them, for the webhook scenario."""

import hashlib
import hmac
import json
import time
import uuid

EVENT_TYPE = "customer.updated"
API_VERSION = "2026-10-28.endive"


def customer_updated_event(*, customer_id, now=None):
    """Return a unique `customer.updated` event about `customer_id`, a customer of no shop user.

    The worker reads the customer from Stripe (the bench's local simulator) and finds nothing to change.
    """
    created = int(now if now is not None else time.time())
    suffix = uuid.uuid4().hex
    return {
        "id": f"evt_bench_{suffix}",
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": {
            "object": {
                "id": customer_id,
                "object": "customer",
                "email": f"bench-{suffix[:8]}@example.com",
                "name": "Bench Customer",
                "created": created,
                "livemode": False,
                "metadata": {},
            },
            "previous_attributes": {"name": "Old Name"},
        },
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": EVENT_TYPE,
    }


def signature_header(payload, *, secret, timestamp=None):
    """Return the Stripe-Signature header value: t=<ts>,v1=<HMAC-SHA256 of "<ts>.<payload>">."""
    timestamp = int(timestamp if timestamp is not None else time.time())
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signed_delivery(*, secret, customer_id, now=None):
    """Return (body, headers) of one webhook delivery of a fresh event."""
    payload = json.dumps(customer_updated_event(customer_id=customer_id, now=now), separators=(",", ":"))
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": signature_header(payload, secret=secret, timestamp=now),
    }
    return payload, headers

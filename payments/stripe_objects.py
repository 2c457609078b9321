"""Reading an event's object from Stripe: the one thing a webhook handler may act on.

An event is a notice, not the truth. Of its body a handler trusts the event's id and type and the
object's id only: the rest may be stale (deliveries come late and out of order), rendered in the
endpoint's API version rather than ours, or forged by whoever holds the signing secret. So every
handler reads the object again through the SDK, at the pinned API version, before changing an
order, a refund, a subscription, a customer or the catalog.
"""

import stripe

from payments.exceptions import EventIgnored
from payments.stripe_client import stripe_client

# The kind of object each event type is about, by the longest matching prefix of the type.
_EVENT_OBJECT_KINDS = {
    "checkout.session.": "checkout session",
    "payment_intent.": "payment intent",
    "charge.dispute.": "dispute",
    "charge.refund.": "refund",
    "charge.": "charge",
    "refund.": "refund",
    "customer.subscription.": "subscription",
    "customer.": "customer",
    "product.": "product",
    "price.": "price",
    "invoice.": "invoice",
}


def _service(client: stripe.StripeClient, kind: str):
    v1 = client.v1
    return {
        "checkout session": v1.checkout.sessions,
        "payment intent": v1.payment_intents,
        "dispute": v1.disputes,
        "refund": v1.refunds,
        "charge": v1.charges,
        "subscription": v1.subscriptions,
        "customer": v1.customers,
        "product": v1.products,
        "price": v1.prices,
        "invoice": v1.invoices,
    }[kind]


def stripe_object_retrieve(
    *, kind: str, object_id: str, expand: list[str] | None = None, missing_ok: bool = False
) -> dict:
    """Return the Stripe object of `kind` ("payment intent", "refund", ...) with this id, as Stripe
    has it now, at the pinned API version.

    Raise EventIgnored when Stripe has no such object; with `missing_ok`, return the stub Stripe
    answers for a deleted object instead ({"id": ..., "deleted": True}).
    """
    params = {"expand": expand} if expand else None
    try:
        return _service(stripe_client(), kind).retrieve(object_id, params=params).to_dict()
    except stripe.InvalidRequestError as error:
        if error.code != "resource_missing":
            raise
        if missing_ok:
            return {"id": object_id, "deleted": True}
        raise EventIgnored(f"Stripe has no {kind} {object_id}") from error


def event_object_from_stripe(
    event: dict, *, expand: list[str] | None = None, missing_ok: bool = False
) -> dict:
    """Return the object the event is about, read from Stripe by its id (see stripe_object_retrieve).

    Only the event's type and the object's id are taken from the event.
    """
    return stripe_object_retrieve(
        kind=event_object_kind(event["type"]),
        object_id=event["data"]["object"]["id"],
        expand=expand,
        missing_ok=missing_ok,
    )


def event_object_kind(event_type: str) -> str:
    """Return the kind of object an event type is about ("refund" for charge.refund.updated)."""
    prefix = max((p for p in _EVENT_OBJECT_KINDS if event_type.startswith(p)), key=len, default=None)
    if prefix is None:
        raise ValueError(f"no Stripe object is known for events of type {event_type!r}")
    return _EVENT_OBJECT_KINDS[prefix]

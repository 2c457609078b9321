"""What each Stripe event type changes: a mapping from event type to a small handler.

A handler takes the stored event (a dict, as Stripe sent it) and is idempotent. Of the event it
trusts only the type and the object's id: it reads the object from Stripe
(payments.stripe_objects.event_object_from_stripe) and acts on that. It raises
OrderNotReady when the event is about an order that is not in the state it needs yet (stored
later, or not paid yet), so the event fails and Stripe, or `manage.py retry_webhooks`, retries it.
It raises EventIgnored for an event no retry can fix (an object the shop did not create, or that
Stripe no longer has): the event is acknowledged and the reason recorded on it.
A backward status move raises InvalidStatusTransition: payments.services treats that event as
superseded by a later one.
"""

import logging
import re
import time
from datetime import UTC, datetime, timedelta

import stripe
from bson import ObjectId
from bson.errors import InvalidId

from accounts.models import User
from catalog.models import Price, Product
from orders.models import Order, PaymentStatus, RefundStatus
from orders.services import (
    order_apply_refunds,
    order_flag_for_staff,
    order_record_dispute,
    order_set_payment_status,
    refund_record_from_stripe,
)
from payments.bank_transfers import bank_transfer_instructions_email
from payments.catalog_sync import price_from_stripe, product_fields_from_stripe
from payments.confirmation import checkout_session_confirm
from payments.exceptions import EventIgnored, OrderNotReady
from payments.invoices import invoice_paid
from payments.refunds import refund_failure_message
from payments.stripe_client import stripe_client
from payments.stripe_objects import event_object_from_stripe
from payments.subscriptions import (
    customer_subscription_changed,
    customer_subscription_trial_will_end,
    invoice_payment_action_required,
    invoice_payment_failed,
    invoice_upcoming,
)

logger = logging.getLogger(__name__)

# The numbers payments.checkout gives its orders; another integration on the same Stripe account may
# put an order_number of its own in the metadata.
_CHECKOUT_ORDER_NUMBER = re.compile(r"ORD-[0-9A-F]{12}")
# Checkout stores its order as soon as Stripe answers the session create, in the same request, and
# the session, then its payment, charge and refunds, all exist only after that answer. An object
# older than this whose order is still not stored will never have it (another integration's, or a
# checkout whose request died before storing the order): Stripe would retry it for three days for
# nothing. Younger, the order may still be on its way, so the event fails and is retried.
ORDER_STORE_GRACE = timedelta(hours=1)
_WAITING_INTENT_STATUSES = {
    "requires_payment_method": PaymentStatus.REQUIRES_PAYMENT_METHOD,
    "requires_confirmation": PaymentStatus.REQUIRES_CONFIRMATION,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "canceled": PaymentStatus.CANCELED,
}
_REFUND_STATUSES = {
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELED,
}


# --- Checkout Sessions ---------------------------------------------------------------------


def checkout_session_changed(event: dict) -> None:
    """Apply the session's current state, as Stripe reports it now, to its order."""
    session = event_object_from_stripe(event)
    if not Order.objects.filter(stripe_checkout_session_id=session["id"]).exists():
        subject = f"Checkout Session {session['id']}"
        if session.get("status") == "expired":
            # Its order was never stored (Stripe answered after our timeout): nothing to undo.
            raise EventIgnored(f"{subject} expired without an order: nothing to undo")
        raise _order_missing((session.get("metadata") or {}).get("order_number"), session, subject)
    checkout_session_confirm(session_id=session["id"])


# --- Payment intents -----------------------------------------------------------------------


def payment_intent_changed(event: dict) -> None:
    """succeeded, payment_failed, requires_action, canceled: apply the intent's status as Stripe has it now.

    A succeeded intent confirms the order through its Checkout Session, the one place where orders
    become paid. While the shopper is still paying (a declined card, 3-D Secure) only the payment
    status moves: the session stays open for another attempt.
    """
    intent = event_object_from_stripe(event)
    order = _order_for_payment(intent["id"], intent.get("metadata") or {}, intent)
    # A bank transfer's instructions wait for the shopper's bank, not for 3-D Secure.
    if bank_transfer_instructions_email(intent=intent, order=order):
        return
    if intent["status"] == "succeeded":
        if order.stripe_checkout_session_id:
            checkout_session_confirm(session_id=order.stripe_checkout_session_id)
        return
    payment_status = _WAITING_INTENT_STATUSES.get(intent["status"])
    if payment_status is None:
        # Processing: the outcome's own event follows.
        return
    error = intent.get("last_payment_error") or {}
    note = f"Payment intent {intent['status']}"
    if error.get("message"):
        note = f"{note}: {error['message']}"
    order_set_payment_status(order=order, payment_status=payment_status, note=note[:255])


# --- Refunds -------------------------------------------------------------------------------


def charge_refunded(event: dict) -> None:
    """Record the charge's refunds as Stripe lists them now, then apply those that stand."""
    charge = event_object_from_stripe(event)
    order = _order_for_payment(charge.get("payment_intent"), charge.get("metadata") or None, charge)
    _require_paid(order)
    _charge_refunds_apply(order, charge_id=charge["id"])


def refund_changed(event: dict) -> None:
    """Record the refund, and its charge's others, as Stripe has them now; apply those that stand.

    A refund that failed or was canceled gave nothing back, even one reported succeeded before:
    it comes off the order's refunded amount, and staff are told why on the order.
    """
    refund = event_object_from_stripe(event)
    order = _order_for_payment(refund.get("payment_intent"), None, refund)
    _require_paid(order)
    if refund.get("charge"):
        _charge_refunds_apply(order, charge_id=refund["charge"])
    else:
        _refund_record(order, refund)
        order_apply_refunds(order=order, reason=refund.get("reason") or "")
    if refund.get("status") in ("failed", "canceled"):
        order_flag_for_staff(order=order, note=refund_failure_message(refund))


def _charge_refunds_apply(order: Order, *, charge_id: str) -> None:
    # A charge carries its refunds only when expanded (API 2022-11-15 on): ask for the Refunds.
    listed = stripe_client().v1.refunds.list(params={"charge": charge_id, "limit": 100})
    refunds = [refund.to_dict() for refund in listed.auto_paging_iter()]
    for refund in refunds:
        _refund_record(order, refund)
    order_apply_refunds(
        order=order,
        reason=next((refund["reason"] for refund in reversed(refunds) if refund.get("reason")), ""),
        stripe_charge_id=charge_id,
    )


def _refund_record(order: Order, refund: dict) -> None:
    refund_record_from_stripe(
        order=order,
        stripe_refund_id=refund["id"],
        amount=refund["amount"],
        currency=refund["currency"],
        status=_REFUND_STATUSES.get(refund.get("status"), RefundStatus.PENDING),
        reason=refund.get("reason") or "",
        refund_id=_object_id((refund.get("metadata") or {}).get("refund_id")),
        failure=refund_failure_message(refund) if refund.get("status") in ("failed", "canceled") else "",
    )


def _require_paid(order: Order) -> None:
    if order.payment_status not in Order.PAID_LIKE_STATUSES:
        raise OrderNotReady(f"Order {order.number} is not paid yet; its refund is applied once it is.")


# --- Disputes ------------------------------------------------------------------------------


def charge_dispute_changed(event: dict) -> None:
    """Record the dispute on its order as Stripe has it now (opened, updated, funds withdrawn or
    reinstated, decided): read again, a late charge.dispute.created cannot reopen a closed one."""
    dispute = event_object_from_stripe(event)
    order = _order_for_payment(dispute.get("payment_intent"), None, dispute)
    due_by = (dispute.get("evidence_details") or {}).get("due_by")
    order_record_dispute(
        order=order,
        stripe_dispute_id=dispute["id"],
        status=dispute["status"],
        amount=dispute["amount"],
        currency=dispute["currency"],
        reason=dispute.get("reason") or "",
        due_by=datetime.fromtimestamp(due_by, UTC) if isinstance(due_by, int) else None,
        withdrawn=_dispute_withdrawn(dispute),
    )


def _dispute_withdrawn(dispute: dict) -> int:
    """Return how much of the payment the cardholder's bank holds now: all of it once the dispute is
    lost, else what its balance transactions withdrew and did not reinstate."""
    if dispute["status"] == "lost":
        return dispute["amount"]
    moved = sum(
        transaction.get("amount") or 0
        for transaction in dispute.get("balance_transactions") or []
        if isinstance(transaction, dict)
    )
    return max(-moved, 0)


# --- Customers -----------------------------------------------------------------------------


def customer_changed(event: dict) -> None:
    """Link the customer to the user named in its metadata at Stripe, unless that user has one already."""
    customer = event_object_from_stripe(event)
    if customer.get("deleted"):
        raise EventIgnored(f"Stripe has deleted customer {customer['id']}")
    user_id = _object_id((customer.get("metadata") or {}).get("user_id"))
    if user_id is None:
        return
    linked = User.objects.filter(pk=user_id, stripe_customer_id__isnull=True).update(
        stripe_customer_id=customer["id"]
    )
    if linked:
        logger.info("user %s linked to Stripe customer %s", user_id, customer["id"])


def customer_deleted(event: dict) -> None:
    """Forget a customer Stripe says is deleted: the next checkout creates a new one."""
    customer = event_object_from_stripe(event)
    if not customer.get("deleted"):
        raise EventIgnored(f"Stripe still has customer {customer['id']}: not deleted")
    User.objects.filter(stripe_customer_id=customer["id"]).update(stripe_customer_id=None)


# --- Catalog -------------------------------------------------------------------------------


def product_changed(event: dict) -> None:
    """Copy the product's current name, description and state from Stripe onto ours (not images)."""
    current = event_object_from_stripe(event)
    product = _catalog_row(Product, "stripe_product_id", current, "product_id")
    if product is None:
        # The webhook never adds products (`manage.py sync_stripe` does).
        raise EventIgnored(f"product {current['id']} is not in the catalog")
    _catalog_update(product, product_fields_from_stripe(current))


def product_deleted(event: dict) -> None:
    """Take off sale a product Stripe no longer has, or no longer sells."""
    current = event_object_from_stripe(event, missing_ok=True)
    if current.get("active"):
        raise EventIgnored(f"Stripe still has product {current['id']} on sale: not deleted")
    Product.objects.filter(stripe_product_id=current["id"]).update(active=False)


def price_changed(event: dict) -> None:
    """Copy the price's current state and nickname; add a price Stripe has for one of our products."""
    current = event_object_from_stripe(event)
    stripe_id = current["id"]
    price = _catalog_row(Price, "stripe_price_id", current, "price_id")
    if price is not None:
        _catalog_update(price, {"active": current["active"], "nickname": current.get("nickname") or ""})
        return
    if not current["active"] or (current.get("metadata") or {}).get("price_id"):
        # An archived price, or one an amount change in admin replaced: nothing to sell.
        raise EventIgnored(f"price {stripe_id} is archived or was replaced by the shop; not added")
    product = Product.objects.filter(stripe_product_id=current["product"]).first()
    if product is None:
        raise EventIgnored(f"price {stripe_id} is for product {current['product']}, not in the catalog")
    price = price_from_stripe(current, product=product)
    if price is None:
        raise EventIgnored(
            f"price {stripe_id} is not a fixed per-unit amount with an interval the catalog knows"
        )
    price.full_clean(validate_unique=False, validate_constraints=False)
    price.save()


def price_deleted(event: dict) -> None:
    """Take off sale a price Stripe no longer has, or has archived."""
    current = event_object_from_stripe(event, missing_ok=True)
    if current.get("active"):
        raise EventIgnored(f"Stripe still has price {current['id']} active: not deleted")
    Price.objects.filter(stripe_price_id=current["id"]).update(active=False)


def _catalog_update(row, changes: dict) -> None:
    # Rows Stripe merely echoes back (our own creations) are not rewritten.
    changes = {name: value for name, value in changes.items() if getattr(row, name) != value}
    if changes:
        type(row).objects.filter(pk=row.pk).update(**changes)


def _catalog_row(model, field: str, stripe_object: dict, metadata_key: str):
    """Return our row for a Stripe product or price (as read from Stripe): by its Stripe id, or by
    our id in its metadata (the event of an object we just created can arrive before its id is saved)."""
    stripe_id = stripe_object["id"]
    row = model.objects.filter(**{field: stripe_id}).first()
    if row is not None:
        return row
    pk = _object_id((stripe_object.get("metadata") or {}).get(metadata_key))
    if pk is None:
        return None
    if model.objects.filter(pk=pk, **{f"{field}__isnull": True}).update(**{field: stripe_id}):
        return model.objects.get(pk=pk)
    return None


# --- Finding the order of a payment --------------------------------------------------------


def _order_for_payment(intent_id: str | None, metadata: dict | None, stripe_object: dict) -> Order:
    """Return the order paid by this payment intent: by its id, else by the order number the shop
    put in the intent's metadata (None: not known, ask Stripe). `stripe_object` is the event's
    object as read from Stripe (intent, charge, refund or dispute). Raise EventIgnored or
    OrderNotReady (_order_missing) when no order of this shop is stored for it."""
    if intent_id:
        order = Order.objects.filter(stripe_payment_intent_id=intent_id).first()
        if order is not None:
            return order
    if metadata is None and intent_id:
        # Refunds carry their own metadata, not the payment's: ask Stripe for the intent's.
        try:
            metadata = stripe_client().v1.payment_intents.retrieve(intent_id).metadata.to_dict()
        except stripe.InvalidRequestError as error:
            if error.code != "resource_missing":
                raise
            raise EventIgnored(f"Stripe has no payment intent {intent_id}") from error
    number = (metadata or {}).get("order_number")
    order = Order.objects.filter(number=number).first() if number else None
    if order is None:
        subject = (
            f"payment {intent_id}" if intent_id else f"{stripe_object.get('object')} {stripe_object['id']}"
        )
        raise _order_missing(number, stripe_object, subject)
    return order


def _order_missing(number: str | None, stripe_object: dict, subject: str) -> Exception:
    """Return the error for an event whose order is not stored: EventIgnored when the order is not
    this shop's or can no longer come (ORDER_STORE_GRACE), OrderNotReady while it may."""
    if not number:
        return EventIgnored(f"{subject} belongs to no order of this shop (no order number in its metadata)")
    if not _CHECKOUT_ORDER_NUMBER.fullmatch(number):
        return EventIgnored(f"{subject} names order {number!r}, not a number this shop gives")
    created = stripe_object.get("created")
    if isinstance(created, int) and time.time() - created > ORDER_STORE_GRACE.total_seconds():
        return EventIgnored(
            f"{subject} names order {number}, still not stored {ORDER_STORE_GRACE} after it was created"
        )
    return OrderNotReady(f"Order {number} of {subject} is not stored yet.")


def _object_id(value) -> ObjectId | None:
    try:
        return ObjectId(value) if value else None
    except (InvalidId, TypeError):
        return None


WEBHOOK_HANDLERS = {
    "checkout.session.completed": checkout_session_changed,
    "checkout.session.async_payment_succeeded": checkout_session_changed,
    "checkout.session.async_payment_failed": checkout_session_changed,
    "checkout.session.expired": checkout_session_changed,
    "payment_intent.succeeded": payment_intent_changed,
    "payment_intent.payment_failed": payment_intent_changed,
    "payment_intent.requires_action": payment_intent_changed,
    "payment_intent.canceled": payment_intent_changed,
    "charge.refunded": charge_refunded,
    "refund.created": refund_changed,
    "refund.updated": refund_changed,
    "refund.failed": refund_changed,
    "charge.refund.updated": refund_changed,
    "charge.dispute.created": charge_dispute_changed,
    "charge.dispute.updated": charge_dispute_changed,
    "charge.dispute.closed": charge_dispute_changed,
    "charge.dispute.funds_withdrawn": charge_dispute_changed,
    "charge.dispute.funds_reinstated": charge_dispute_changed,
    "customer.created": customer_changed,
    "customer.updated": customer_changed,
    "customer.deleted": customer_deleted,
    "product.created": product_changed,
    "product.updated": product_changed,
    "product.deleted": product_deleted,
    "price.created": price_changed,
    "price.updated": price_changed,
    "price.deleted": price_deleted,
    # Subscription invoices (payments/invoices.py).
    "invoice.paid": invoice_paid,
    # Subscriptions (payments.subscriptions): each re-reads the subscription from Stripe.
    "customer.subscription.created": customer_subscription_changed,
    "customer.subscription.updated": customer_subscription_changed,
    "customer.subscription.deleted": customer_subscription_changed,
    "customer.subscription.paused": customer_subscription_changed,
    "customer.subscription.resumed": customer_subscription_changed,
    "customer.subscription.trial_will_end": customer_subscription_trial_will_end,
    "invoice.payment_failed": invoice_payment_failed,
    "invoice.payment_action_required": invoice_payment_action_required,
    "invoice.upcoming": invoice_upcoming,
}

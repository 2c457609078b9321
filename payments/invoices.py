"""Subscription invoices: a paid renewal becomes an order to ship; a first invoice belongs to its checkout.

Handlers re-read the invoice from Stripe (payments.stripe_objects) rather than trusting the event's
copy. A subscription's first invoice (`subscription_create`) is paid within its Checkout Session,
whose order records that payment (payments.confirmation). Every later paid invoice of a period
(`subscription_cycle`) is a renewal: a new PAID order, shipped like any other, created once however
often Stripe delivers it, to the subscription's delivery address. A plan change charged at once
(`subscription_update`) is an order of its own, a plan change, of the prorated lines, which staff can
refund like any order. Credit for unused time (a plan change's, or the balance one left) is a credit
line in Stripe's words, not a discount.
An invoice of 0 (a trial's, or one a coupon paid in full) makes no order: nothing was charged.
"""

import logging
from datetime import UTC, datetime
from decimal import Decimal

from catalog.models import Price
from inventory.services import stock_take_for_renewal
from orders.models import Order
from orders.services import RenewalCredit, RenewalInvoice, RenewalLine, order_create_for_renewal
from payments.exceptions import EventIgnored, OrderNotReady
from payments.stripe_client import stripe_client
from payments.stripe_objects import event_object_from_stripe
from payments.subscriptions import invoice_subscription_id, subscription_sync
from subscriptions.models import Subscription

logger = logging.getLogger(__name__)


def invoice_paid(event: dict) -> None:
    """Make the renewal order of a paid subscription invoice, once, and bring its subscription's
    record up to date (a retry that was paid makes a past-due subscription active again)."""
    # Read at the pinned API version, whatever version the event was rendered in.
    invoice = event_object_from_stripe(event)
    subscription_sync(stripe_subscription_id=invoice_subscription_id(invoice))
    _renewal_order_ensure(invoice_id=invoice["id"])


def _renewal_order_ensure(*, invoice_id: str) -> None:
    if Order.objects.filter(stripe_invoice_id=invoice_id).exists():
        # A repeated delivery, or a checkout's first invoice already on its order: nothing to ask Stripe.
        return
    invoice = stripe_client().v1.invoices.retrieve(invoice_id)
    subject = f"invoice {invoice.id}"
    if invoice.billing_reason == "subscription_create":
        logger.info("%s is the first of its subscription: its checkout's order records it", subject)
        return
    if invoice.billing_reason not in ("subscription_cycle", "subscription_update"):
        raise EventIgnored(f"{subject} ({invoice.billing_reason}) is no subscription renewal")
    if invoice.status != "paid" or not invoice.amount_paid:
        raise EventIgnored(f"{subject} charged nothing ({invoice.status}, {invoice.amount_paid} paid)")
    details = invoice.parent.subscription_details if invoice.parent else None
    if details is None:
        raise EventIgnored(f"{subject} belongs to no subscription")
    first_order = _first_order(details, subject)
    lines = list(invoice.lines.auto_paging_iter())
    credits = [
        RenewalCredit(description=line.description or "Credit", amount=-line.amount)
        for line in lines
        if line.amount < 0
    ]
    # Credit an earlier change left on the customer's balance is no line of this invoice: Stripe's
    # invoice names it "Applied balance".
    if invoice.starting_balance and invoice.starting_balance < 0:
        credits.append(RenewalCredit(description="Applied balance", amount=-invoice.starting_balance))
    charged = [line for line in lines if line.amount > 0]
    subscription = Subscription.objects.filter(stripe_subscription_id=details.subscription).first()
    renewal_lines = [_renewal_line(line) for line in charged]
    renewal, _ = order_create_for_renewal(
        first_order=first_order,
        invoice=RenewalInvoice(
            stripe_invoice_id=invoice.id,
            stripe_payment_intent_id=invoice_payment_intent_id(invoice_id=invoice.id),
            stripe_customer_id=invoice.customer,
            stripe_subscription_id=details.subscription,
            currency=invoice.currency,
            amount_subtotal=sum(line.amount for line in charged),
            amount_discount=sum(amount.amount for amount in invoice.total_discount_amounts or []),
            amount_tax=sum(tax.amount for tax in invoice.total_taxes or []),
            amount_total=invoice.amount_paid,
            paid_at=datetime.fromtimestamp(invoice.status_transitions.paid_at or invoice.created, UTC),
            lines=renewal_lines,
            billing_reason=invoice.billing_reason,
            credits=credits,
            shipping_name=subscription.shipping_name if subscription else "",
            shipping_address=subscription.shipping_address if subscription else {},
            ships=_renewal_ships(charged, renewal_lines),
        ),
    )
    # Again on a repeat: taking stock is idempotent, and completes a run cut short.
    stock_take_for_renewal(order=renewal)


def invoice_payment_intent_id(*, invoice_id: str) -> str | None:
    """Return the payment intent that paid the invoice, or None (nothing charged, or paid off Stripe)."""
    payments = stripe_client().v1.invoice_payments.list({"invoice": invoice_id, "limit": 100})
    for payment in payments.auto_paging_iter():
        if payment.status == "paid" and payment.payment.type == "payment_intent":
            intent = payment.payment.payment_intent
            return intent if isinstance(intent, str) else intent.id
    return None


def _first_order(details, subject: str) -> Order:
    """Return the checkout order that started the subscription: by the subscription, or by the
    order number the checkout put in the subscription's metadata (its webhook may not have run)."""
    orders = Order.objects.filter(stripe_checkout_session_id__isnull=False)
    order = orders.filter(stripe_subscription_id=details.subscription).first()
    number = details.metadata.to_dict().get("order_number") if details.metadata else None
    if order is None and number:
        order = orders.filter(number=number).first()
    if order is None:
        # Its checkout stored the order before the subscription existed: it will not come now.
        raise EventIgnored(f"{subject} renews subscription {details.subscription}, of no order of this shop")
    if order.payment_status not in Order.PAID_LIKE_STATUSES:
        raise OrderNotReady(f"Order {order.number} is not paid yet; its renewal {subject} waits for it.")
    return order


def _renewal_ships(charged: list, renewal_lines: list[RenewalLine]) -> bool:
    """Whether goods ship for a renewal: not for the rest of a period at a new plan (the renewals
    ship the plan), nor for digital goods and services only. A price the catalog does not know ships."""
    return any(
        not _is_proration(line) and (renewal.product is None or renewal.product.requires_shipping)
        for line, renewal in zip(charged, renewal_lines, strict=True)
    )


def _renewal_line(line) -> RenewalLine:
    price_id = line.pricing.price_details.price if line.pricing and line.pricing.price_details else ""
    price = (
        Price.objects.filter(stripe_price_id=price_id).select_related("product", "variant").first()
        if price_id
        else None
    )
    quantity = line.quantity or 1
    unit_amount = line.pricing.unit_amount_decimal if line.pricing else None
    if _is_proration(line):
        # The rest of a period at a new plan: its price is the prorated amount, named as Stripe words it.
        return _proration_line(line, price, price_id)
    if price is not None:
        name, interval, count = price.product.name, price.recurring_interval, price.recurring_interval_count
    else:
        # A price the catalog does not know (made in the Stripe dashboard): Stripe's terms and name.
        stripe_price = stripe_client().v1.prices.retrieve(price_id, {"expand": ["product"]})
        name = stripe_price.product.name
        interval = stripe_price.recurring.interval
        count = stripe_price.recurring.interval_count
    return RenewalLine(
        product_name=name,
        unit_amount=int(Decimal(unit_amount)) if unit_amount is not None else line.amount // quantity,
        quantity=quantity,
        amount_total=line.amount,
        recurring_interval=interval,
        recurring_interval_count=count,
        stripe_price_id=price_id,
        variant_name=_variant_name(price),
        price=price,
        product=price.product if price is not None else None,
    )


def _variant_name(price: Price | None) -> str:
    """Return the options of the variant `price` sells, as the order keeps them ("" for none)."""
    return price.variant.label if price is not None and price.variant_id else ""


def _is_proration(line) -> bool:
    details = line.parent.subscription_item_details if line.parent else None
    return details is not None and bool(details.proration)


def _proration_line(line, price: Price | None, price_id: str) -> RenewalLine:
    return RenewalLine(
        product_name=line.description[:200],
        unit_amount=line.amount,
        quantity=1,
        amount_total=line.amount,
        recurring_interval=price.recurring_interval if price is not None else "",
        recurring_interval_count=price.recurring_interval_count if price is not None else 1,
        stripe_price_id=price_id,
        variant_name=_variant_name(price),
        price=price,
        product=price.product if price is not None else None,
    )

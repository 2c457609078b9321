"""Payment-driven writes to orders: creation at checkout and what Stripe's answers change.

Every status move goes through Order.set_status, so a repeated event changes nothing and a late
one cannot move a status backwards (it raises InvalidStatusTransition, which callers treat as
superseded). Amounts, addresses and the customer's email come from Stripe once it has answered.
Each function is a short run of idempotent, conditional single-document writes: run again (by a
retried webhook, or the next visit of the success page), it completes what a first run left.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from allauth.account.models import EmailAddress
from django.db import IntegrityError
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from cart.models import Cart, CartItem
from cart.selectors import OneTimeShipping, RecurringShipping
from cart.services import cart_submit, cart_thaw
from catalog.billing import BillingLine, checkout_trial_days, payment_schedule
from catalog.models import Price, PriceType, Product
from orders.emails import order_confirmation_send, refund_email_send
from orders.exceptions import InvalidStatusTransition
from orders.models import (
    BILLING_REASON_KEY,
    CREDITS_KEY,
    DISPUTE_KEY,
    NOTHING_TO_SHIP_KEY,
    STAFF_ATTENTION_KEY,
    FulfillmentStatus,
    Order,
    OrderItem,
    OrderStatus,
    OrderStatusChange,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from shop.mail import mail_key_kept
from shop.money import format_money
from shop.transactions import run_retrying

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentDetails:
    """What Stripe reports about a completed checkout; its figures replace those of our cart."""

    currency: str
    amount_subtotal: int
    amount_discount: int
    amount_tax: int
    amount_shipping: int
    amount_total: int
    shipping_rate_name: str = ""
    customer_email: str = ""
    customer_name: str = ""
    billing_address: dict = field(default_factory=dict)
    shipping_name: str = ""
    shipping_address: dict = field(default_factory=dict)
    stripe_payment_intent_id: str | None = None
    # A subscription checkout's first invoice, whose payment the order records.
    stripe_invoice_id: str | None = None
    stripe_customer_id: str = ""
    stripe_subscription_id: str = ""
    discount_code: str = ""
    # Stripe price id -> (unit amount, line total) as Stripe charged them.
    line_amounts: dict = field(default_factory=dict)

    def order_fields(self, order: Order) -> dict:
        """Return the Order fields to write, keeping what we know where Stripe says nothing."""
        fields = {
            "currency": self.currency,
            "amount_subtotal": self.amount_subtotal,
            "amount_discount": self.amount_discount,
            "amount_tax": self.amount_tax,
            "amount_shipping": self.amount_shipping,
            "shipping_rate_name": self.shipping_rate_name or order.shipping_rate_name,
            "amount_total": self.amount_total,
            "customer_email": self.customer_email or order.customer_email,
            "customer_name": self.customer_name or order.customer_name,
            "billing_address": self.billing_address or order.billing_address,
            "shipping_name": self.shipping_name or order.shipping_name,
            "shipping_address": self.shipping_address or order.shipping_address,
            "stripe_customer_id": self.stripe_customer_id or order.stripe_customer_id,
            "stripe_subscription_id": self.stripe_subscription_id or order.stripe_subscription_id,
            "discount_code": self.discount_code or order.discount_code,
        }
        if self.stripe_payment_intent_id:
            fields["stripe_payment_intent_id"] = self.stripe_payment_intent_id
        if self.stripe_invoice_id:
            fields["stripe_invoice_id"] = self.stripe_invoice_id
        return fields


@dataclass(frozen=True)
class RenewalLine:
    """A line of a paid renewal invoice, as Stripe charged it."""

    product_name: str
    unit_amount: int
    quantity: int
    amount_total: int
    recurring_interval: str
    recurring_interval_count: int
    stripe_price_id: str = ""
    # The options of the variant the price sells ("M, Black"); empty for a product's one item.
    variant_name: str = ""
    price: Price | None = None
    product: Product | None = None


@dataclass(frozen=True)
class RenewalCredit:
    """Credit for unused time on a renewal invoice, in Stripe's words."""

    description: str
    amount: int


@dataclass(frozen=True)
class RenewalInvoice:
    """A subscription's paid renewal invoice, as Stripe reports it."""

    stripe_invoice_id: str
    stripe_payment_intent_id: str | None
    stripe_customer_id: str
    stripe_subscription_id: str
    currency: str
    amount_subtotal: int
    amount_discount: int
    amount_tax: int
    amount_total: int
    paid_at: datetime
    lines: list[RenewalLine]
    # Stripe's billing_reason: subscription_update when a plan change was charged at once.
    billing_reason: str = "subscription_cycle"
    credits: list[RenewalCredit] = field(default_factory=list)
    # Where the subscriber asked renewals to ship; empty: where the first order shipped.
    shipping_name: str = ""
    shipping_address: dict = field(default_factory=dict)
    # False when the invoice charged only prorations (a plan change's rest of a period): nothing ships.
    ships: bool = True


def order_create_from_cart(
    *,
    cart: Cart,
    lines: list[CartItem],
    number: str,
    user,
    checkout_session_id: str,
    stripe_customer_id: str = "",
    recurring_shipping: RecurringShipping | None = None,
    one_time_shipping: OneTimeShipping | None = None,
) -> tuple[Order, bool]:
    """Create the PENDING order of a Checkout Session, with a snapshot of every line.

    `lines` are cart items with `price`, `product` and `variant` loaded (cart.selectors.cart_lines)
    and already checked for sale;
    `recurring_shipping`, a subscription's shipping, and `one_time_shipping`, the shipping of
    one-time goods beside a subscription, become lines of their own, as on Stripe's invoices.
    Return (order, created): a concurrent checkout of the same cart that created the same session
    first wins the unique index on the session id, and its order is returned.
    """
    currency = lines[0].price.currency
    billing_lines = [BillingLine.of_price(line.price, line.quantity) for line in lines]
    trial_days = checkout_trial_days(billing_lines)
    if recurring_shipping is not None:
        billing_lines.append(recurring_shipping.billing_line(trial_period_days=trial_days))
    if one_time_shipping is not None:
        billing_lines.append(one_time_shipping.billing_line())
    subtotal = sum(line.amount for line in billing_lines)
    # Like Stripe's first invoice: recurring lines under a trial are not due today.
    schedule = payment_schedule(billing_lines, start=timezone.localdate())
    order = Order(
        number=number,
        user=user,
        cart=cart,
        customer_email=user.email if user else "",
        customer_name=user.name if user else "",
        currency=currency,
        amount_subtotal=subtotal,
        amount_total=schedule.due_today,
        stripe_checkout_session_id=checkout_session_id,
        stripe_customer_id=stripe_customer_id,
        # Digital goods and services only: paid is done, and staff never find it among the orders to ship.
        metadata={} if any(line.product.requires_shipping for line in lines) else {NOTHING_TO_SHIP_KEY: True},
    )
    items = [
        OrderItem(
            product=line.product,
            price=line.price,
            product_name=line.product.name,
            # A snapshot: the order reads the same when staff later rename or delete the variant.
            variant_name=line.variant.label if line.variant else "",
            unit_amount=line.price.unit_amount,
            currency=line.price.currency,
            quantity=line.quantity,
            price_type=line.price.type,
            recurring_interval=line.price.recurring_interval,
            recurring_interval_count=line.price.recurring_interval_count,
            trial_period_days=schedule.trial_days if line.price.is_recurring else None,
            stripe_price_id=line.price.stripe_price_id or "",
            amount_total=line.price.unit_amount * line.quantity,
        )
        for line in lines
    ]
    if recurring_shipping is not None:
        items.append(
            _shipping_item(
                recurring_shipping.rate,
                price_type=PriceType.RECURRING,
                recurring_interval=recurring_shipping.interval,
                recurring_interval_count=recurring_shipping.interval_count,
                trial_period_days=schedule.trial_days,
            )
        )
    if one_time_shipping is not None:
        items.append(_shipping_item(one_time_shipping.rate, price_type=PriceType.ONE_TIME))
    return _order_insert_once(order, items, twin={"stripe_checkout_session_id": checkout_session_id})


def _shipping_item(rate, **billing) -> OrderItem:
    """The order line of a shipping rate a subscription checkout charges as a line of its own."""
    return OrderItem(
        product_name=f"Shipping: {rate.display_name}",
        unit_amount=rate.amount,
        currency=rate.currency,
        quantity=1,
        amount_total=rate.amount,
        **billing,
    )


def order_create_for_renewal(*, first_order: Order, invoice: RenewalInvoice) -> tuple[Order, bool]:
    """Create the PAID, UNFULFILLED order of a subscription's paid renewal invoice.

    The customer and their addresses come from `first_order`, the checkout that started the
    subscription; the lines, amounts and Stripe ids from the invoice. An invoice that ships nothing
    makes a COMPLETED order marked so (NOTHING_TO_SHIP_KEY): it never waits for fulfilment. Return
    (order, created): the unique index on the invoice id lets one of any number of deliveries
    create it, and the others get it. Every delivery asks for the receipt (a delivery whose email
    failed is retried); its key sends it once.
    """
    existing = Order.objects.filter(stripe_invoice_id=invoice.stripe_invoice_id).first()
    if existing is not None:
        _order_confirmation_owed(existing)
        return existing, False
    paid = {
        # Nothing to ship: paid is done.
        "status": OrderStatus.PROCESSING if invoice.ships else OrderStatus.COMPLETED,
        "payment_status": PaymentStatus.PAID,
    }
    metadata = {BILLING_REASON_KEY: invoice.billing_reason}
    if not invoice.ships:
        metadata[NOTHING_TO_SHIP_KEY] = True
    if invoice.credits:
        metadata[CREDITS_KEY] = [{"description": c.description, "amount": c.amount} for c in invoice.credits]
    order = Order(
        # The same number whoever creates it, so a twin also loses on the unique number.
        number=renewal_order_number(invoice.stripe_invoice_id),
        user=first_order.user,
        customer_email=first_order.customer_email,
        customer_name=first_order.customer_name,
        **paid,
        fulfillment_status=FulfillmentStatus.UNFULFILLED,
        currency=invoice.currency,
        amount_subtotal=invoice.amount_subtotal,
        amount_discount=invoice.amount_discount,
        amount_tax=invoice.amount_tax,
        amount_total=invoice.amount_total,
        stripe_invoice_id=invoice.stripe_invoice_id,
        stripe_payment_intent_id=invoice.stripe_payment_intent_id,
        stripe_customer_id=invoice.stripe_customer_id,
        stripe_subscription_id=invoice.stripe_subscription_id,
        renewal_of=first_order,
        billing_address=first_order.billing_address,
        shipping_name=invoice.shipping_name if invoice.shipping_address else first_order.shipping_name,
        shipping_address=invoice.shipping_address or first_order.shipping_address,
        paid_at=invoice.paid_at,
        metadata=metadata,
    )
    items = [
        OrderItem(
            product=line.product,
            price=line.price,
            product_name=line.product_name,
            variant_name=line.variant_name,
            unit_amount=line.unit_amount,
            currency=invoice.currency,
            quantity=line.quantity,
            price_type=PriceType.RECURRING,
            recurring_interval=line.recurring_interval,
            recurring_interval_count=line.recurring_interval_count,
            stripe_price_id=line.stripe_price_id,
            amount_total=line.amount_total,
        )
        for line in invoice.lines
    ]
    note = f"Paid: renewal invoice {invoice.stripe_invoice_id} of {first_order.number}"
    history = [
        OrderStatusChange(
            field=name, old_status=Order._meta.get_field(name).default, new_status=value, note=note
        )
        for name, value in paid.items()
    ]
    order, created = _order_insert_once(
        order, items, history=history, twin={"stripe_invoice_id": invoice.stripe_invoice_id}
    )
    if created:
        logger.info(
            "order %s: renewal of %s, invoice %s", order.number, first_order.number, invoice.stripe_invoice_id
        )
    _order_confirmation_owed(order)
    return order, created


def _order_insert_once(
    order: Order, items: list[OrderItem], *, twin: dict, history: list[OrderStatusChange] = ()
) -> tuple[Order, bool]:
    """Insert `order` with its `items` and status `history`; return (order, True).

    When a concurrent twin won the unique indexes first, return (the stored twin, found by the
    `twin` lookup, False). If the items cannot be stored, the order is removed again.
    """
    order.full_clean(validate_unique=False, validate_constraints=False)
    try:
        # Not in a transaction: the unique indexes must see a concurrent twin at once.
        order.save(force_insert=True)
    except IntegrityError:
        existing = Order.objects.filter(**twin).first()
        if existing is None:
            raise
        return existing, False
    try:
        for item in items:
            item.order = order
            item.full_clean(exclude=["order"], validate_unique=False, validate_constraints=False)
        OrderItem.objects.bulk_create(items)
        for change in history:
            change.order = order
        if history:
            OrderStatusChange.objects.bulk_create(history)
    except Exception:
        order.delete()
        raise
    return order, True


def renewal_order_number(stripe_invoice_id: str) -> str:
    """Return the number of the renewal order of an invoice: the same for every delivery of it."""
    return "ORD-" + hashlib.sha256(f"renewal|{stripe_invoice_id}".encode()).hexdigest()[:12].upper()


def order_mark_paid(*, order: Order, details: PaymentDetails, note: str) -> bool:
    """Record a payment Stripe has confirmed: payment PAID, order PROCESSING (COMPLETED when nothing
    ships for it), cart CHECKED_OUT.

    Stripe's amounts, addresses and ids are written with the payment status. Every run on a paid
    order asks for the confirmation email, so a run whose email failed (and raised) is completed by
    the next; its key sends it once. Return False if the payment was already recorded.
    """
    newly_paid = False

    def mark_paid():
        nonlocal newly_paid
        if order.payment_status not in Order.PAID_LIKE_STATUSES:
            # Both moves are checked before either is written: a cancelled or failed order, or a
            # payment recorded cancelled, refuses the payment before the order moves.
            _require_moves(order, status=OrderStatus.PROCESSING, payment_status=PaymentStatus.PAID)
            if order.status != OrderStatus.PROCESSING:
                order.set_status("status", OrderStatus.PROCESSING, note=note)
            newly_paid = order.set_status(
                "payment_status",
                PaymentStatus.PAID,
                note=note,
                paid_at=timezone.now(),
                **details.order_fields(order),
            )
        # These repeat harmlessly, so a run cut short is completed by the next one.
        if not order.needs_fulfilment and order.status == OrderStatus.PROCESSING:
            order.set_status("status", OrderStatus.COMPLETED, note="Paid; nothing to ship")
        _items_apply_stripe_amounts(order=order, line_amounts=details.line_amounts)
        cart_submit(cart_id=order.cart_id, checkout_session_id=order.stripe_checkout_session_id)
        _order_attach_to_address_owner(order)
        _order_name_its_customer(order)

    try:
        _run_steps(order, mark_paid)
    except InvalidStatusTransition as error:
        error.staff_note = _order_flag_paid_after_it_ended(order, details)
        raise
    _order_confirmation_owed(order)
    return newly_paid


def _order_confirmation_owed(order: Order) -> None:
    # Asked by every run, not only the one that paid it: that one may have failed before the email
    # was queued. Within the key's lifetime, so the ask never sends it twice.
    if order.payment_status in Order.PAID_LIKE_STATUSES and mail_key_kept(since=order.paid_at):
        order_confirmation_send(order_id=order.pk)


# How a payment that ended unpaid reads in a note for staff.
_ENDED_PAYMENT_WORDS = {PaymentStatus.CANCELED: "cancelled", PaymentStatus.FAILED: "marked failed"}


def _order_flag_paid_after_it_ended(order: Order, details: PaymentDetails) -> str:
    """Stripe took money for an order whose payment had already ended unpaid: its statuses cannot
    move back, so staff must refund the money or fulfil the order themselves. Return the note they
    got ("" when the payment had not ended unpaid)."""
    ended = _ENDED_PAYMENT_WORDS.get(order.payment_status)
    if ended is None:
        return ""
    taken = format_money(details.amount_total, details.currency)
    payment = details.stripe_payment_intent_id or details.stripe_invoice_id or "unknown"
    note = (
        f"Paid after its payment was {ended}: Stripe took {taken} (payment {payment}), but the "
        f"order stays {order.get_status_display().lower()}. Refund it in Stripe's dashboard, or contact "
        "the customer and fulfil it by hand."
    )
    logger.error("order %s: %s", order.number, note)
    order_flag_for_staff(order=order, note=note)
    return note


def _order_name_its_customer(order: Order) -> None:
    # A member who never gave their name gets the one they paid with; a name they chose stays.
    name = (order.customer_name or order.shipping_name).strip()[: User._meta.get_field("name").max_length]
    if order.user_id and name:
        User.objects.filter(pk=order.user_id, name="").update(name=name)


def order_record_checkout(*, order: Order, details: PaymentDetails) -> bool:
    """Record a checkout completed with a payment still settling (a bank debit): Stripe's figures and
    the payment intent are saved and the cart is checked out; the statuses wait for the outcome.

    Return False when the order has moved on (already paid, failed or cancelled).
    """

    def record():
        if order.status != OrderStatus.PENDING or order.payment_status in Order.PAID_LIKE_STATUSES:
            return False
        fields = details.order_fields(order)
        updated = Order.objects.filter(pk=order.pk, status=OrderStatus.PENDING).update(
            **fields, updated_at=timezone.now()
        )
        if not updated:
            return False
        for name, value in fields.items():
            setattr(order, name, value)
        _items_apply_stripe_amounts(order=order, line_amounts=details.line_amounts)
        cart_submit(cart_id=order.cart_id, checkout_session_id=order.stripe_checkout_session_id)
        return True

    return _run_steps(order, record)


def order_mark_payment_failed(*, order: Order, note: str) -> bool:
    """Record a payment that failed for good (a bank debit that bounced): payment and order FAILED."""

    def mark_failed():
        _require_moves(order, payment_status=PaymentStatus.FAILED, status=OrderStatus.FAILED)
        changed = order.set_status("payment_status", PaymentStatus.FAILED, note=note)
        return order.set_status("status", OrderStatus.FAILED, note=note) or changed

    return _run_steps(order, mark_failed)


def order_set_payment_status(*, order: Order, payment_status: str, note: str) -> bool:
    """Move the payment status while the shopper is still paying (declined card, 3-D Secure, ...).

    The order itself stays PENDING: the Checkout Session is still open for another attempt.
    """
    return _run_steps(order, lambda: order.set_status("payment_status", payment_status, note=note))


def order_cancel(*, order: Order, note: str) -> bool:
    """Cancel an unpaid order whose checkout ended (expired or abandoned) and unlock its cart."""

    def cancel():
        _require_moves(order, status=OrderStatus.CANCELLED, payment_status=PaymentStatus.CANCELED)
        changed = order.set_status("status", OrderStatus.CANCELLED, note=note)
        changed = order.set_status("payment_status", PaymentStatus.CANCELED, note=note) or changed
        cart_thaw(cart_id=order.cart_id, checkout_session_id=order.stripe_checkout_session_id)
        return changed

    return _run_steps(order, cancel)


def order_apply_refunds(*, order: Order, reason: str = "", stripe_charge_id: str = "") -> bool:
    """Make the order's refunded amount the sum of its refunds that stand now, and its statuses follow.

    A refund stands once Stripe reports it SUCCEEDED; one that failed or was canceled since comes
    off again, and the payment moves back (REFUNDED or PARTIALLY_REFUNDED to PARTIALLY_REFUNDED or
    PAID, a REFUNDED order to the status it had). A PENDING refund gave nothing back yet: it is not
    counted here (order_refundable_amount holds it back). The refunds' rows are Stripe's current
    word (refund_record_from_stripe), so whichever delivery runs last writes the right total.
    Never past what was paid: a larger total is recorded as the amount paid, logged, and the order
    flagged for staff. The order must already be paid. Return whether anything changed.
    """

    def apply_refunds():
        changed = False
        while True:
            standing = _refunds_standing_total(order, stripe_charge_id)
            if standing == order.refunded_amount:
                break
            changes = {"refunded_amount": standing}
            if reason and standing and not order.refund_reason:
                changes["refund_reason"] = reason
            # Conditional on the total read: of two deliveries racing, the later write re-reads
            # the rows (the loop) and so never leaves the other's stale total behind.
            if Order.objects.filter(pk=order.pk, refunded_amount=order.refunded_amount).update(
                **changes, updated_at=timezone.now()
            ):
                for name, value in changes.items():
                    setattr(order, name, value)
                changed = True
            else:
                order.refresh_from_db(fields=["refunded_amount", "refund_reason"])
        return _order_follow_refunds(order) or changed

    return _run_steps(order, apply_refunds)


def _refunds_standing_total(order: Order, stripe_charge_id: str) -> int:
    standing = sum(order.refunds.filter(status=RefundStatus.SUCCEEDED).values_list("amount", flat=True))
    if standing <= order.amount_total:
        return standing
    paid = format_money(order.amount_total, order.currency)
    note = (
        f"Stripe reported {format_money(standing, order.currency)} refunded on charge "
        f"{stripe_charge_id or '(unknown)'}, more than the {paid} paid; recorded as {paid}. "
        "Check the payment in the Stripe dashboard."
    )
    logger.error("order %s: %s", order.number, note)
    order_flag_for_staff(order=order, note=note)
    return order.amount_total


def _order_follow_refunds(order: Order) -> bool:
    """Move the payment and order statuses to what the refunded amount says."""
    refunded = order.refunded_amount
    if refunded == 0:
        target = PaymentStatus.PAID
    elif refunded >= order.amount_total:
        target = PaymentStatus.REFUNDED
    else:
        target = PaymentStatus.PARTIALLY_REFUNDED
    total = format_money(refunded, order.currency)
    moved_back = _REFUND_RANK[target] < _REFUND_RANK.get(order.payment_status, 0)
    note = (
        f"A refund failed or was canceled at Stripe; {total} refunded in total"
        if moved_back
        else f"Refunded {total} in total"
    )
    changed = order.set_status("payment_status", target, note=note)
    if target == PaymentStatus.REFUNDED and order.status in (OrderStatus.PROCESSING, OrderStatus.COMPLETED):
        changed = order.set_status("status", OrderStatus.REFUNDED, note="Fully refunded") or changed
    elif target != PaymentStatus.REFUNDED and order.status == OrderStatus.REFUNDED:
        changed = order.set_status("status", _status_before_refund(order), note=note) or changed
    return changed


# How much of the payment each paid status says was given back.
_REFUND_RANK = {PaymentStatus.PAID: 0, PaymentStatus.PARTIALLY_REFUNDED: 1, PaymentStatus.REFUNDED: 2}


def _status_before_refund(order: Order) -> str:
    refunded = order.status_changes.filter(field="status", new_status=OrderStatus.REFUNDED)
    before = refunded.order_by("-created_at").values_list("old_status", flat=True).first()
    return before if before in (OrderStatus.PROCESSING, OrderStatus.COMPLETED) else OrderStatus.PROCESSING


def order_attach_guest_orders(*, user, email: str) -> int:
    """Give `user` the guest orders placed with `email`, an address `user` has proved is theirs.

    Call it only once the address is verified (a confirmation link, a provider that verified it, a
    password reset mailed to it): the buyer typed it on Stripe's page. Addresses compare without
    case, as allauth's do. Return how many orders were attached.
    """
    email = email.strip().lower()
    if not email:
        return 0
    attached = (
        Order.objects.filter(user__isnull=True)
        .alias(email_key=Lower("customer_email"))
        .filter(email_key=email)
        .update(user=user, updated_at=timezone.now())
    )
    if attached:
        logger.info("%d guest order(s) attached to user %s, who proved their address", attached, user.pk)
    return attached


def _order_attach_to_address_owner(order: Order) -> None:
    """Give a paid guest order to the account that holds its address verified, if there is one."""
    if order.user_id or order.payment_status not in Order.PAID_LIKE_STATUSES or not order.customer_email:
        return
    # allauth lets one account only hold an address verified.
    owner = (
        EmailAddress.objects.filter(email=order.customer_email.lower(), verified=True)
        .select_related("user")
        .first()
    )
    if owner is not None and order_attach_guest_orders(user=owner.user, email=order.customer_email):
        order.user = owner.user


def order_flag_for_staff(*, order: Order, note: str) -> None:
    """Put `note` on the order for staff to look into: shown on its admin page, where staff tick it
    off once handled (order_staff_notes_clear)."""

    def flag():
        order.refresh_from_db(fields=["metadata"])
        notes = order.metadata.get(STAFF_ATTENTION_KEY) or []
        if note in notes:
            return
        metadata = {**order.metadata, STAFF_ATTENTION_KEY: [*notes, note]}
        Order.objects.filter(pk=order.pk).update(metadata=metadata, updated_at=timezone.now())
        order.metadata = metadata

    run_retrying(flag)


def order_staff_notes_clear(*, order: Order, notes: list[str]) -> None:
    """Take `notes`, which staff have looked into, off the order; notes flagged since they read it stay."""

    def clear():
        order.refresh_from_db(fields=["metadata"])
        kept = [note for note in order.metadata.get(STAFF_ATTENTION_KEY) or [] if note not in notes]
        metadata = {**order.metadata, STAFF_ATTENTION_KEY: kept}
        if not kept:
            del metadata[STAFF_ATTENTION_KEY]
        Order.objects.filter(pk=order.pk).update(metadata=metadata, updated_at=timezone.now())
        order.metadata = metadata

    run_retrying(clear)


def order_record_dispute(
    *,
    order: Order,
    stripe_dispute_id: str,
    status: str,
    amount: int,
    currency: str,
    reason: str,
    due_by: datetime | None,
    withdrawn: int = 0,
) -> None:
    """Record the dispute of the order's payment as Stripe has it now, for staff.

    `withdrawn` is what the cardholder's bank holds now (all of it once lost, none once won or
    reinstated): it comes off the shop's revenue (orders.selectors). The payment status is left
    alone, whatever the outcome: a lost dispute is money the bank took back, not a refund the shop
    made. Staff are told on the order when money is withdrawn or comes back.
    """
    dispute = {
        "id": stripe_dispute_id,
        "status": status,
        "amount": amount,
        "currency": currency,
        "reason": reason,
        "due_by": due_by.isoformat() if due_by else None,
        "withdrawn": withdrawn,
    }
    before = 0

    def record():
        nonlocal before
        order.refresh_from_db(fields=["metadata"])
        recorded = order.metadata.get(DISPUTE_KEY) or {}
        before = recorded.get("withdrawn") or 0
        if recorded == dispute:
            return
        metadata = {**order.metadata, DISPUTE_KEY: dispute}
        Order.objects.filter(pk=order.pk).update(metadata=metadata, updated_at=timezone.now())
        order.metadata = metadata

    run_retrying(record)
    if withdrawn != before:
        moved = format_money(abs(withdrawn - before), currency)
        held = format_money(withdrawn, currency)
        what = "took back" if withdrawn > before else "returned"
        order_flag_for_staff(
            order=order,
            note=(
                f"Dispute {stripe_dispute_id} ({status.replace('_', ' ')}): the cardholder's bank {what} "
                f"{moved}; {held} of this payment is with the bank now."
            ),
        )


def _require_moves(order: Order, **moves: str) -> None:
    """Raise InvalidStatusTransition unless each of `moves` (field=new status) is allowed or made
    already: checked before any is written, so an order never moves halfway."""
    for name, new_status in moves.items():
        old_status = getattr(order, name)
        if old_status != new_status and new_status not in order.allowed_statuses(name):
            raise InvalidStatusTransition(order, name, old_status, new_status)


def _run_steps(order: Order, steps):
    """Run idempotent `steps` on `order`; again, from a fresh order, if a concurrent writer moved a
    status first or the database was busy.

    No transaction: each step is one atomic, conditional write, safe to repeat, so a run cut short
    is completed by the next one.
    """
    return run_retrying(
        steps,
        refresh=[order],
        retry_if=lambda error: isinstance(error, InvalidStatusTransition) and error.concurrent,
    )


def refund_record_from_stripe(
    *,
    order: Order,
    stripe_refund_id: str,
    amount: int,
    currency: str,
    status: str,
    reason: str = "",
    refund_id: str | None = None,
    failure: str = "",
) -> Refund:
    """Create or update the Refund row of a Stripe refund, matched by its Stripe id.

    `refund_id` is our own Refund's pk when Stripe's metadata carries it: a refund staff requested
    here is then matched even before its Stripe id was saved. `failure` says, for staff, why a
    FAILED or CANCELED refund gave nothing back.

    A late delivery never moves a refund back: FAILED and CANCELED are final, and a SUCCEEDED
    refund only fails or is canceled (Stripe's own order), so a stale read leaves the row alone.
    """
    refund = Refund.objects.filter(stripe_refund_id=stripe_refund_id).first()
    if refund is None and refund_id:
        refund = Refund.objects.filter(pk=refund_id, order=order, stripe_refund_id__isnull=True).first()
    changes = {"stripe_refund_id": stripe_refund_id, "amount": amount, "currency": currency, "status": status}
    if failure:
        changes["last_error"] = failure
    if refund is None:
        try:
            refund = Refund.objects.create(order=order, reason=reason, **changes)
        except IntegrityError:
            refund = Refund.objects.get(stripe_refund_id=stripe_refund_id)
        else:
            _refund_tell_customer(refund=refund, previous_status=None)
            return refund
    previous_status = refund.status
    if not Refund.objects.filter(pk=refund.pk, status__in=_REFUND_MOVES_FROM[status]).update(
        **changes, updated_at=timezone.now()
    ):
        refund.refresh_from_db()
        return refund
    for name, value in changes.items():
        setattr(refund, name, value)
    _refund_tell_customer(refund=refund, previous_status=previous_status)
    return refund


# The statuses a Refund row may be in for Stripe's report of each status to be written over them.
_REFUND_MOVES_FROM = {
    RefundStatus.PENDING: [RefundStatus.PENDING],
    RefundStatus.SUCCEEDED: [RefundStatus.PENDING, RefundStatus.SUCCEEDED],
    RefundStatus.FAILED: [RefundStatus.PENDING, RefundStatus.SUCCEEDED, RefundStatus.FAILED],
    RefundStatus.CANCELED: [RefundStatus.PENDING, RefundStatus.SUCCEEDED, RefundStatus.CANCELED],
}


def _refund_tell_customer(*, refund: Refund, previous_status: str | None) -> None:
    # The customer hears of a refund once Stripe settles it: asked by the report that moved it, and
    # again by a repeated report (the first one's email may have failed, and raised). Each outcome
    # is reached once, so the move's own ask can never be a second email.
    if refund.status != previous_status or mail_key_kept(since=refund.created_at):
        refund_email_send(refund_id=refund.pk)


def _items_apply_stripe_amounts(*, order: Order, line_amounts: dict) -> None:
    for stripe_price_id, (unit_amount, amount_total) in line_amounts.items():
        OrderItem.objects.filter(order=order, stripe_price_id=stripe_price_id).update(
            unit_amount=unit_amount, amount_total=amount_total
        )

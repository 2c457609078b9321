"""Bank transfers to Stripe's account (`customer_balance`).

Stripe leaves such a payment intent in `requires_action` with `next_action.type`
``display_bank_transfer_instructions`` until the shopper's bank has sent the whole amount, which
takes days and may come in parts (`amount_remaining` goes down). That wait is not 3-D Secure: the
order waits as for any bank payment, the success page says what to transfer and where, and the
shopper gets the same instructions by email, once.
"""

import logging
from dataclasses import dataclass

import stripe
from django.conf import settings

from orders.links import ORDER_LINK_MAX_AGE, order_link_url
from orders.models import Order, OrderStatus
from payments.confirmation import checkout_session_confirm
from payments.exceptions import OrderNotReady
from payments.stripe_client import stripe_client
from shop.mail import mail_send

logger = logging.getLogger(__name__)

_NEXT_ACTION = "display_bank_transfer_instructions"
# How each kind of account Stripe gives is read out, in the order a bank's form asks for it.
_ACCOUNT_FIELDS = {
    "iban": (("IBAN", "iban"), ("BIC", "bic")),
    "sort_code": (("Sort code", "sort_code"), ("Account number", "account_number")),
    "aba": (("Routing number", "routing_number"), ("Account number", "account_number")),
    "swift": (("SWIFT code", "swift_code"), ("Account number", "account_number")),
}


@dataclass(frozen=True)
class BankAccount:
    """One account the transfer may go to: its holder and its numbers, labelled."""

    holder: str
    details: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class BankTransferInstructions:
    amount_remaining: int
    currency: str
    reference: str
    accounts: tuple[BankAccount, ...]
    hosted_instructions_url: str


def bank_transfer_instructions_from_intent(intent: dict) -> BankTransferInstructions | None:
    """Return what the payment intent (a dict, as Stripe sends it) asks the shopper to transfer,
    or None when it waits for no bank transfer."""
    action = intent.get("next_action") or {}
    if intent.get("status") != "requires_action" or action.get("type") != _NEXT_ACTION:
        return None
    instructions = action.get(_NEXT_ACTION) or {}
    accounts = []
    for address in instructions.get("financial_addresses") or []:
        kind = address.get("type")
        numbers = address.get(kind) or {}
        fields = _ACCOUNT_FIELDS.get(kind, ())
        details = tuple((label, numbers[key]) for label, key in fields if numbers.get(key))
        accounts.append(BankAccount(holder=numbers.get("account_holder_name") or "", details=details))
    return BankTransferInstructions(
        amount_remaining=instructions.get("amount_remaining") or 0,
        currency=instructions.get("currency") or intent.get("currency") or "",
        reference=instructions.get("reference") or "",
        accounts=tuple(accounts),
        hosted_instructions_url=instructions.get("hosted_instructions_url") or "",
    )


def bank_transfer_instructions_for_order(*, order: Order) -> BankTransferInstructions | None:
    """Return what is still to be transferred for a pending order, as Stripe says now; None when
    the order waits for no bank transfer (or Stripe cannot be asked right now)."""
    if order.status != OrderStatus.PENDING or not order.stripe_payment_intent_id:
        return None
    try:
        intent = stripe_client().v1.payment_intents.retrieve(order.stripe_payment_intent_id)
    except stripe.StripeError:
        logger.warning("order %s: could not read its payment intent now", order.number, exc_info=True)
        return None
    return bank_transfer_instructions_from_intent(intent.to_dict())


def bank_transfer_instructions_email(*, intent: dict, order: Order) -> bool:
    """Email the shopper of `order` what to transfer where, if `intent` (as Stripe has it now)
    waits for a bank transfer; return whether it does (and so is no 3-D Secure to wait for)."""
    instructions = bank_transfer_instructions_from_intent(intent)
    if instructions is None:
        return False
    if not order.customer_email:
        # The checkout's details (the email typed on Stripe's page) are recorded from the session.
        checkout_session_confirm(session_id=order.stripe_checkout_session_id)
        order.refresh_from_db()
    if not order.customer_email:
        raise OrderNotReady(f"Order {order.number} has no email address yet for its bank transfer")
    mail_send(
        template="payments/email/bank_transfer_instructions",
        context={
            "order": order,
            "instructions": instructions,
            "order_url": order_link_url(order=order),
            "link_days": ORDER_LINK_MAX_AGE.days,
        },
        subject=f"Your {settings.SITE_NAME} order {order.number}: how to pay by bank transfer",
        recipient=order.customer_email,
        # Again only once part of the amount has come in: the email then names what is left.
        key=f"order-{order.pk}-bank-transfer-{instructions.amount_remaining}",
    )
    logger.info("order %s: bank transfer instructions sent", order.number)
    return True

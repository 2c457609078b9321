"""Payment intents, charges, refunds and disputes: how money moves, and Stripe's test cards."""

import copy
from dataclasses import dataclass

from .errors import StripeError
from .money import format_money
from .params import Params
from .store import Store, embedded_list, list_object, new_id, now

_CARD_DECLINED = "Your card was declined."
_BANK_FAILED = "The customer's account has insufficient funds to cover this payment."
_AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a "
    "new PaymentMethod to attempt to fulfill this PaymentIntent again."
)
# Stripe gives the merchant 7 to 21 days to answer a dispute, depending on the network.
_DISPUTE_RESPONSE_DAYS = 9
# Stripe's fee for a dispute, in the dispute's currency's minor units (USD 15.00).
_DISPUTE_FEE = 1500
_DISPUTE_REASON_CODE = "10.4"


@dataclass(frozen=True)
class MagicCard:
    """What one of Stripe's test card numbers does (docs.stripe.com/testing)."""

    number: str
    declined: bool = False
    # 3-D Secure: the payment intent goes requires_action until the customer authenticates.
    authenticates: bool = False
    # Refunds succeed at first, then fail with this failure_reason.
    refund_failure: str | None = None
    # The payment succeeds, then the cardholder disputes it for this reason.
    dispute_reason: str | None = None
    # Payments the customer is not there for (a subscription's renewals) are declined.
    declines_off_session: bool = False
    # Payments the customer is not there for ask for 3-D Secure all the same.
    authenticates_off_session: bool = False

    @property
    def last4(self) -> str:
        return self.number[-4:]


DEFAULT_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
# The simulator's own number (Stripe has none like it): pays at checkout, declines every renewal.
RENEWALS_DECLINED_CARD = "4000009999000006"
TEST_CARDS = {
    card.number: card
    for card in (
        MagicCard(DEFAULT_CARD),
        MagicCard(DECLINED_CARD, declined=True),
        MagicCard("4000000000005126", refund_failure="expired_or_canceled_card"),
        MagicCard(RENEWALS_DECLINED_CARD, declines_off_session=True),
        # Stripe's "attaching succeeds, charges fail": every payment with it is declined.
        MagicCard("4000000000000341", declined=True),
        MagicCard("4000002760003184", authenticates=True, authenticates_off_session=True),
        MagicCard("4000002500003155", authenticates=True),
        MagicCard("4000000000000259", dispute_reason="fraudulent"),
    )
}
_CARDS_BY_LAST4 = {card.last4: card for card in TEST_CARDS.values()}


def magic_card(number: str | None) -> MagicCard:
    """The test card typed as `number` (spaces allowed); Stripe's error for any other number."""
    digits = (number or DEFAULT_CARD).replace(" ", "").replace("-", "")
    card = TEST_CARDS.get(digits)
    if card is None:
        raise StripeError(
            "Your card number is invalid. In test mode, use one of Stripe's test cards.",
            type="card_error",
            code="invalid_number",
            param="number",
        )
    return card


# Fields of features the simulator has no part in (Connect, Radar, Level 3, wallets...): Stripe
# sends them, null.
_INTENT_UNUSED = dict.fromkeys(
    (
        "allowed_payment_method_types",
        "amount_details",
        "application",
        "application_fee_amount",
        "automatic_payment_methods",
        "customer_account",
        "excluded_payment_method_types",
        "hooks",
        "managed_payments",
        "on_behalf_of",
        "payment_details",
        "payment_method_configuration_details",
        "payment_method_options",
        "payment_record",
        "presentment_details",
        "processing",
        "review",
        "setup_future_usage",
        "shipping",
        "source",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "transfer_data",
        "transfer_group",
    )
)
_CHARGE_UNUSED = dict.fromkeys(
    (
        "application",
        "application_fee",
        "application_fee_amount",
        "authorization_code",
        "calculated_statement_descriptor",
        "failure_balance_transaction",
        "level3",
        "on_behalf_of",
        "presentment_details",
        "radar_options",
        "receipt_number",
        "receipt_url",
        "review",
        "shipping",
        "source",
        "source_transfer",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "transfer",
        "transfer_data",
        "transfer_group",
    )
)
_REFUND_UNUSED = dict.fromkeys(
    (
        "customer_account",
        "description",
        "failure_balance_transaction",
        "failure_reason",
        "instructions_email",
        "next_action",
        "pending_reason",
        "presentment_details",
        "receipt_number",
        "source_transfer_reversal",
        "transfer_reversal",
    )
)


# The evidence a merchant can submit against a dispute: none is submitted in the simulator.
_EVIDENCE_FIELDS = (
    "access_activity_log",
    "appeal",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


# Where a customer sends a bank transfer (Stripe's customer_balance): Stripe's bank account of the
# transfer type of each currency, with the simulator's made-up numbers.
_BANK_TRANSFER_TYPES = {"eur": "eu_bank_transfer", "gbp": "gb_bank_transfer"}
_NO_ADDRESS = dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))
_STRIPE_BANK = {
    "account_holder_address": _NO_ADDRESS,
    "account_holder_name": "Stripe Payments",
    "bank_address": _NO_ADDRESS,
}
_FINANCIAL_ADDRESSES = {
    "eu_bank_transfer": [
        {
            "type": "iban",
            "supported_networks": ["sepa"],
            "iban": {**_STRIPE_BANK, "bic": "SIMUDEFFXXX", "country": "DE", "iban": "DE89370400440532013000"},
        }
    ],
    "gb_bank_transfer": [
        {
            "type": "sort_code",
            "supported_networks": ["bacs", "fps"],
            "sort_code": {**_STRIPE_BANK, "account_number": "00012345", "sort_code": "108800"},
        }
    ],
    "us_bank_transfer": [
        {
            "type": "aba",
            "supported_networks": ["ach", "domestic_wire_us"],
            "aba": {
                **_STRIPE_BANK,
                "account_number": "11112222333344",
                "account_type": "checking",
                "bank_name": "Simulated Bank",
                "routing_number": "110000000",
            },
        },
        {
            "type": "swift",
            "supported_networks": ["swift"],
            "swift": {
                **_STRIPE_BANK,
                "account_number": "11112222333344",
                "account_type": "checking",
                "bank_name": "Simulated Bank",
                "swift_code": "SIMUUS33XXX",
            },
        },
    ],
}


def bank_method_for(currency: str) -> str:
    """The asynchronous bank debit Stripe would offer for `currency`."""
    return "sepa_debit" if currency == "eur" else "us_bank_account"


class Payments:
    """Payment intents moving through their statuses, their charges and refunds."""

    def __init__(self, store: Store):
        self.store = store
        # Since API version 2022-11-15 a charge's refunds are sent only when expanded.
        store.register_expander("charge", "refunds", self._charge_refunds)

    def create_intent(self, *, amount: int, currency: str, customer: str | None, metadata: dict) -> dict:
        intent_id = new_id("pi_")
        intent = self.store.add(
            {
                **_INTENT_UNUSED,
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_capturable": 0,
                "amount_received": 0,
                "canceled_at": None,
                "cancellation_reason": None,
                "capture_method": "automatic_async",
                "client_secret": f"{intent_id}_secret_{new_id('')}",
                "confirmation_method": "automatic",
                "created": now(),
                "currency": currency,
                "customer": customer,
                "description": None,
                "last_payment_error": None,
                "latest_charge": None,
                "livemode": False,
                "metadata": metadata,
                "next_action": None,
                "payment_method": None,
                "payment_method_types": ["card", bank_method_for(currency)],
                "receipt_email": None,
                "status": "requires_payment_method",
            }
        )
        self.store.emit("payment_intent.created", intent)
        return intent

    def pay_by_card(
        self, intent: dict, billing_details: dict, card: MagicCard, *, method: dict | None = None
    ) -> None:
        """A card payment attempt, as `card` makes it go: approved, declined by the issuer, or
        waiting for 3-D Secure (`authenticate` goes on from there). `method`: the saved
        payment method of `card`, if not a new one."""
        if card.authenticates:
            method = method or self.new_payment_method(intent["customer"], billing_details, card_method(card))
            next_action = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect", "source": method["id"]},
            }
            self.store.update(
                intent,
                {
                    "status": "requires_action",
                    "payment_method": method["id"],
                    "next_action": next_action,
                    "last_payment_error": None,
                },
            )
            self.store.emit("payment_intent.requires_action", intent)
            return
        charge = self._charge(intent, billing_details, card_method(card))
        if card.declined:
            self._fail(intent, charge, "card_error", "card_declined", _CARD_DECLINED)
        else:
            self._succeed(intent, charge)

    def charge_saved_method(self, intent: dict, method: dict, *, on_session: bool) -> str:
        """Charge the customer's saved payment `method` as its test card makes it go; answers the
        intent's new status (``succeeded``, ``requires_payment_method`` after a decline,
        ``requires_action`` for 3-D Secure)."""
        card = card_of_method(method)
        billing = {k: v for k, v in method["billing_details"].items() if k != "tax_id"}
        if card and card.authenticates_off_session and not on_session:
            self.store.update(intent, {"payment_method": method["id"]})
            self.pay_by_card(intent, billing, card, method=method)
            return intent["status"]
        charge = self._charge(intent, billing, _method_details(method), payment_method=method)
        if card and (card.declined or (card.declines_off_session and not on_session)):
            self._fail(intent, charge, "card_error", "card_declined", _CARD_DECLINED)
        else:
            self._succeed(intent, charge)
        return intent["status"]

    def authenticate(self, intent: dict, billing_details: dict, *, succeeds: bool) -> None:
        """The customer's answer to the 3-D Secure challenge of a `requires_action` intent."""
        if intent["status"] != "requires_action":
            raise StripeError(f"PaymentIntent {intent['id']} is not awaiting 3-D Secure authentication.")
        method = self.store.get("payment_method", intent["payment_method"])
        self.store.update(intent, {"next_action": None})
        if succeeds:
            charge = self._charge(intent, billing_details, _method_details(method), payment_method=method)
            self._succeed(intent, charge)
            return
        # Authentication fails before any charge is made.
        error = {
            "type": "invalid_request_error",
            "code": "payment_intent_authentication_failure",
            "doc_url": "https://docs.stripe.com/error-codes/payment-intent-authentication-failure",
            "message": _AUTHENTICATION_FAILED,
            "payment_method": copy.deepcopy(method),
        }
        self.store.update(intent, {"status": "requires_payment_method", "last_payment_error": error})
        self.store.emit("payment_intent.payment_failed", intent)

    def start_bank_debit(self, intent: dict, billing_details: dict) -> None:
        """A bank debit: the charge stays pending until `settle_bank_debit`."""
        method_type = bank_method_for(intent["currency"])
        method = {"type": method_type, method_type: {"last4": "6789"}}
        self._charge(intent, billing_details, method, pending=True)
        self.store.update(intent, {"status": "processing", "last_payment_error": None})
        self.store.emit("payment_intent.processing", intent)

    def settle_bank_debit(self, intent: dict, *, succeeds: bool) -> None:
        charge = self.store.get("charge", intent["latest_charge"])
        if succeeds:
            self._succeed(intent, charge)
        else:
            self._fail(intent, charge, "invalid_request_error", "insufficient_funds", _BANK_FAILED)

    def start_bank_transfer(self, intent: dict, billing_details: dict, *, instructions_url: str) -> None:
        """A bank transfer to Stripe (`customer_balance`): the intent waits in `requires_action`,
        its `next_action` the instructions (how much, to which account, with which reference),
        until `fund_bank_transfer` has received it all."""
        method = self.new_payment_method(
            intent["customer"], billing_details, {"type": "customer_balance", "customer_balance": {}}
        )
        transfer_type = _BANK_TRANSFER_TYPES.get(intent["currency"], "us_bank_transfer")
        instructions = {
            "amount_remaining": intent["amount"],
            "currency": intent["currency"],
            "financial_addresses": copy.deepcopy(_FINANCIAL_ADDRESSES[transfer_type]),
            "hosted_instructions_url": instructions_url,
            "reference": new_id("", 12).upper(),
            "type": transfer_type,
        }
        self.store.update(
            intent,
            {
                "status": "requires_action",
                "payment_method": method["id"],
                "payment_method_types": [*intent["payment_method_types"], "customer_balance"],
                "next_action": {
                    "type": "display_bank_transfer_instructions",
                    "display_bank_transfer_instructions": instructions,
                },
                "last_payment_error": None,
            },
        )
        self.store.emit("payment_intent.requires_action", intent)

    def fund_bank_transfer(self, intent: dict, amount: int | None) -> None:
        """Money arrives for a bank transfer: `amount` (default: all that remains). Short of the
        rest, the intent stays waiting (`payment_intent.partially_funded`); the rest pays it (what
        comes on top stays in the customer's balance, as on Stripe)."""
        next_action = intent["next_action"] or {}
        if (
            intent["status"] != "requires_action"
            or next_action.get("type") != "display_bank_transfer_instructions"
        ):
            raise StripeError(f"PaymentIntent {intent['id']} awaits no bank transfer.")
        instructions = next_action["display_bank_transfer_instructions"]
        remaining = instructions["amount_remaining"]
        amount = remaining if amount is None else amount
        if amount < 1:
            raise StripeError("A transfer must be at least 1 in the currency's minor unit.", param="amount")
        if amount < remaining:
            waiting = copy.deepcopy(next_action)
            waiting["display_bank_transfer_instructions"]["amount_remaining"] = remaining - amount
            self.store.update(intent, {"next_action": waiting})
            self.store.emit("payment_intent.partially_funded", intent)
            return
        method = self.store.get("payment_method", intent["payment_method"])
        billing = {k: v for k, v in method["billing_details"].items() if k != "tax_id"}
        charge = self._charge(intent, billing, _method_details(method), payment_method=method)
        self.store.update(intent, {"next_action": None})
        self._succeed(intent, charge)

    def cancel_intent(self, intent: dict, reason: str) -> None:
        self.store.update(intent, {"status": "canceled", "canceled_at": now(), "cancellation_reason": reason})
        self.store.emit("payment_intent.canceled", intent)

    def _charge(
        self,
        intent: dict,
        billing_details: dict,
        method: dict,
        *,
        pending: bool = False,
        payment_method: dict | None = None,
    ) -> dict:
        """A new charge for `intent`; a card charge is approved later by `_succeed`/`_fail`."""
        charge_id = new_id("ch_")
        if payment_method is None:
            payment_method = self.new_payment_method(intent["customer"], billing_details, method)
        charge = self.store.add(
            {
                **_CHARGE_UNUSED,
                "id": charge_id,
                "object": "charge",
                "amount": intent["amount"],
                "amount_captured": 0,
                "amount_refunded": 0,
                "balance_transaction": None,
                "billing_details": billing_details,
                "captured": False,
                "created": now(),
                "currency": intent["currency"],
                "customer": intent["customer"],
                "description": None,
                "disputed": False,
                "failure_code": None,
                "failure_message": None,
                "fraud_details": {},
                "livemode": False,
                "metadata": dict(intent["metadata"]),
                "outcome": None,
                "paid": False,
                "payment_intent": intent["id"],
                "payment_method": payment_method["id"],
                "payment_method_details": method,
                "receipt_email": billing_details.get("email"),
                "refunded": False,
                "status": "pending",
            }
        )
        self.store.update(intent, {"latest_charge": charge_id, "payment_method": charge["payment_method"]})
        if pending:
            self.store.emit("charge.pending", charge)
        return charge

    def new_payment_method(self, customer: str | None, billing_details: dict, method: dict) -> dict:
        """The PaymentMethod the customer entered on the hosted page; `method` is
        ``{"type": ..., type: details}``."""
        method_type = method["type"]
        return self.store.add(
            {
                "id": new_id("pm_"),
                "object": "payment_method",
                "allow_redisplay": "unspecified",
                "billing_details": {**billing_details, "tax_id": None},
                "created": now(),
                "customer": customer,
                "customer_account": None,
                "radar_options": None,
                "livemode": False,
                "metadata": {},
                "type": method_type,
                method_type: dict(method[method_type]),
            }
        )

    def _succeed(self, intent: dict, charge: dict) -> None:
        self.store.update(
            charge,
            {
                "amount_captured": charge["amount"],
                "captured": True,
                "outcome": {
                    "network_status": "approved_by_network",
                    "reason": None,
                    "risk_level": "normal",
                    "seller_message": "Payment complete.",
                    "type": "authorized",
                },
                "paid": True,
                "status": "succeeded",
            },
        )
        self.store.emit("charge.succeeded", charge)
        self.store.update(
            intent,
            {"status": "succeeded", "amount_received": intent["amount"], "last_payment_error": None},
        )
        self.store.emit("payment_intent.succeeded", intent)
        card = _test_card_of(charge)
        if card and card.dispute_reason:
            self._open_dispute(charge, card.dispute_reason)

    def _fail(self, intent: dict, charge: dict, error_type: str, code: str, message: str) -> None:
        self.store.update(
            charge,
            {
                "failure_code": code,
                "failure_message": message,
                "outcome": {
                    "network_status": "declined_by_network",
                    "reason": "generic_decline",
                    "risk_level": "normal",
                    "seller_message": "The bank did not return any further details with this decline.",
                    "type": "issuer_declined",
                },
                "status": "failed",
            },
        )
        self.store.emit("charge.failed", charge)
        error = {
            "type": error_type,
            "code": code,
            "doc_url": f"https://docs.stripe.com/error-codes/{code.replace('_', '-')}",
            "message": message,
            "charge": charge["id"],
            "payment_method": self.store.get("payment_method", charge["payment_method"]),
        }
        if code == "card_declined":
            error["decline_code"] = "generic_decline"
        self.store.update(intent, {"status": "requires_payment_method", "last_payment_error": error})
        self.store.emit("payment_intent.payment_failed", intent)

    # Refunds

    def refund(
        self,
        *,
        intent: dict | None = None,
        charge: dict | None = None,
        amount: int | None = None,
        reason: str | None = None,
        metadata: dict | None = None,
    ) -> dict:
        """Refund `amount` (default: everything not yet refunded) of a paid intent or charge."""
        if charge is None:
            if intent["status"] != "succeeded":
                raise StripeError(
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                    param="payment_intent",
                )
            charge = self.store.get("charge", intent["latest_charge"])
        if charge["status"] != "succeeded":
            raise StripeError(
                f"Charge {charge['id']} has not succeeded and cannot be refunded.", param="charge"
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining == 0:
            raise StripeError(
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        if amount is None:
            amount = remaining
        if amount > remaining:
            limit = "charge amount" if charge["amount_refunded"] == 0 else "unrefunded amount on charge"
            raise StripeError(
                f"Refund amount ({format_money(amount, charge['currency'])}) is greater than "
                f"{limit} ({format_money(remaining, charge['currency'])})",
                code="amount_too_large",
                param="amount",
            )
        method_type = charge["payment_method_details"]["type"]
        card = _test_card_of(charge)
        if card and card.refund_failure:
            return self._failing_refund(charge, amount, reason, metadata, card.refund_failure)
        refund = self.store.add(
            _refund_row(charge, amount, reason, metadata, method_type, status="succeeded")
        )
        self.store.emit("refund.created", refund)
        previous = self.store.update(
            charge,
            {"amount_refunded": charge["amount_refunded"] + amount, "refunded": amount == remaining},
        )
        self.store.emit("charge.refunded", charge, previous)
        # Like a card refund on Stripe: the acquirer's reference arrives afterwards.
        details = refund["destination_details"]
        settled = {
            **details,
            method_type: {
                **details[method_type],
                "reference": new_id("", 16),
                "reference_status": "available",
            },
        }
        self.store.update(refund, {"destination_details": settled}, "refund.updated")
        return refund

    def _failing_refund(
        self, charge: dict, amount: int, reason: str | None, metadata: dict | None, failure_reason: str
    ) -> dict:
        """A refund the card network refuses after accepting it, as Stripe's test card plays it:
        answered `succeeded` (`refund.created`, `charge.refunded`), then `failed`: `refund.updated`,
        `charge.refund.updated`, `refund.failed`, and the money is back on the charge. The answer
        is the refund as accepted."""
        refund = self.store.add(_refund_row(charge, amount, reason, metadata, "card", status="succeeded"))
        self.store.emit("refund.created", refund)
        refunded_before = charge["amount_refunded"]
        previous = self.store.update(
            charge,
            {
                "amount_refunded": refunded_before + amount,
                "refunded": refunded_before + amount == charge["amount"],
            },
        )
        self.store.emit("charge.refunded", charge, previous)
        accepted = copy.deepcopy(refund)
        previous = self.store.update(refund, {"status": "failed", "failure_reason": failure_reason})
        self.store.emit("refund.updated", refund, previous)
        self.store.emit("charge.refund.updated", refund, previous)
        self.store.emit("refund.failed", refund)
        self.store.update(charge, {"amount_refunded": refunded_before, "refunded": False})
        return accepted

    # Disputes

    def _open_dispute(self, charge: dict, reason: str) -> dict:
        """The cardholder disputes the payment with their bank: Stripe opens a dispute."""
        created = now()
        dispute = self.store.add(
            {
                "id": new_id("dp_"),
                "object": "dispute",
                "amount": charge["amount"],
                "balance_transactions": [],
                "charge": charge["id"],
                "created": created,
                "currency": charge["currency"],
                "enhanced_eligibility_types": [],
                "evidence": {**dict.fromkeys(_EVIDENCE_FIELDS), "enhanced_evidence": {}},
                "evidence_details": {
                    "due_by": created + _DISPUTE_RESPONSE_DAYS * 24 * 60 * 60,
                    "enhanced_eligibility": {},
                    "has_evidence": False,
                    "past_due": False,
                    "submission_count": 0,
                    "submission_method": "not_submitted",
                },
                "intended_submission_method": None,
                "is_charge_refundable": False,
                "livemode": False,
                "metadata": {},
                "network_reason_code": _DISPUTE_REASON_CODE,
                "payment_intent": charge["payment_intent"],
                "payment_method_details": {
                    "type": "card",
                    "card": {
                        "brand": "visa",
                        "case_type": "chargeback",
                        "network": "visa",
                        "network_reason_code": _DISPUTE_REASON_CODE,
                    },
                },
                "reason": reason,
                "status": "needs_response",
            }
        )
        self.store.update(charge, {"disputed": True})
        self.store.emit("charge.dispute.created", dispute)
        # The bank takes the disputed amount back at once, with Stripe's dispute fee; a won dispute
        # returns the amount.
        withdrawal = _dispute_balance_transaction(
            dispute,
            -dispute["amount"],
            fee=_DISPUTE_FEE,
            description="Chargeback withdrawal",
            category="dispute",
        )
        self.store.update(dispute, {"balance_transactions": [withdrawal]})
        self.store.emit("charge.dispute.funds_withdrawn", dispute)
        return dispute

    def close_dispute(self, dispute_id: str, *, won: bool) -> dict:
        """The bank decides an open dispute: won (the money comes back) or lost."""
        dispute = self.store.get("dispute", dispute_id)
        if dispute["status"] in ("won", "lost"):
            raise StripeError(f"Dispute {dispute_id} is already closed ({dispute['status']}).")
        changes = {"status": "won" if won else "lost"}
        if won:
            reversal = _dispute_balance_transaction(
                dispute,
                dispute["amount"],
                fee=0,
                description="Chargeback reversal",
                category="dispute_reversal",
            )
            changes["balance_transactions"] = [*dispute["balance_transactions"], reversal]
        self.store.update(dispute, changes)
        self.store.emit("charge.dispute.closed", dispute)
        if won:
            self.store.emit("charge.dispute.funds_reinstated", dispute)
        return dispute

    def fail_refund(self, refund_id: str, *, failure_reason: str) -> dict:
        """A refund reported succeeded fails afterwards (the card network returns it): the money
        comes back to the balance, so the charge's refunded amount goes down again."""
        refund = self.store.get("refund", refund_id)
        if refund["status"] in ("failed", "canceled"):
            raise StripeError(f"Refund {refund_id} is already {refund['status']}.")
        charge = self.store.get("charge", refund["charge"])
        if refund["status"] == "succeeded":
            self.store.update(
                charge, {"amount_refunded": charge["amount_refunded"] - refund["amount"], "refunded": False}
            )
        self.store.update(refund, {"status": "failed", "failure_reason": failure_reason}, "refund.updated")
        self.store.emit("refund.failed", refund)
        return refund

    def retrieve_dispute(self, params: Params, dispute_id: str) -> dict:
        return self.store.get("dispute", dispute_id)

    def list_disputes(self, params: Params) -> dict:
        params.allow("payment_intent", "charge", "limit", "starting_after", "ending_before")
        disputes = self.store.all("dispute")
        for field in ("payment_intent", "charge"):
            if params.has(field):
                disputes = [d for d in disputes if d[field] == params.string(field)]
        return list_object(disputes, params, "/v1/disputes", "dispute")

    def _charge_refunds(self, charge: dict) -> dict:
        refunds = [refund for refund in self.store.all("refund") if refund["charge"] == charge["id"]]
        return embedded_list(refunds, f"/v1/charges/{charge['id']}/refunds")

    # API endpoints

    def retrieve_intent(self, params: Params, intent_id: str) -> dict:
        return self.store.get("payment_intent", intent_id)

    def list_intents(self, params: Params) -> dict:
        params.allow("customer", "limit", "starting_after", "ending_before")
        intents = self.store.all("payment_intent")
        if params.has("customer"):
            intents = [i for i in intents if i["customer"] == params.string("customer")]
        return list_object(intents, params, "/v1/payment_intents", "payment_intent")

    def retrieve_charge(self, params: Params, charge_id: str) -> dict:
        return self.store.get("charge", charge_id)

    def create_refund(self, params: Params) -> dict:
        params.allow("payment_intent", "charge", "amount", "reason", "metadata")
        if params.has("payment_intent") and params.has("charge"):
            raise StripeError(
                "You may only specify one of these parameters: charge, payment_intent.",
                code="parameters_exclusive",
            )
        intent = charge = None
        if params.has("charge"):
            charge = self.store.get("charge", params.string("charge"), param="charge", status=400)
        else:
            intent_id = params.string("payment_intent", required=True)
            intent = self.store.get("payment_intent", intent_id, param="payment_intent", status=400)
        return self.refund(
            intent=intent,
            charge=charge,
            amount=params.integer("amount", minimum=1),
            reason=params.string("reason", choices=("duplicate", "fraudulent", "requested_by_customer")),
            metadata=params.metadata(),
        )

    def retrieve_refund(self, params: Params, refund_id: str) -> dict:
        return self.store.get("refund", refund_id)

    def list_refunds(self, params: Params) -> dict:
        params.allow("payment_intent", "charge", "limit", "starting_after", "ending_before")
        refunds = self.store.all("refund")
        for field in ("payment_intent", "charge"):
            if params.has(field):
                refunds = [r for r in refunds if r[field] == params.string(field)]
        return list_object(refunds, params, "/v1/refunds", "refund")


def card_method(card: MagicCard) -> dict:
    """A payment method's details of a test card."""
    return {"type": "card", "card": _card(card.last4)}


def _method_details(payment_method: dict) -> dict:
    method_type = payment_method["type"]
    return {"type": method_type, method_type: dict(payment_method[method_type])}


def card_of_method(payment_method: dict) -> MagicCard | None:
    """The test card a saved payment method was entered with."""
    if payment_method["type"] != "card":
        return None
    return _CARDS_BY_LAST4.get(payment_method["card"]["last4"])


def _test_card_of(charge: dict) -> MagicCard | None:
    details = charge["payment_method_details"]
    if details["type"] != "card":
        return None
    return _CARDS_BY_LAST4.get(details["card"]["last4"])


def _card(last4: str) -> dict:
    return {
        "brand": "visa",
        "country": "US",
        "exp_month": 12,
        "exp_year": 2034,
        "funding": "credit",
        "last4": last4,
    }


def _refund_row(
    charge: dict, amount: int, reason: str | None, metadata: dict | None, method_type: str, *, status: str
) -> dict:
    """A new Refund of `charge`, its acquirer's reference still to come."""
    return {
        **_REFUND_UNUSED,
        "id": new_id("re_"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": now(),
        "currency": charge["currency"],
        "customer": charge["customer"],
        "destination_details": {
            "type": method_type,
            method_type: {
                "reference": None,
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
        },
        "metadata": metadata or {},
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": reason,
        "status": status,
    }


def _dispute_balance_transaction(
    dispute: dict, amount: int, *, fee: int, description: str, category: str
) -> dict:
    """A dispute's move of funds on the balance, as Stripe lists it in the dispute's
    `balance_transactions`: the amount withdrawn (negative) or reinstated, and Stripe's fee."""
    created = now()
    return {
        "id": new_id("txn_"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created,
        "balance_type": "payments",
        "created": created,
        "currency": dispute["currency"],
        "description": f"{description} for {dispute['charge']}",
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [
            {
                "amount": fee,
                "application": None,
                "currency": dispute["currency"],
                "description": "Dispute fee",
                "type": "stripe_fee",
            }
        ]
        if fee
        else [],
        "net": amount - fee,
        "reporting_category": category,
        "source": dispute["id"],
        "status": "available",
        "type": "adjustment",
    }

"""Invoices and their payments: a subscription's first invoice, its renewals as time passes on
a test clock, and failed payments retried on a fixed schedule in place of Smart Retries.

A renewal invoice is created, finalized and charged at the same moment (Stripe waits about an
hour before finalizing); the subscription's default payment method pays it, as its test card
makes it go (see the README).
"""

import copy
from collections.abc import Callable

from .charges import Payments
from .discounts import discount_amount, discount_shares
from .errors import StripeError
from .money import format_money
from .params import Params
from .store import Store, clock_time, embedded_list, list_object, new_id, now
from .subscriptions import Subscriptions, add_interval, period_end
from .tax import tax_amount, tax_rate

_DAY = 86_400
# Smart Retries as a fixed schedule: days after the first failure of an invoice's payment.
RETRY_DAYS = (1, 3, 7)
# What happens to a subscription once its last retry failed.
AFTER_FAILED_RETRIES = ("cancel", "unpaid")
# Stripe's default notice before a trial ends and before a renewal.
_TRIAL_WILL_END_DAYS = 3
_UPCOMING_DAYS = 3
_NO_PAYMENT_SETTINGS = {"default_mandate": None, "payment_method_options": None, "payment_method_types": None}

# Fields of Billing features the simulator has no part in: Stripe sends them, null.
_INVOICE_UNUSED = dict.fromkeys(
    (
        "account_name",
        "account_tax_ids",
        "application",
        "automatically_finalizes_at",
        "confirmation_secret",
        "custom_fields",
        "customer_account",
        "customer_phone",
        "customer_shipping",
        "default_payment_method",
        "default_source",
        "description",
        "due_date",
        "footer",
        "from_invoice",
        "invoice_pdf",
        "last_finalization_error",
        "latest_revision",
        "on_behalf_of",
        "receipt_number",
        "rendering",
        "shipping_details",
        "statement_descriptor",
        "status_details",
        "threshold_reason",
        "webhooks_delivered_at",
    )
)


class Billing:
    """Invoices, invoice payments, renewals and retries."""

    def __init__(
        self,
        store: Store,
        payments: Payments,
        subscriptions: Subscriptions,
        *,
        after_failed_retries: str,
        invoice_url: Callable[[str], str],
    ):
        if after_failed_retries not in AFTER_FAILED_RETRIES:
            raise ValueError(f"after_failed_retries must be one of {', '.join(AFTER_FAILED_RETRIES)}")
        self.store = store
        self.payments = payments
        self.subscriptions = subscriptions
        self.after_failed_retries = after_failed_retries
        self._invoice_url = invoice_url
        # Since API version 2025-03-31 an invoice's payments are sent only when expanded.
        store.register_expander("invoice", "payments", self._payments_list)

    def _sent(self) -> dict[str, list]:
        """Notices already sent ("trial_will_end", "upcoming"): subscription id and moment pairs."""
        return self.store.internal.setdefault("billing_notices", {"trial_will_end": [], "upcoming": []})

    def _first_failures(self) -> dict[str, int]:
        """Invoice id -> when its payment first failed, the start of its retry schedule."""
        return self.store.internal.setdefault("billing_first_failures", {})

    # Time

    def run_until(self, subscriptions: Callable[[], list[dict]], until: int, start: int) -> None:
        """Everything that falls due for `subscriptions` from `start` to `until`, in order: trial
        and renewal notices, renewals, cancellations at a date, payment retries."""
        moment = start
        while True:
            due = [
                (at, order, action)
                for subscription in subscriptions()
                for at, order, action in self._due(subscription)
                if at <= until
            ]
            if not due:
                return
            at, _, action = min(due, key=lambda entry: entry[:2])
            moment = max(moment, at)
            with clock_time(moment):
                action()

    def _due(self, subscription: dict) -> list[tuple[int, int, Callable[[], None]]]:
        """(moment, tie-break order, action) of what comes next for one subscription."""
        status = subscription["status"]
        if status not in ("active", "trialing", "past_due"):
            return []
        due = []
        for invoice in self._invoices_of(subscription["id"]):
            if invoice["status"] == "open" and invoice["next_payment_attempt"]:
                due.append((invoice["next_payment_attempt"], 0, lambda i=invoice: self.collect(i)))
        sent = self._sent()
        trial_end = subscription["trial_end"]
        if status == "trialing" and [subscription["id"], trial_end] not in sent["trial_will_end"]:
            due.append(
                (trial_end - _TRIAL_WILL_END_DAYS * _DAY, 1, lambda: self._trial_will_end(subscription))
            )
        pending = subscription["pending_update"]
        if pending:
            due.append((pending["expires_at"], 0, lambda: self._expire_pending_update(subscription)))
        end = period_end(subscription)
        cancel_at = subscription["cancel_at"]
        if cancel_at is not None and cancel_at <= end:
            due.append((cancel_at, 3, lambda: self._cancel_as_scheduled(subscription)))
            return due
        if [subscription["id"], end] not in sent["upcoming"]:
            due.append((end - _UPCOMING_DAYS * _DAY, 2, lambda: self._upcoming(subscription)))
        due.append((end, 3, lambda: self.renew(subscription)))
        pause = subscription["pause_collection"]
        if pause and pause["resumes_at"] is not None:
            due.append((pause["resumes_at"], 0, lambda: self._resume_collection(subscription)))
        return due

    def _trial_will_end(self, subscription: dict) -> None:
        self._sent()["trial_will_end"].append([subscription["id"], subscription["trial_end"]])
        self.store.emit("customer.subscription.trial_will_end", subscription)

    def _upcoming(self, subscription: dict) -> None:
        """invoice.upcoming: a preview of the next invoice, which is not stored (its id, as for
        Stripe's previews, starts ``upcoming_in``)."""
        end = period_end(subscription)
        self._sent()["upcoming"].append([subscription["id"], end])
        preview = self._invoice(
            subscription,
            copy.deepcopy(self.pending_lines(subscription["id"])) + self._cycle_lines(subscription, end),
            invoice_id=new_id("upcoming_in_"),
            preview=True,
            billing_reason="upcoming",
            period=(subscription["items"]["data"][0]["current_period_start"], end),
            discounts=self._discounts_due(subscription, end),
        )
        self.store.emit("invoice.upcoming", preview)

    def _cancel_as_scheduled(self, subscription: dict) -> None:
        self.subscriptions.end(subscription, subscription["cancellation_details"])

    # Invoices

    def first_invoice(
        self, subscription: dict, session: dict, lines: list[dict], *, tax_country: str | None
    ) -> dict:
        """The subscription_create invoice of a checkout, priced as the session is (`lines`: its
        line items with their prices; with a trial only one-time items are due; its coupons and,
        with automatic tax, the tax of `tax_country`), then paid."""
        if subscription["automatic_tax"]["enabled"]:
            self._tax_countries()[subscription["id"]] = tax_country
        created = now()
        start, end = subscription["start_date"], period_end(subscription)
        trialing = subscription["status"] == "trialing"
        rows = []
        items = {item["price"]["id"]: item for item in subscription["items"]["data"]}
        for line in lines:
            price = line["price"]
            if price["recurring"]:
                amount = 0 if trialing else line["amount_subtotal"]
                name = line["description"]
                rows.append(
                    _line(
                        subscription,
                        price,
                        line["quantity"],
                        amount,
                        f"Trial period for {name}" if trialing else _describe(line["quantity"], name, price),
                        (start, end),
                        item=items[price["id"]],
                    )
                )
            else:
                rows.append(
                    _line(
                        subscription,
                        price,
                        line["quantity"],
                        line["amount_subtotal"],
                        line["description"],
                        (created, created),
                    )
                )
        shipping = session["shipping_cost"]
        invoice = self._invoice(
            subscription,
            rows,
            # Named when the subscription was created, as Stripe's subscription names it at once.
            invoice_id=subscription["latest_invoice"],
            billing_reason="subscription_create",
            period=(created, created),
            discounts=[self.store.get("discount", d) for d in subscription["discounts"]],
            shipping=shipping and (shipping["shipping_rate"], shipping["amount_subtotal"]),
        )
        self._drop_once_discounts(subscription)
        self._open(invoice)
        self.collect(invoice, on_session=True)
        return invoice

    def renew(self, subscription: dict) -> None:
        """The period ended: a new one starts (a trial ends) and its invoice is charged."""
        end = period_end(subscription)
        rows = self.pending_lines(subscription["id"]) + self._cycle_lines(subscription, end)
        self.pending_lines(subscription["id"]).clear()
        started = subscription["items"]["data"][0]["current_period_start"]
        invoice = self._invoice(
            subscription,
            rows,
            billing_reason="subscription_cycle",
            period=(started, end),
            discounts=self._discounts_due(subscription, end),
        )
        new_end = _next_period_end(subscription, end)
        items = copy.deepcopy(subscription["items"])
        for item in items["data"]:
            item.update(current_period_start=end, current_period_end=new_end, billed_until=new_end)
        status = "active" if subscription["status"] == "trialing" else subscription["status"]
        self.store.update(
            subscription,
            {"items": items, "status": status, "latest_invoice": invoice["id"]},
            "customer.subscription.updated",
        )
        if subscription["pause_collection"]:
            self._collect_paused(invoice, subscription["pause_collection"]["behavior"])
            return
        self._open(invoice)
        self.collect(invoice)

    def _cycle_lines(self, subscription: dict, start: int) -> list[dict]:
        """The lines of the period that starts at `start`: each item's price times its quantity."""
        end = _next_period_end(subscription, start)
        return [
            _line(
                subscription,
                item["price"],
                item["quantity"],
                item["price"]["unit_amount"] * item["quantity"],
                _describe(
                    item["quantity"],
                    self.store.get("product", item["price"]["product"])["name"],
                    item["price"],
                ),
                (start, end),
                item=item,
            )
            for item in subscription["items"]["data"]
        ]

    # Coupons and tax on invoices

    def _discounts_due(self, subscription: dict, at: int) -> list[dict]:
        """The subscription's Discounts that still apply to an invoice of the period starting `at`:
        a ``forever`` coupon's always, a ``repeating`` one's until its end."""
        discounts = [self.store.get("discount", discount_id) for discount_id in subscription["discounts"]]
        return [discount for discount in discounts if discount["end"] is None or at < discount["end"]]

    def _drop_once_discounts(self, subscription: dict) -> None:
        """A coupon of ``once`` is used up by the first invoice: Stripe takes it off the subscription."""
        kept = [
            discount_id
            for discount_id in subscription["discounts"]
            if self._coupon_of(self.store.get("discount", discount_id))["duration"] != "once"
        ]
        subscription["discounts"] = kept

    def _coupon_of(self, discount: dict) -> dict:
        return self.store.get("coupon", discount["source"]["coupon"])

    def _tax_countries(self) -> dict[str, str | None]:
        """Subscription id -> the country its automatic tax is worked out for (the address entered
        at checkout); subscriptions without automatic tax are not listed."""
        return self.store.internal.setdefault("billing_tax_countries", {})

    def _tax_rate_id(self, country: str | None) -> str:
        """The id of the tax rate Stripe Tax made for `country`, the same on every invoice."""
        ids = self.store.internal.setdefault("billing_tax_rate_ids", {})
        return ids.setdefault(country or "", new_id("txr_"))

    def _apply_discounts(self, lines: list[dict], discounts: list[dict]) -> tuple[list[dict], list[int]]:
        """Each discount's amount, off the lines in turn and shared out over them (each line's
        `discount_amounts`); answers the invoice's `total_discount_amounts` and what each line is
        left at."""
        remaining = [line["amount"] for line in lines]
        totals = []
        for discount in discounts:
            amount = discount_amount(self._coupon_of(discount), sum(remaining))
            totals.append({"amount": amount, "discount": discount["id"]})
            for index, share in enumerate(discount_shares(remaining, amount)):
                lines[index]["discount_amounts"].append({"amount": share, "discount": discount["id"]})
                remaining[index] -= share
        return totals, remaining

    def _invoice(
        self,
        subscription: dict,
        lines: list[dict],
        *,
        billing_reason: str,
        period: tuple[int, int],
        invoice_id: str | None = None,
        preview: bool = False,
        discounts: list[dict] = (),
        shipping: tuple[str, int] | None = None,
    ) -> dict:
        """A draft invoice of `lines` for the subscription's customer, less `discounts`, plus
        `shipping` (rate id, amount) and, with automatic tax, tax on both; stored unless it is a
        `preview`."""
        customer = self.store.get("customer", subscription["customer"])
        invoice_id = invoice_id or new_id("in_")
        for line in lines:
            line["invoice"] = invoice_id
        subtotal = sum(line["amount"] for line in lines)
        total_discounts, taxable = self._apply_discounts(lines, discounts)
        discount = sum(entry["amount"] for entry in total_discounts)
        shipping_amount = shipping[1] if shipping else 0
        taxed = subscription["automatic_tax"]["enabled"]
        total_taxes, shipping_tax = [], 0
        automatic_tax = {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        }
        if taxed:
            country = self._tax_countries().get(subscription["id"])
            rate, rate_id = tax_rate(country), self._tax_rate_id(country)
            for line, amount in zip(lines, taxable, strict=True):
                line["taxes"] = [_tax(amount, rate, rate_id)]
            shipping_tax = tax_amount(shipping_amount, rate)
            total_taxes = [_tax(sum(taxable) + shipping_amount, rate, rate_id)]
            total_taxes[0]["amount"] = sum(line["taxes"][0]["amount"] for line in lines) + shipping_tax
            automatic_tax = {
                "disabled_reason": None,
                "enabled": True,
                "liability": {"account": None, "type": "self"},
                "provider": "stripe",
                "status": "complete",
            }
        tax = sum(entry["amount"] for entry in total_taxes)
        total_excluding_tax = subtotal - discount + shipping_amount
        total = total_excluding_tax + tax
        shipping_cost = shipping and {
            "amount_subtotal": shipping_amount,
            "amount_tax": shipping_tax,
            "amount_total": shipping_amount + shipping_tax,
            "shipping_rate": shipping[0],
            "taxes": [],
        }
        invoice = {
            **_INVOICE_UNUSED,
            "id": invoice_id,
            "object": "invoice",
            "account_country": "US",
            "amount_due": total,
            "amount_overpaid": 0,
            "amount_paid": 0,
            "amount_paid_off_stripe": 0,
            "amount_remaining": total,
            "amount_shipping": shipping_amount,
            "attempt_count": 0,
            "attempted": False,
            "auto_advance": True,
            "automatic_tax": automatic_tax,
            "billing_reason": billing_reason,
            "collection_method": "charge_automatically",
            "created": now(),
            "currency": subscription["currency"],
            "customer": customer["id"],
            "customer_address": customer["address"],
            "customer_email": customer["email"],
            "customer_name": customer["name"],
            "customer_tax_exempt": customer["tax_exempt"],
            "customer_tax_ids": [],
            "default_tax_rates": [],
            "hosted_invoice_url": None,
            "discounts": [discount["id"] for discount in discounts],
            "effective_at": None,
            "ending_balance": None,
            "issuer": {"type": "self"},
            "lines": embedded_list(lines, f"/v1/invoices/{invoice_id}/lines"),
            "livemode": False,
            "metadata": {},
            "next_payment_attempt": None,
            "number": None,
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "metadata": dict(subscription["metadata"]),
                    "subscription": subscription["id"],
                    "subscription_proration_date": None,
                },
            },
            "payment_settings": dict(_NO_PAYMENT_SETTINGS),
            "period_end": period[1],
            "period_start": period[0],
            "post_payment_credit_notes_amount": 0,
            "pre_payment_credit_notes_amount": 0,
            "shipping_cost": shipping_cost,
            "starting_balance": 0,
            "status": "draft",
            "status_transitions": {
                "finalized_at": None,
                "marked_uncollectible_at": None,
                "paid_at": None,
                "voided_at": None,
            },
            "subtotal": subtotal,
            "subtotal_excluding_tax": subtotal,
            "test_clock": customer["test_clock"],
            "total": total,
            "total_discount_amounts": total_discounts,
            "total_excluding_tax": total_excluding_tax,
            "total_pretax_credit_amounts": [],
            "total_taxes": total_taxes,
        }
        return invoice if preview else self.store.add(invoice)

    def _open(self, invoice: dict) -> None:
        """invoice.created, then finalized: numbered, the customer's balance applied, and open
        for payment."""
        self.store.emit("invoice.created", invoice)
        self.apply_balance(invoice)
        customer = self.store.get("customer", invoice["customer"])
        number = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
        customer["next_invoice_sequence"] += 1
        finalized = now()
        self.store.update(
            invoice,
            {
                "number": number,
                # Stripe's hosted invoice page exists from finalization on.
                "hosted_invoice_url": self._invoice_url(invoice["id"]),
                "status": "open",
                "effective_at": finalized,
                "status_transitions": {**invoice["status_transitions"], "finalized_at": finalized},
            },
        )
        self.store.emit("invoice.finalized", invoice)

    # Prorations, customer balance and paused collection (see subscription_changes)

    def pending_lines(self, subscription_id: str) -> list[dict]:
        """The proration lines waiting for the subscription's next invoice (a live list)."""
        pending = self.store.internal.setdefault("pending_invoice_lines", {})
        return pending.setdefault(subscription_id, [])

    def updates_if_paid(self) -> dict[str, dict]:
        """Invoice id -> the subscription changes applied once it is paid (a pending update)."""
        return self.store.internal.setdefault("updates_if_paid", {})

    def _apply_update_paid_for(self, invoice: dict) -> None:
        changes = self.updates_if_paid().pop(invoice["id"], None)
        if changes is None:
            return
        subscription = self.store.get("subscription", _subscription_id(invoice))
        was_pending = subscription["pending_update"] is not None
        self.store.update(subscription, {**changes, "pending_update": None}, "customer.subscription.updated")
        if was_pending:
            self.store.emit("customer.subscription.pending_update_applied", subscription)

    def _expire_pending_update(self, subscription: dict) -> None:
        """Nobody paid for the pending update in time: its invoice is voided and it is dropped."""
        for invoice_id in [i for i in self.updates_if_paid() if self._bills(i, subscription)]:
            del self.updates_if_paid()[invoice_id]
            invoice = self.store.get("invoice", invoice_id)
            if invoice["status"] == "open":
                self._void(invoice)
        self.store.update(subscription, {"pending_update": None}, "customer.subscription.updated")
        self.store.emit("customer.subscription.pending_update_expired", subscription)

    def _bills(self, invoice_id: str, subscription: dict) -> bool:
        return _subscription_id(self.store.get("invoice", invoice_id)) == subscription["id"]

    def _void(self, invoice: dict) -> None:
        self.store.update(
            invoice,
            {
                "status": "void",
                "auto_advance": False,
                "next_payment_attempt": None,
                "status_transitions": {**invoice["status_transitions"], "voided_at": now()},
            },
        )
        self._first_failures().pop(invoice["id"], None)
        self.store.emit("invoice.voided", invoice)

    def apply_balance(self, invoice: dict, *, preview: bool = False) -> None:
        """Use up the customer's credit balance (negative) on the invoice, and keep as credit
        what a negative invoice leaves over, as Stripe does when it finalizes an invoice."""
        customer = self.store.get("customer", invoice["customer"])
        starting = customer["balance"]
        ending = invoice["total"] + starting
        due = max(0, ending)
        invoice.update(
            starting_balance=starting,
            ending_balance=min(0, ending) if not preview else None,
            amount_due=due,
            amount_remaining=due,
        )
        if not preview and customer["balance"] != min(0, ending):
            self.store.update(customer, {"balance": min(0, ending)}, "customer.updated")

    def _collect_paused(self, invoice: dict, behavior: str) -> None:
        """A renewal while collection is paused: the invoice is left a draft, or finalized and
        voided, or marked uncollectible; the customer is not charged."""
        if behavior == "keep_as_draft":
            self.store.update(invoice, {"auto_advance": False})
            self.store.emit("invoice.created", invoice)
            return
        self._open(invoice)
        at = now()
        if behavior == "void":
            self._void(invoice)
        else:
            self.store.update(
                invoice,
                {
                    "status": "uncollectible",
                    "auto_advance": False,
                    "status_transitions": {**invoice["status_transitions"], "marked_uncollectible_at": at},
                },
            )
            self.store.emit("invoice.marked_uncollectible", invoice)

    def _resume_collection(self, subscription: dict) -> None:
        self.store.update(subscription, {"pause_collection": None}, "customer.subscription.updated")

    # Payments

    def collect(self, invoice: dict, *, on_session: bool = False) -> None:
        """Charge what the invoice still asks with its subscription's default payment method
        (`on_session`: the customer is there, as at checkout)."""
        if invoice["amount_remaining"] == 0:
            self._paid(invoice)
            return
        subscription = self.store.get("subscription", _subscription_id(invoice))
        method = self.store.get("payment_method", subscription["default_payment_method"])
        payment = self._payment_of(invoice)
        intent = self.store.get("payment_intent", payment["payment"]["payment_intent"])
        self.store.update(invoice, {"attempted": True, "attempt_count": invoice["attempt_count"] + 1})
        status = self.payments.charge_saved_method(intent, method, on_session=on_session)
        if status == "succeeded":
            self.store.update(
                payment,
                {
                    "amount_paid": intent["amount"],
                    "status": "paid",
                    "status_transitions": {**payment["status_transitions"], "paid_at": now()},
                },
            )
            self.store.emit("invoice_payment.paid", payment)
            self._paid(invoice)
        elif status == "requires_action":
            # The customer must authenticate; Stripe does not retry such a payment by itself.
            self.store.update(invoice, {"next_payment_attempt": None}, "invoice.updated")
            self.store.emit("invoice.payment_action_required", invoice)
            self._fall_past_due(subscription, invoice)
        else:
            self._payment_failed(invoice, subscription)

    def _payment_of(self, invoice: dict) -> dict:
        """The invoice's default payment, its payment intent created on the first attempt."""
        for payment in self.store.all("invoice_payment"):
            if payment["invoice"] == invoice["id"]:
                return payment
        intent = self.payments.create_intent(
            amount=invoice["amount_remaining"],
            currency=invoice["currency"],
            customer=invoice["customer"],
            metadata={},
        )
        return self.store.add(
            {
                "id": new_id("inpay_"),
                "object": "invoice_payment",
                "amount_paid": None,
                "amount_requested": invoice["amount_remaining"],
                "created": now(),
                "currency": invoice["currency"],
                "invoice": invoice["id"],
                "is_default": True,
                "livemode": False,
                "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
                "status": "open",
                "status_transitions": {"canceled_at": None, "paid_at": None},
            }
        )

    def _paid(self, invoice: dict) -> None:
        paid_at = now()
        self.store.update(
            invoice,
            {
                "amount_paid": invoice["amount_due"],
                "amount_remaining": 0,
                "attempted": True,
                "auto_advance": False,
                "next_payment_attempt": None,
                "status": "paid",
                "status_transitions": {**invoice["status_transitions"], "paid_at": paid_at},
            },
        )
        self._first_failures().pop(invoice["id"], None)
        self.store.emit("invoice.paid", invoice)
        self.store.emit("invoice.payment_succeeded", invoice)
        self._apply_update_paid_for(invoice)
        subscription = self.store.get("subscription", _subscription_id(invoice))
        if subscription["status"] in ("past_due", "unpaid"):
            self.store.update(subscription, {"status": "active"}, "customer.subscription.updated")

    def _payment_failed(self, invoice: dict, subscription: dict) -> None:
        """A declined attempt: the next one on the retry schedule, or the subscription ends (or is
        left unpaid) after the last."""
        first = self._first_failures().setdefault(invoice["id"], now())
        retries_done = invoice["attempt_count"] - 1
        next_attempt = None
        if retries_done < len(RETRY_DAYS):
            next_attempt = first + RETRY_DAYS[retries_done] * _DAY
        self.store.update(invoice, {"next_payment_attempt": next_attempt}, "invoice.updated")
        self.store.emit("invoice.payment_failed", invoice)
        if next_attempt is not None or subscription["status"] == "canceled":
            self._fall_past_due(subscription, invoice)
        elif self.after_failed_retries == "cancel":
            self.subscriptions.end(
                subscription, {**subscription["cancellation_details"], "reason": "payment_failed"}
            )
        else:
            self.store.update(subscription, {"status": "unpaid"}, "customer.subscription.updated")

    def _fall_past_due(self, subscription: dict, invoice: dict) -> None:
        # An unpaid pending update leaves the subscription as it was: it cycles as if not asked.
        if invoice["id"] in self.updates_if_paid():
            return
        if subscription["status"] in ("active", "trialing"):
            self.store.update(subscription, {"status": "past_due"}, "customer.subscription.updated")

    def pay_on_page(self, invoice_id: str) -> dict:
        """The customer pays an open invoice on its hosted page, in person."""
        invoice = self.store.get("invoice", invoice_id)
        if invoice["status"] != "open":
            raise StripeError(f"Invoice {invoice_id} is {invoice['status']}, not open.")
        self.collect(invoice, on_session=True)
        return invoice

    def retry_open_invoices(self, subscription: dict) -> None:
        """Charge the subscription's unpaid invoices now (after the customer changed the card)."""
        for invoice in self._invoices_of(subscription["id"]):
            if invoice["status"] == "open":
                self.collect(invoice, on_session=True)

    def _invoices_of(self, subscription_id: str) -> list[dict]:
        """Oldest first."""
        return [i for i in reversed(self.store.all("invoice")) if _subscription_id(i) == subscription_id]

    def _payments_list(self, invoice: dict) -> dict:
        payments = [p for p in self.store.all("invoice_payment") if p["invoice"] == invoice["id"]]
        return embedded_list(payments, f"/v1/invoice_payments?invoice={invoice['id']}")

    # API endpoints

    def retrieve_invoice(self, params: Params, invoice_id: str) -> dict:
        return self.store.get("invoice", invoice_id)

    def list_invoices(self, params: Params) -> dict:
        params.allow("customer", "subscription", "status", "limit", "starting_after", "ending_before")
        invoices = self.store.all("invoice")
        status = params.string("status", choices=("draft", "open", "paid", "uncollectible", "void"))
        if status:
            invoices = [i for i in invoices if i["status"] == status]
        if params.has("customer"):
            invoices = [i for i in invoices if i["customer"] == params.string("customer")]
        if params.has("subscription"):
            invoices = [i for i in invoices if _subscription_id(i) == params.string("subscription")]
        return list_object(invoices, params, "/v1/invoices", "invoice")

    def invoice_lines(self, params: Params, invoice_id: str) -> dict:
        params.allow("limit", "starting_after", "ending_before")
        invoice = self.store.get("invoice", invoice_id)
        return list_object(invoice["lines"]["data"], params, f"/v1/invoices/{invoice_id}/lines", "line_item")

    def retrieve_invoice_payment(self, params: Params, payment_id: str) -> dict:
        return self.store.get("invoice_payment", payment_id)

    def list_invoice_payments(self, params: Params) -> dict:
        params.allow("invoice", "payment", "status", "limit", "starting_after", "ending_before")
        payments = self.store.all("invoice_payment")
        if params.has("invoice"):
            payments = [p for p in payments if p["invoice"] == params.string("invoice")]
        if params.has("status"):
            status = params.string("status", choices=("canceled", "open", "paid"))
            payments = [p for p in payments if p["status"] == status]
        payment = params.hash("payment")
        if payment:
            payment.allow("type", "payment_intent", "payment_record")
            kind = payment.string("type", required=True, choices=("payment_intent", "payment_record"))
            payments = [p for p in payments if p["payment"]["type"] == kind]
            if payment.has(kind):
                payments = [p for p in payments if p["payment"].get(kind) == payment.string(kind)]
        return list_object(payments, params, "/v1/invoice_payments", "invoice_payment")


def _tax(taxable: int, rate: int, rate_id: str) -> dict:
    """Stripe Tax's exclusive tax on `taxable` at `rate` percent, as a line or invoice reports it."""
    return {
        "amount": tax_amount(taxable, rate),
        "tax_behavior": "exclusive",
        "tax_rate_details": {"tax_rate": rate_id},
        "taxability_reason": "standard_rated" if rate else "not_collecting",
        "taxable_amount": taxable,
        "type": "tax_rate_details",
    }


def _describe(quantity: int, name: str, price: dict) -> str:
    """A subscription line as Stripe words it: the quantity, the product and its price per interval."""
    recurring = price["recurring"]
    count, interval = recurring["interval_count"], recurring["interval"]
    per = f"/ {interval}" if count == 1 else f"every {count} {interval}s"
    return f"{quantity} × {name} (at {format_money(price['unit_amount'], price['currency'])} {per})"


def _subscription_id(invoice: dict) -> str:
    return invoice["parent"]["subscription_details"]["subscription"]


def _next_period_end(subscription: dict, start: int) -> int:
    """The end of the period starting at `start`: the next whole number of intervals from the
    billing cycle anchor."""
    recurring = subscription["items"]["data"][0]["price"]["recurring"]
    anchor, periods = subscription["billing_cycle_anchor"], 1
    while (
        end := add_interval(anchor, recurring["interval"], recurring["interval_count"] * periods)
    ) <= start:
        periods += 1
    return end


def _line(
    subscription: dict,
    price: dict,
    quantity: int,
    amount: int,
    description: str,
    period: tuple[int, int],
    *,
    item: dict | None = None,
) -> dict:
    """An invoice line: a subscription item's, or a one-time price's invoice item."""
    details = {
        "invoice_item": None if item else new_id("ii_"),
        "proration": False,
        "proration_details": {"credited_items": None},
        "subscription": subscription["id"],
    }
    if item:
        parent = {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {**details, "subscription_item": item["id"]},
        }
    else:
        parent = {
            "type": "invoice_item_details",
            "invoice_item_details": details,
            "subscription_item_details": None,
        }
    return {
        "id": new_id("il_"),
        "object": "line_item",
        "amount": amount,
        "currency": price["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "parent": parent,
        "period": {"end": period[1], "start": period[0]},
        "pretax_credit_amounts": [],
        "pricing": {
            "type": "price_details",
            "price_details": {"price": price["id"], "product": price["product"]},
            "unit_amount_decimal": price["unit_amount_decimal"],
        },
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "subscription": subscription["id"],
        "subtotal": amount,
        "taxes": [],
    }

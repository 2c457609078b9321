"""The shop's copy of each Stripe subscription, kept in step by Stripe's events (payments.subscriptions).

Stripe owns a subscription's state: the shop never moves a status itself, it asks Stripe for a
change (through shop.payment_gateway) and copies what Stripe answers, so the copy is always one
Stripe had.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from catalog.billing import add_interval

# How many renewals after the next one a pause offers to restart with.
RESTART_CHOICES = 6


class SubscriptionStatus(models.TextChoices):
    # Stripe's values; the labels are what a customer reads.
    TRIALING = "trialing", "Free trial"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Payment overdue"
    CANCELED = "canceled", "Cancelled"
    UNPAID = "unpaid", "Unpaid"
    INCOMPLETE = "incomplete", "Awaiting first payment"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Expired before the first payment"
    PAUSED = "paused", "Paused"


@dataclass(frozen=True)
class RenewalChange:
    """One item's plan as this period was paid for (`paid`) and as the next renewal bills it (`then`)."""

    paid: dict
    then: dict

    @property
    def paid_amount(self) -> int:
        return item_amount(self.paid)

    @property
    def then_amount(self) -> int:
        return item_amount(self.then)


def item_amount(item: dict) -> int:
    """What one billing period of a subscription item (the `items` shape) costs, in minor units."""
    return item["unit_amount"] * item["quantity"]


def same_plan(item: dict, other: dict) -> bool:
    """Whether two subscription items (the `items` shape) bill the same price and quantity."""
    return (item["stripe_price_id"], item["quantity"]) == (other["stripe_price_id"], other["quantity"])


class Subscription(models.Model):
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subscriptions",
    )
    # The address Stripe holds for the customer: a guest's subscription follows it to their account.
    customer_email = models.EmailField(blank=True)
    status = models.CharField(max_length=20, choices=SubscriptionStatus.choices)
    # What is subscribed, one dict per Stripe subscription item: product_name, price_id (ours, or
    # None), stripe_price_id, unit_amount (minor units), currency, interval, interval_count, quantity.
    items = models.JSONField(default=list, blank=True)
    currency = models.CharField(max_length=3)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    # Renewals fall whole intervals from it (months clamped from its day, as Stripe counts them).
    billing_cycle_anchor = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    # When a scheduled cancellation takes effect: the period's end, or a date Stripe's portal or
    # dashboard chose (Stripe sets `cancel_at` in both cases).
    cancel_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    latest_invoice_id = models.CharField(max_length=255, blank=True)
    # Stripe's pause_collection: while set, renewals are not charged (nor shipped) until
    # `pause_resumes_at`, or until resumed when that is empty.
    pause_behavior = models.CharField(max_length=20, blank=True)
    pause_resumes_at = models.DateTimeField(null=True, blank=True)
    # What the current period was paid at, kept when the shop lowers the plan from the next period
    # (Stripe bills the lower price from then, but holds it at once): the items as they were paid
    # for (the `items` shape) and the end of the period they paid; stale once that period ended.
    paid_items = models.JSONField(default=list, blank=True)
    paid_period_end = models.DateTimeField(null=True, blank=True)
    # When the Stripe copy the record holds was asked for: an older copy (a webhook that read
    # Stripe before the subscriber's own change landed) is never written over it.
    stripe_read_at = models.DateTimeField(null=True, blank=True)
    # Where renewal orders ship, when the customer changed it; else the first order's address.
    shipping_name = models.CharField(max_length=200, blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    # The checkout order that started it (Stripe's metadata order_number, set by payments.checkout).
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # Statuses in which the customer still gets what they pay for and Stripe will charge again.
    LIVE_STATUSES = frozenset(
        {SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE}
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "status"], name="subscription_user_status"),
            models.Index(fields=["status"], name="subscription_status"),
            models.Index(fields=["customer_email"], name="subscription_customer_email"),
        ]
        permissions = [
            ("cancel_subscription", "Can cancel subscriptions through Stripe"),
            ("manage_subscription", "Can pause, skip and resume subscriptions through Stripe"),
        ]

    def __str__(self):
        return f"{self.product_names or 'Subscription'} ({self.stripe_subscription_id})"

    def get_absolute_url(self):
        return reverse("subscriptions:detail", kwargs={"subscription_id": self.stripe_subscription_id})

    @property
    def product_names(self) -> str:
        return ", ".join(item["product_name"] for item in self.product_items if item.get("product_name"))

    @property
    def product_items(self) -> list[dict]:
        """The items but the recurring shipping line (payments.subscriptions)."""
        return [item for item in self.items if not item.get("is_shipping")]

    @property
    def amount_per_period(self) -> int:
        """Return what one billing period of the items costs, in minor units, before any discount."""
        return sum(map(item_amount, self.items))

    @property
    def items_paid(self) -> list[dict]:
        """The items as the current period was paid for: as they were before the shop lowered the
        plan from the next period, else as Stripe bills them."""
        if self.paid_items and self.paid_period_end == self.current_period_end:
            return self.paid_items
        return self.items

    def item_paid(self, stripe_item_id: str) -> dict | None:
        return next((i for i in self.items_paid if i.get("stripe_item_id") == stripe_item_id), None)

    @property
    def amount_paid_per_period(self) -> int:
        """What one period of the items as paid for costs (`amount_per_period` of `items_paid`)."""
        return sum(map(item_amount, self.items_paid))

    @property
    def changes_at_renewal(self) -> list[RenewalChange]:
        """The items whose plan changes at the next renewal: as paid for now, and as billed then."""
        paid = {item.get("stripe_item_id"): item for item in self.items_paid}
        return [
            RenewalChange(paid=paid[item.get("stripe_item_id")], then=item)
            for item in self.items
            if item.get("stripe_item_id") in paid and not same_plan(paid[item.get("stripe_item_id")], item)
        ]

    @property
    def interval_label(self) -> str:
        """Return how often it is billed, in words: "month", "3 months"."""
        if not self.items:
            return ""
        interval, count = self.items[0]["interval"], self.items[0]["interval_count"]
        return interval if count == 1 else f"{count} {interval}s"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES

    @property
    def ends_at(self):
        """Return when a live subscription set to end will end, or None."""
        if not self.is_live:
            return None
        if self.cancel_at is not None:
            return self.cancel_at
        return self.current_period_end if self.cancel_at_period_end else None

    @property
    def next_charge_at(self):
        """Return when Stripe charges next, or None when it will not (cancelled, ending, or paused
        until resumed)."""
        if not self.is_live or self.ends_at is not None:
            return None
        if self.pause_behavior:
            return self.renewal_after_pause
        return self.current_period_end

    @property
    def renewal_after_pause(self):
        """Return the first renewal a pause lets through: the first period end on or after
        `pause_resumes_at`; None while paused until resumed."""
        if not self.pause_resumes_at or not self.current_period_end:
            return None
        return next(renewal for renewal in self.renewals() if renewal >= self.pause_resumes_at)

    def renewals(self):
        """Yield the renewals from the current period's end on: whole intervals from the billing
        cycle anchor (from the period's end for a copy read before the anchor was kept)."""
        interval, count = self.items[0]["interval"], self.items[0]["interval_count"]
        anchor = self.billing_cycle_anchor or self.current_period_end
        yield self.current_period_end
        periods = 1
        while True:
            renewal = add_interval(anchor, interval, count * periods)
            if renewal > self.current_period_end:
                yield renewal
            periods += 1

    def restart_choices(self) -> list:
        """Return the renewals a pause can restart with: the RESTART_CHOICES after the next one."""
        if not self.current_period_end or not self.items:
            return []
        renewals = self.renewals()
        next(renewals)
        return [next(renewals) for _ in range(RESTART_CHOICES)]

    @property
    def is_paused(self) -> bool:
        return self.is_live and bool(self.pause_behavior)

    @property
    def can_change(self) -> bool:
        """Whether the customer may change its plan, quantity, pause or address."""
        return self.is_live and self.ends_at is None

    @property
    def can_change_plan(self) -> bool:
        """Whether the customer may change its plan or quantity: not while collection is paused,
        whose voided invoices would void the charge of an upgrade too."""
        return self.can_change and not self.is_paused

    @property
    def delivery_address(self) -> tuple[str, dict]:
        """Return (name, address) renewal orders ship to: the one set here, else the first order's."""
        if self.shipping_address:
            return self.shipping_name, self.shipping_address
        if self.order_id:
            return self.order.shipping_name, self.order.shipping_address
        return "", {}

    @property
    def can_cancel(self) -> bool:
        return self.is_live and self.ends_at is None

    @property
    def can_resume(self) -> bool:
        return self.ends_at is not None


class PlanFamily(models.Model):
    """Products staff group as plans of one subscription ("Coffee club: 1 bag / 2 bags"): a
    subscriber can move between the recurring prices of all of them."""

    name = models.CharField(max_length=200)
    products = models.ManyToManyField("catalog.Product", related_name="plan_families")

    class Meta:
        verbose_name_plural = "plan families"

    def __str__(self):
        return self.name


class SubscriptionEmailKind(models.TextChoices):
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    # A renewal the card's bank wants the customer to confirm (3-D Secure); Stripe does not retry it.
    PAYMENT_ACTION_REQUIRED = "payment_action_required", "Payment to confirm"
    TRIAL_ENDING = "trial_ending", "Trial ending"


class SubscriptionEmail(models.Model):
    """One email sent about a subscription; unique per kind and reference (the invoice, or the
    trial's end), so repeated events send it once."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=30, choices=SubscriptionEmailKind.choices)
    reference = models.CharField(max_length=255)
    recipient = models.EmailField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "kind", "reference"], name="subscription_email_once"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.reference}"

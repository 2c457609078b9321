import logging
import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from catalog.billing import BillingLine, PaymentSchedule, payment_schedule
from catalog.models import BillingInterval, PriceType, item_display_name
from orders.exceptions import InvalidStatusTransition
from shop.money import format_money

logger = logging.getLogger(__name__)


class OrderStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    PROCESSING = "PROCESSING", "Processing"
    COMPLETED = "COMPLETED", "Completed"
    FAILED = "FAILED", "Failed"
    CANCELLED = "CANCELLED", "Cancelled"
    REFUNDED = "REFUNDED", "Refunded"


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    PAID = "PAID", "Paid"
    FAILED = "FAILED", "Failed"
    REFUNDED = "REFUNDED", "Refunded"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED", "Partially refunded"
    REQUIRES_PAYMENT_METHOD = "REQUIRES_PAYMENT_METHOD", "Requires payment method"
    REQUIRES_CONFIRMATION = "REQUIRES_CONFIRMATION", "Requires confirmation"
    REQUIRES_ACTION = "REQUIRES_ACTION", "Requires action"
    # Values are Stripe's spelling; labels the shop's British English.
    CANCELED = "CANCELED", "Cancelled"


class FulfillmentStatus(models.TextChoices):
    UNFULFILLED = "UNFULFILLED", "Unfulfilled"
    FULFILLED = "FULFILLED", "Fulfilled"
    SHIPPED = "SHIPPED", "Shipped"
    DELIVERED = "DELIVERED", "Delivered"
    RETURNED = "RETURNED", "Returned"


# The three pipelines, as data: each status maps to the statuses allowed next. Only
# Order.set_status() moves a status, so a late or repeated event can never move one backwards.
_AWAITING_PAYMENT = {
    PaymentStatus.PENDING,
    PaymentStatus.REQUIRES_PAYMENT_METHOD,
    PaymentStatus.REQUIRES_CONFIRMATION,
    PaymentStatus.REQUIRES_ACTION,
}
PIPELINES = {
    "status": {
        OrderStatus.PENDING: {OrderStatus.PROCESSING, OrderStatus.FAILED, OrderStatus.CANCELLED},
        OrderStatus.PROCESSING: {OrderStatus.COMPLETED, OrderStatus.FAILED, OrderStatus.REFUNDED},
        OrderStatus.COMPLETED: {OrderStatus.REFUNDED},
        OrderStatus.FAILED: set(),
        OrderStatus.CANCELLED: set(),
        # Back, only when a refund Stripe reported succeeded fails after all.
        OrderStatus.REFUNDED: {OrderStatus.PROCESSING, OrderStatus.COMPLETED},
    },
    "payment_status": {
        **{
            waiting: (_AWAITING_PAYMENT - {waiting, PaymentStatus.PENDING})
            | {PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.CANCELED}
            for waiting in _AWAITING_PAYMENT
        },
        PaymentStatus.PAID: {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED},
        # Back, only when a refund Stripe reported succeeded fails after all.
        PaymentStatus.PARTIALLY_REFUNDED: {PaymentStatus.REFUNDED, PaymentStatus.PAID},
        PaymentStatus.FAILED: set(),
        PaymentStatus.CANCELED: set(),
        PaymentStatus.REFUNDED: {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.PAID},
    },
    "fulfillment_status": {
        # Packing first (FULFILLED) is optional: an order ships in one step.
        FulfillmentStatus.UNFULFILLED: {FulfillmentStatus.FULFILLED, FulfillmentStatus.SHIPPED},
        FulfillmentStatus.FULFILLED: {FulfillmentStatus.SHIPPED},
        FulfillmentStatus.SHIPPED: {FulfillmentStatus.DELIVERED, FulfillmentStatus.RETURNED},
        FulfillmentStatus.DELIVERED: {FulfillmentStatus.RETURNED},
        FulfillmentStatus.RETURNED: set(),
    },
}


class OrderQuerySet(models.QuerySet):
    def paid_like(self):
        """Filter orders whose money was taken, refunded since or not."""
        return self.filter(payment_status__in=Order.PAID_LIKE_STATUSES)

    def paid_since(self, moment: datetime):
        """Filter orders paid at `moment` or later (refunded since included)."""
        return self.paid_like().filter(paid_at__gte=moment)

    def awaiting_fulfilment(self):
        """Filter paid orders not shipped yet, packed (FULFILLED) or not, that have goods to ship."""
        return self.filter(
            payment_status__in=Order.REFUNDABLE_STATUSES,
            fulfillment_status__in=Order.AWAITING_FULFILMENT_STATUSES,
        ).exclude(**{f"metadata__{NOTHING_TO_SHIP_KEY}": True})

    def not_cancelled(self):
        """Leave out the checkouts that ended unpaid."""
        return self.exclude(status=OrderStatus.CANCELLED)

    def with_open_dispute(self):
        """Filter orders whose payment the cardholder disputes and the bank has not decided yet."""
        return self.filter(**{f"metadata__{DISPUTE_KEY}__status__in": sorted(Order.OPEN_DISPUTE_STATUSES)})

    def needing_attention(self):
        """Filter orders carrying notes for staff to look into (orders.services.order_flag_for_staff)."""
        return self.filter(**{f"metadata__{STAFF_ATTENTION_KEY}__isnull": False})

    def with_dispute(self, status: str):
        """Filter orders whose dispute has Stripe's `status` (won, lost, ...)."""
        return self.filter(**{f"metadata__{DISPUTE_KEY}__status": status})


# Where an order keeps the dispute of its payment, as Stripe last reported it.
DISPUTE_KEY = "dispute"
# The key, in an order's metadata, of the notes staff must look into.
STAFF_ATTENTION_KEY = "needs_staff_attention"
# The key, in a subscription order's metadata, of why Stripe billed its invoice (its billing_reason).
BILLING_REASON_KEY = "billing_reason"
# The key, in an order's metadata, of the credits its invoice took off for unused time: a list of
# {"description": Stripe's wording, "amount": minor units}. They are no discount: nothing was offered.
CREDITS_KEY = "credits"
# The key, in an order's metadata, set (True) on an order nothing ships for: a plan change's charge
# for the rest of a period (the renewals ship the plan), or digital goods and services only. Its
# fulfilment status stays as created.
NOTHING_TO_SHIP_KEY = "nothing_to_ship"


def _new_order_number():
    return "ORD-" + secrets.token_hex(4).upper()


class Order(models.Model):
    number = models.CharField(max_length=20, unique=True, default=_new_order_number, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    cart = models.ForeignKey(
        "cart.Cart", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    # Kept when the user is deleted, so the order still names its customer.
    customer_email = models.EmailField(blank=True)
    customer_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    payment_status = models.CharField(
        max_length=30, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    fulfillment_status = models.CharField(
        "fulfilment status",
        max_length=20,
        choices=FulfillmentStatus.choices,
        default=FulfillmentStatus.UNFULFILLED,
    )
    currency = models.CharField(max_length=3)
    # Amounts in minor units; after payment they are Stripe's figures, not our cart's.
    amount_subtotal = models.PositiveIntegerField(default=0)
    amount_discount = models.PositiveIntegerField(default=0)
    amount_tax = models.PositiveIntegerField(default=0)
    amount_shipping = models.PositiveIntegerField(default=0)
    # The name of the shipping rate the shopper chose on Stripe's page, as it was then.
    shipping_rate_name = models.CharField("shipping method", max_length=100, blank=True)
    amount_total = models.PositiveIntegerField(default=0)
    refunded_amount = models.PositiveIntegerField(default=0)
    refund_reason = models.CharField(max_length=255, blank=True)
    stripe_checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    # The invoice whose payment this order records: a subscription's first invoice, or a renewal's.
    stripe_invoice_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    # A renewal's first order: the checkout that started the subscription.
    renewal_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewals"
    )
    billing_address = models.JSONField(default=dict, blank=True)
    shipping_name = models.CharField(max_length=200, blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    # The promotion code the shopper typed on Stripe's page, named beside the discount.
    discount_code = models.CharField(max_length=40, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    # Payment statuses once the money was taken, refunded since or not.
    PAID_LIKE_STATUSES = frozenset(
        {PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
    )
    # Payment statuses with money still held: what can be refunded, and what is shipped.
    REFUNDABLE_STATUSES = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED})
    # Fulfilment statuses of a paid order whose goods are still to send: packed or not, not shipped.
    AWAITING_FULFILMENT_STATUSES = frozenset({FulfillmentStatus.UNFULFILLED, FulfillmentStatus.FULFILLED})
    # Stripe's dispute statuses before the bank decides (an inquiry, a chargeback, an appeal).
    OPEN_DISPUTE_STATUSES = frozenset(
        {
            "warning_needs_response",
            "warning_under_review",
            "needs_response",
            "under_review",
            "appeal_needs_response",
            "appeal_under_review",
        }
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="order_user_newest"),
            models.Index(fields=["customer_email"], name="order_customer_email"),
            models.Index(fields=["status"], name="order_status"),
            models.Index(fields=["payment_status"], name="order_payment_status"),
            models.Index(fields=["fulfillment_status"], name="order_fulfillment_status"),
            models.Index(fields=["-created_at"], name="order_created_at"),
            # Orders paid, and shipped, lately: revenue and the hourly catch-up of their emails.
            models.Index(fields=["paid_at"], name="order_paid_at"),
            models.Index(fields=["shipped_at"], name="order_shipped_at"),
            models.Index(fields=["stripe_subscription_id", "-created_at"], name="order_subscription"),
        ]
        permissions = [
            ("refund_order", "Can refund orders through Stripe"),
            ("fulfil_order", "Can mark orders fulfilled, shipped, delivered or returned"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("orders:detail", kwargs={"number": self.number})

    @property
    def dispute(self) -> dict | None:
        """Return the payment's dispute (id, status, amount, currency, reason, due_by), if any."""
        return self.metadata.get(DISPUTE_KEY)

    @property
    def is_renewal(self):
        """Whether the order records a subscription's renewal payment rather than a checkout."""
        return self.renewal_of_id is not None

    @property
    def is_plan_change(self):
        """Whether the order records the charge of a subscription's plan change rather than a renewal."""
        return self.is_renewal and self.metadata.get(BILLING_REASON_KEY) == "subscription_update"

    @property
    def needs_fulfilment(self) -> bool:
        """Whether goods ship for the order: not for a plan change's charge for the rest of a period,
        nor for digital goods and services only."""
        return not self.metadata.get(NOTHING_TO_SHIP_KEY)

    def get_fulfilment_display(self) -> str:
        """Return the fulfilment status in words, "Nothing to ship" for an order nothing ships for."""
        return self.get_fulfillment_status_display() if self.needs_fulfilment else "Nothing to ship"

    @property
    def credits(self) -> list[dict]:
        """Return the credits for unused time taken off the order, each {"description", "amount"}."""
        return self.metadata.get(CREDITS_KEY) or []

    @property
    def is_paid(self):
        """Return True while the order holds the shopper's money (paid, not all of it refunded)."""
        return self.payment_status in self.REFUNDABLE_STATUSES

    @cached_property
    def subscription(self):
        """Return the record of the Stripe subscription the order started or renews, or None.

        Read through the reverse accessor of Subscription.order (the checkout's order): orders sits
        below subscriptions and imports nothing of it.
        """
        if not self.stripe_subscription_id:
            return None
        first = self.renewal_of if self.is_renewal else self
        return first.subscriptions.filter(stripe_subscription_id=self.stripe_subscription_id).first()

    def payment_schedule(self) -> PaymentSchedule:
        """Return what the checkout charged at once (Stripe's total) and what recurs, from when.

        Once Stripe's subscription is recorded its next charge is the date (its trial, a test clock
        or a change may have moved it from the one worked out from the payment's day); before, and
        for an order of no subscription, the date is worked out as the cart's is.
        """
        start = timezone.localdate(self.paid_at or self.created_at)
        lines = [item.billing_line for item in self.items.all()]
        schedule = payment_schedule(lines, start=start).with_due_today(self.amount_total)
        if self.subscription is None:
            return schedule
        if self.is_plan_change:
            # The order's lines are the change's prorations; what recurs is the plan as it is now.
            schedule = schedule.with_recurring_amount(self.subscription.amount_per_period)
        next_charge = self.subscription.next_charge_at
        return schedule.with_next_charge(timezone.localdate(next_charge) if next_charge else None)

    def allowed_statuses(self, field) -> frozenset:
        """Return the statuses that `field` ("status", "payment_status" or "fulfillment_status")
        may move to next, as set_status() enforces."""
        return frozenset(PIPELINES[field][getattr(self, field)])

    @property
    def awaits_bank_payment(self):
        """Whether the checkout ended with a bank payment (a debit or transfer) still on its way."""
        # Stripe's payment intent reaches the order only once the checkout is complete.
        return (
            self.status == OrderStatus.PENDING
            and self.payment_status == PaymentStatus.PENDING
            and bool(self.stripe_payment_intent_id)
        )

    def set_status(self, field, new_status, *, note="", **changes):
        """Move one of the three statuses along its pipeline and record the change.

        Return False when the order already has `new_status` (a repeated event); raise
        InvalidStatusTransition for any move the pipeline does not allow. The write is
        conditional on the old status, so two concurrent moves cannot both apply.
        """
        old_status = getattr(self, field)
        if old_status == new_status:
            return False
        if new_status not in self.allowed_statuses(field):
            logger.warning("order %s: refused %s move %s -> %s", self.number, field, old_status, new_status)
            raise InvalidStatusTransition(self, field, old_status, new_status)
        now = timezone.now()
        updated = Order.objects.filter(pk=self.pk, **{field: old_status}).update(
            **{field: new_status, "updated_at": now, **changes}
        )
        if not updated:
            self.refresh_from_db()
            raise InvalidStatusTransition(self, field, old_status, new_status, concurrent=True)
        for name, value in {field: new_status, "updated_at": now, **changes}.items():
            setattr(self, name, value)
        OrderStatusChange.objects.create(
            order=self, field=field, old_status=old_status, new_status=new_status, note=note
        )
        return True

    set_status.alters_data = True


class OrderItem(models.Model):
    """A line of an order, with a snapshot of what was bought so history survives catalog changes."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="order_items"
    )
    price = models.ForeignKey(
        "catalog.Price", null=True, blank=True, on_delete=models.SET_NULL, related_name="order_items"
    )
    product_name = models.CharField(max_length=200)
    # The variant's options when ordered (Variant.label, "M, Black"); empty for a product's one item.
    variant_name = models.CharField("variant", max_length=200, blank=True)
    unit_amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    quantity = models.PositiveIntegerField()
    price_type = models.CharField(max_length=20, choices=PriceType.choices)
    recurring_interval = models.CharField(max_length=10, choices=BillingInterval.choices, blank=True)
    recurring_interval_count = models.PositiveSmallIntegerField(default=1)
    trial_period_days = models.PositiveSmallIntegerField(null=True, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    amount_total = models.PositiveIntegerField(help_text="Line total in minor units.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.quantity} × {self.name}"

    @property
    def name(self) -> str:
        """Return what was bought as the shop names it: "Organic Cotton T-Shirt (M, Black)"."""
        return item_display_name(self.product_name, self.variant_name)

    @property
    def billing_line(self) -> BillingLine:
        """Return the item as the payment schedule reads it."""
        recurring = self.price_type == PriceType.RECURRING
        return BillingLine(
            unit_amount=self.unit_amount,
            quantity=self.quantity,
            currency=self.currency,
            recurring_interval=self.recurring_interval if recurring else "",
            recurring_interval_count=self.recurring_interval_count,
            trial_period_days=self.trial_period_days if recurring else None,
        )

    @property
    def in_free_trial(self) -> bool:
        """Whether the checkout charged nothing for the line: a recurring line in its free trial."""
        return bool(self.billing_line.trial_period_days)

    @property
    def amount_due_at_checkout(self) -> int:
        return 0 if self.in_free_trial else self.amount_total

    @property
    def recurring_amount_label(self) -> str:
        """Return what the line costs each period: "$9.00 / month", "$50.00 every 3 months"."""
        amount = format_money(self.amount_total, self.currency)
        if self.recurring_interval_count == 1:
            return f"{amount} / {self.recurring_interval}"
        return f"{amount} every {self.recurring_interval_count} {self.recurring_interval}s"

    @property
    def billing_label(self):
        """Return "every month", "every 3 months, 14-day free trial", or "" for a one-time item and
        for a plan change's line, which is charged once: the rest of a period at the new terms."""
        if self.price_type != PriceType.RECURRING or (self.order_id and self.order.is_plan_change):
            return ""
        interval = self.recurring_interval
        every = (
            f"every {self.recurring_interval_count} {interval}s"
            if self.recurring_interval_count > 1
            else f"every {interval}"
        )
        return f"{every}, {self.trial_period_days}-day free trial" if self.trial_period_days else every


class OrderStatusChange(models.Model):
    """One accepted move of one of an order's three statuses."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    field = models.CharField(max_length=30)
    old_status = models.CharField(max_length=30)
    new_status = models.CharField(max_length=30)
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        field = Order._meta.get_field(self.field)
        labels = dict(field.choices)
        old, new = labels.get(self.old_status, self.old_status), labels.get(self.new_status, self.new_status)
        return f"{self.order.number}: {field.verbose_name} {old} → {new}"


class RefundStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"
    CANCELED = "CANCELED", "Cancelled"


class Refund(models.Model):
    """A refund requested by staff or made in the Stripe dashboard; Stripe's webhooks settle it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # Refunds that count against what is left: Stripe has them, or may still accept them.
    COMMITTED_STATUSES = frozenset({RefundStatus.PENDING, RefundStatus.SUCCEEDED})

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Refund of {format_money(self.amount, self.currency)} on {self.order.number}"

"""Stock's history: holds taken at checkout, adjustments staff make, and shoppers waiting for a restock."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class StockHoldState(models.TextChoices):
    HELD = "HELD", "Held"
    SOLD = "SOLD", "Sold"
    RELEASED = "RELEASED", "Released"
    # A paid renewal found no stock: the order waits for staff, nothing was taken.
    BACKORDERED = "BACKORDERED", "Backordered"


class StockHold(models.Model):
    """The units of a variant an order holds, from checkout start until it is paid or ends.

    Its state moves HELD -> SOLD or HELD -> RELEASED with one conditional write, so a sale or a
    release happens once however many events, pages and sweeps report the same end.
    """

    # The order's number, known before its Checkout Session and order exist (payments.checkout
    # takes the stock first, so that a shopper refused stock never gets a session).
    order_number = models.CharField(max_length=20)
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="holds")
    quantity = models.PositiveIntegerField()
    state = models.CharField(max_length=20, choices=StockHoldState.choices, default=StockHoldState.HELD)
    # When the Checkout Session expires: the sweep asks Stripe about holds still HELD after it.
    expires_at = models.DateTimeField(null=True, blank=True)
    # How many of the sold units staff put back on the shelf (a refund or a return).
    restocked = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["order_number", "variant"], name="stockhold_unique_order_variant")
        ]
        # The sweep: holds still HELD past their expiry, oldest first (equality, then range).
        indexes = [models.Index(fields=["state", "expires_at"], name="stockhold_state_expires")]

    def __str__(self):
        return f"{self.quantity} × {self.variant_id} ({self.get_state_display()})"

    @property
    def units_to_put_back(self) -> int:
        """The units sold with this hold that staff have not put back on the shelf yet."""
        return self.quantity - self.restocked


class StockAdjustment(models.Model):
    """A change of a variant's stock on hand that staff made (a delivery, a count, a return), and why."""

    variant = models.ForeignKey("catalog.Variant", on_delete=models.CASCADE, related_name="adjustments")
    quantity = models.IntegerField(help_text="Added to the stock on hand; negative to take away.")
    reason = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="stock_adjustments"
    )
    on_hand_after = models.IntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        # A variant's history, newest first.
        indexes = [models.Index(fields=["variant", "-created_at"], name="stockadjustment_variant_newest")]

    def __str__(self):
        return f"{self.quantity:+d}: {self.reason}"


class BackInStockRequest(models.Model):
    """A shopper's ask to be emailed, once, when a sold-out variant is back."""

    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.CASCADE, related_name="back_in_stock_requests"
    )
    email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "email"], name="backinstock_unique_variant_email")
        ]
        # Who still waits for a variant (equality on both).
        indexes = [models.Index(fields=["variant", "notified_at"], name="backinstock_waiting")]

    def __str__(self):
        return f"{self.email} waits for {self.variant_id}"

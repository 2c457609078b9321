"""How the order admin words what the services store: addresses, status moves, refund reasons."""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from orders.addresses import address_lines
from orders.models import FulfillmentStatus, OrderStatus, PaymentStatus
from orders.refunds import STRIPE_REFUND_REASONS

# The three statuses of an order, as staff name them, with the labels of their values.
STATUS_FIELDS = {
    "status": ("Order", OrderStatus),
    "payment_status": ("Payment", PaymentStatus),
    "fulfillment_status": ("Fulfilment", FulfillmentStatus),
}


def address_html(address: dict, *, name: str = ""):
    """Return the address as the lines of a parcel label, or "—" when there is none."""
    lines = address_lines(address, name=name)
    if not lines:
        return "—"
    return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))


def status_field_label(field: str) -> str:
    """Return "Payment" for "payment_status"; an unknown field as stored."""
    return STATUS_FIELDS.get(field, (field, None))[0]


def status_move_label(field: str, old_status: str, new_status: str) -> str:
    """Return "Pending → Paid" for a move of `field`, values without a label as stored."""
    choices = STATUS_FIELDS.get(field, (None, None))[1]
    labels = dict(choices.choices) if choices else {}
    return f"{labels.get(old_status, old_status)} → {labels.get(new_status, new_status)}"


def refund_reason_label(reason: str) -> str:
    """Return Stripe's reason codes in words ("Requested by the customer"); staff's notes as written."""
    return STRIPE_REFUND_REASONS.get(reason, reason)


class StatusChangeDisplayMixin:
    """Admin columns of a status move: "Payment", "Pending → Paid", not the stored names and values."""

    @admin.display(description="status")
    def field_label(self, change):
        return status_field_label(change.field)

    @admin.display(description="change")
    def move(self, change):
        return status_move_label(change.field, change.old_status, change.new_status)


class RefundReasonDisplayMixin:
    """The admin column of a refund's reason in words."""

    @admin.display(description="reason", ordering="reason")
    def reason_label(self, refund):
        return refund_reason_label(refund.reason)

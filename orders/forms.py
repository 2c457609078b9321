"""Forms of the order admin's intermediate pages: a refund, and the shipping details of orders."""

from django import forms
from django.core.exceptions import ValidationError

from orders.refunds import REQUEST_TOKEN_PATTERN, STRIPE_REFUND_REASONS
from shop.forms import MoneyAmountField
from shop.money import format_money, minor_units_from_text


class RefundForm(forms.Form):
    """How much to refund, in the order's currency, and why; one form, one refund request."""

    amount = MoneyAmountField()
    stripe_reason = forms.ChoiceField(
        label="Reason sent to Stripe",
        choices=list(STRIPE_REFUND_REASONS.items()),
        initial="requested_by_customer",
    )
    reason = forms.CharField(
        label="Note", max_length=255, help_text="Why the money goes back; kept in the order's refund history."
    )
    # Minted when the page is shown: the same page submitted twice is the same refund request.
    request_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, currency: str, refundable: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.refundable = refundable
        self.fields["amount"].label = f"Amount ({currency.upper()})"
        self.fields[
            "amount"
        ].help_text = (
            f"In {currency.upper()}, up to {format_money(refundable, currency)} (what is still refundable)."
        )

    def clean_amount(self):
        amount = minor_units_from_text(self.cleaned_data["amount"], self.currency)
        if amount <= 0:
            raise ValidationError("Enter an amount greater than zero.", code="not_positive")
        if amount > self.refundable:
            raise ValidationError(
                "At most %(refundable)s can still be refunded.",
                code="above_refundable",
                params={"refundable": format_money(self.refundable, self.currency)},
            )
        return amount

    def clean_request_token(self):
        token = self.cleaned_data["request_token"]
        if not REQUEST_TOKEN_PATTERN.match(token):
            raise ValidationError("This form is out of date: open the refund page again.", code="bad_token")
        return token


class BulkShipmentForm(forms.Form):
    """One carrier for the whole batch, and a tracking number per order."""

    carrier = forms.CharField(max_length=100)

    def __init__(self, *args, orders, **kwargs):
        super().__init__(*args, **kwargs)
        self.orders = list(orders)
        for order in self.orders:
            self.fields[self.tracking_field_name(order)] = forms.CharField(
                label=f"Tracking number of {order.number}", max_length=100
            )

    @staticmethod
    def tracking_field_name(order) -> str:
        return f"tracking_{order.pk}"

    def shipments(self):
        """Return (order, tracking number) pairs, once the form is valid."""
        return [(order, self.cleaned_data[self.tracking_field_name(order)]) for order in self.orders]

    def tracking_fields(self):
        """Return (order, bound field) pairs for the template."""
        return [(order, self[self.tracking_field_name(order)]) for order in self.orders]

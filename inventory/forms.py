from django import forms
from django_mongodb_backend.forms import ObjectIdField


class BackInStockForm(forms.Form):
    # Hidden: a shopper only meets its error through a stale or tampered page.
    variant_id = ObjectIdField(widget=forms.HiddenInput, error_messages={"invalid": "Choose an item."})
    email = forms.EmailField(
        label="Your email",
        error_messages={"required": "Enter your email address.", "invalid": "Enter a valid email address."},
    )


class StockAdjustmentForm(forms.Form):
    quantity = forms.IntegerField(
        label="Change on hand by",
        help_text="Units received (positive) or taken away (negative): a delivery, a count, damage.",
    )
    reason = forms.CharField(max_length=255, help_text="Why: kept in the stock history.")

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise forms.ValidationError("Enter a change other than 0.", code="zero")
        return quantity


class RestockForm(forms.Form):
    """How many of each item an order bought go back on the shelf with its refund (a return)."""

    def __init__(self, *args, holds, **kwargs):
        super().__init__(*args, **kwargs)
        self.holds = {f"restock_{hold.pk}": hold for hold in holds}
        for name, hold in self.holds.items():
            most = hold.quantity - hold.restocked
            self.fields[name] = forms.IntegerField(
                label=f"Put back: {hold.variant} ({hold.variant.sku})",
                min_value=0,
                max_value=most,
                initial=0,
                required=False,
                help_text=f"Up to {most}, the units sold with this order and not put back yet.",
            )

    def restocks(self) -> list:
        """Return [(hold, quantity)] for the items staff chose to put back."""
        return [
            (hold, self.cleaned_data.get(name) or 0)
            for name, hold in self.holds.items()
            if self.cleaned_data.get(name)
        ]

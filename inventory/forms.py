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

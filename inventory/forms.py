from django import forms
from django_mongodb_backend.forms import ObjectIdField


class BackInStockForm(forms.Form):
    # Hidden: a shopper only meets its error through a stale or tampered page.
    variant_id = ObjectIdField(widget=forms.HiddenInput, error_messages={"invalid": "Choose an item."})
    email = forms.EmailField(
        label="Your email",
        error_messages={"required": "Enter your email address.", "invalid": "Enter a valid email address."},
    )


class RestockForm(forms.Form):
    """How many of each item an order bought go back on the shelf with its refund (a return)."""

    def __init__(self, *args, holds, **kwargs):
        super().__init__(*args, **kwargs)
        self.holds = {f"restock_{hold.pk}": hold for hold in holds}
        for name, hold in self.holds.items():
            most = hold.units_to_put_back
            self.fields[name] = forms.IntegerField(
                label=f"Put back: {hold.variant} · {hold.variant.sku}",
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


class ReturnRestockForm(forms.Form):
    """Units of an order put back on the shelf without a refund (a return): which, how many, why."""

    hold = forms.ChoiceField(label="Item", error_messages={"invalid_choice": "Choose an item of this order."})
    quantity = forms.IntegerField(label="Units to put back", min_value=1, initial=1)
    reason = forms.CharField(
        max_length=200,
        help_text="Why: kept in the stock history, e.g. “Parcel came back unopened”.",
        error_messages={"required": "Say why the units come back."},
    )

    def __init__(self, *args, holds, **kwargs):
        super().__init__(*args, **kwargs)
        self.holds = {str(hold.pk): hold for hold in holds if hold.units_to_put_back}
        self.fields["hold"].choices = [
            (pk, f"{hold.variant} · {hold.variant.sku}: up to {hold.units_to_put_back}")
            for pk, hold in self.holds.items()
        ]

    def clean(self):
        cleaned = super().clean()
        hold, quantity = self.holds.get(cleaned.get("hold")), cleaned.get("quantity")
        if hold is not None and quantity is not None and quantity > hold.units_to_put_back:
            self.add_error(
                "quantity",
                f"At most {hold.units_to_put_back}: the units sold with this order and not put back yet.",
            )
        cleaned["hold"] = hold
        return cleaned

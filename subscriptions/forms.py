"""Forms of the changes a subscriber or staff member asks for."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from orders.addresses import shipping_country_choices
from subscriptions.services import PAUSE_DATE_REFUSED


class PauseForm(forms.Form):
    """The day billing and deliveries restart on, after today; empty: paused until resumed."""

    until = forms.DateField(
        label="Restart on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date to restart on as a date, such as 2031-04-20."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser's date picker offers no day the form would refuse.
        self.fields["until"].widget.attrs["min"] = (timezone.localdate() + timedelta(days=1)).isoformat()

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until is not None and until <= timezone.localdate():
            raise forms.ValidationError(PAUSE_DATE_REFUSED)
        return until


class StaffPauseForm(PauseForm):
    """Staff's pause until a date: the date is required (pausing until resumed is an action of its own)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["until"].required = True
        self.fields["until"].error_messages["required"] = "Choose the date to restart on."


class AddressForm(forms.Form):
    """Where the next renewal orders ship: in a country the shop ships to, as checkout asks."""

    name = forms.CharField(max_length=200)
    line1 = forms.CharField(label="Address", max_length=200)
    line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    city = forms.CharField(max_length=100)
    state = forms.CharField(label="State or region", max_length=100, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=20)
    country = forms.ChoiceField(
        error_messages={
            "invalid_choice": "We deliver only to the countries listed: choose one of them.",
            "required": "Choose the country to deliver to.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read per form: the names follow the shop's language setting.
        self.fields["country"].choices = [("", "Choose a country"), *shipping_country_choices()]

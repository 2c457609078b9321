"""Forms of the changes a subscriber or staff member asks for."""

from datetime import timedelta

from django import forms
from django.utils import timezone

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

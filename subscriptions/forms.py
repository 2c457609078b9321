"""Forms of the changes a subscriber or staff member asks for."""

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from orders.addresses import shipping_country_choices
from subscriptions.models import RESTART_CHOICES
from subscriptions.services import PAUSE_RESTART_REFUSED


class PauseForm(forms.Form):
    """When billing and deliveries restart: with one of the renewals after the next, or not until
    resumed. Stripe charges the first renewal on or after a pause ends, so the choice is a renewal,
    never any day: what the subscriber picks is when they are charged and delivered again."""

    restart = forms.ChoiceField(
        label="Restart",
        required=False,
        help_text="Billing and deliveries restart with the delivery you choose; nothing is charged or "
        "delivered before it.",
        error_messages={"invalid_choice": PAUSE_RESTART_REFUSED},
    )

    def __init__(self, *args, subscription, **kwargs):
        super().__init__(*args, **kwargs)
        self.renewals = {
            timezone.localtime(renewal).date().isoformat(): renewal
            for renewal in subscription.restart_choices()
        }
        self.fields["restart"].choices = [
            ("", "Not until I resume it"),
            *(
                (value, f"Restart with the delivery of {date_format(timezone.localtime(renewal), 'j F Y')}")
                for value, renewal in self.renewals.items()
            ),
        ]

    def clean_restart(self):
        """Return the renewal chosen, or None."""
        return self.renewals.get(self.cleaned_data["restart"])


class StaffPauseForm(forms.Form):
    """Staff's pause of the selected subscriptions until a renewal after the next (as a subscriber
    chooses one): each restarts with its own `restart_choices()[skipped - 1]`."""

    skipped = forms.TypedChoiceField(
        label="Restart with",
        coerce=int,
        error_messages={"required": "Choose the renewal to restart with."},
    )

    def __init__(self, *args, subscriptions, **kwargs):
        super().__init__(*args, **kwargs)
        # One subscription's renewals are named by date; several have dates of their own.
        renewals = subscriptions[0].restart_choices() if len(subscriptions) == 1 else []
        self.fields["skipped"].choices = [
            (
                skipped,
                f"the delivery of {date_format(timezone.localtime(renewals[skipped - 1]), 'j F Y')}"
                if renewals
                else f"the renewal after {skipped} skipped",
            )
            for skipped in range(1, RESTART_CHOICES + 1)
        ]


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

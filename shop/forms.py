"""Form fields shared by the apps' forms."""

from django import forms


class MoneyAmountField(forms.CharField):
    """An amount staff type in major units of its currency: "32.00" for $32.00, "500" for ¥500.

    Its value is the typed text: the form turns it into minor units with
    shop.money.minor_units_from_text once it knows the currency (fixed, as a refund's, or a
    field beside it, as a price's), and shows a stored amount with shop.money.to_major_units.
    """

    default_error_messages = {"required": "Enter an amount, such as 12.50."}

    def __init__(self, *, max_length=20, **kwargs):
        super().__init__(max_length=max_length, **kwargs)
        # Phones show a keypad with a decimal point.
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

"""Form fields shared by the apps' forms."""

from django import forms
from django.conf import settings


class MoneyAmountInput(forms.TextInput):
    """A text input for an amount that, with a `preview`, shows beside it how shoppers will read it.

    The preview is written in the browser (static/shop/money_preview.js) as staff type, in the
    currency of the form's "currency" field (or data-money-currency) and the shop's locale.
    """

    class Media:
        js = ["shop/money_preview.js"]

    def __init__(self, attrs=None, *, preview: str = ""):
        super().__init__(attrs)
        self.preview = preview

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.preview:
            context["widget"]["attrs"].update(
                {
                    "data-money-preview": self.preview,
                    "data-money-locale": settings.SHOP_LOCALE.replace("_", "-"),
                }
            )
        return context


class MoneyAmountField(forms.CharField):
    """An amount staff type in major units of its currency: "32.00" for $32.00, "500" for ¥500.

    Its value is the typed text: the form turns it into minor units with
    shop.money.minor_units_from_text once it knows the currency (fixed, as a refund's, or a
    field beside it, as a price's), and shows a stored amount with shop.money.to_major_units.
    `preview` ("{amount} off") shows staff, as they type, how shoppers will read the amount.
    """

    default_error_messages = {"required": "Enter an amount, such as 12.50."}

    def __init__(self, *, max_length=20, preview: str = "", **kwargs):
        kwargs.setdefault("widget", MoneyAmountInput(preview=preview))
        super().__init__(max_length=max_length, **kwargs)
        # Phones show a keypad with a decimal point.
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

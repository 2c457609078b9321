from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django_mongodb_backend.forms import ObjectIdField


class QuantityField(forms.IntegerField):
    """A line quantity from 1 to CART_MAX_QUANTITY, with messages a shopper understands."""

    def __init__(self, **kwargs):
        maximum = settings.CART_MAX_QUANTITY
        super().__init__(
            label="Quantity",
            error_messages={
                "required": "Enter a quantity.",
                "invalid": "Enter the quantity as a whole number, such as 1 or 2.",
            },
            **kwargs,
        )
        # Own validators (not min_value/max_value) for messages that say what to do.
        self.validators.append(MinValueValidator(1, message="The quantity must be at least 1."))
        self.validators.append(
            MaxValueValidator(maximum, message=f"You can have at most {maximum} of one item in your cart.")
        )
        self.widget.attrs.update({"min": 1, "max": maximum, "inputmode": "numeric"})


class AddToCartForm(forms.Form):
    # Hidden fields: a shopper only meets their errors through a stale or tampered page.
    product_id = ObjectIdField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "Sorry, this product is no longer available.",
            "invalid": "Sorry, this product is no longer available.",
        },
    )
    price_id = ObjectIdField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "Sorry, this price is no longer available.",
            "invalid": "Sorry, this price is no longer available.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"] = QuantityField(initial=1)


class CartItemQuantityForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"] = QuantityField()

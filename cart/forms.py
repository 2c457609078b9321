from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django_mongodb_backend.forms import ObjectIdField

from cart.exceptions import NotEnoughInStock


class QuantityField(forms.IntegerField):
    """A line quantity from 1 to CART_MAX_QUANTITY, or to `most` when the stock leaves fewer, with
    messages a shopper understands."""

    def __init__(self, *, most: int | None = None, **kwargs):
        super().__init__(
            label="Quantity",
            error_messages={
                "required": "Enter a quantity.",
                "invalid": "Enter the quantity as a whole number, such as 1 or 2.",
            },
            **kwargs,
        )
        maximum = settings.CART_MAX_QUANTITY
        if most is not None and most < maximum:
            # Over both limits, the stock is the one to name: CART_MAX_QUANTITY would be refused too.
            limit, too_many = most, str(NotEnoughInStock(available=most))
        else:
            limit, too_many = maximum, f"You can have at most {maximum} of one item in your cart."
        # Own validators (not min_value/max_value) for messages that say what to do.
        self.validators.append(MinValueValidator(1, message="The quantity must be at least 1."))
        self.validators.append(MaxValueValidator(limit, message=too_many))
        # At least 1: a sold-out line's input still holds a valid number (the page says to remove it).
        self.widget.attrs.update({"min": 1, "max": max(limit, 1), "inputmode": "numeric"})


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
    """A cart line's new quantity; `most`: what the item's stock leaves for the line (None: no limit)."""

    def __init__(self, *args, most: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"] = QuantityField(most=most)

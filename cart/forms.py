from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django_mongodb_backend.forms import ObjectIdField

from cart.exceptions import NotEnoughInStock
from catalog.stock import StockLevel


class QuantityField(forms.IntegerField):
    """A line quantity from 1 to CART_MAX_QUANTITY, with messages a shopper understands.

    `stock`, the stock of a counted item, with `elsewhere` units of it in the cart's other lines:
    the input offers no more than is left, and a quantity over both the stock and the cart's limit
    is refused for the stock (the service refuses the ones over the stock alone, as it does)."""

    def __init__(self, *, stock: StockLevel | None = None, elsewhere: int = 0, **kwargs):
        super().__init__(
            label="Quantity",
            error_messages={
                "required": "Enter a quantity.",
                "invalid": "Enter the quantity as a whole number, such as 1 or 2.",
            },
            **kwargs,
        )
        maximum = settings.CART_MAX_QUANTITY
        most = stock.most(elsewhere=elsewhere) if stock is not None else None
        if most is not None and most < maximum:
            # Lowering it to CART_MAX_QUANTITY would be refused too: name the limit that matters.
            too_many = str(NotEnoughInStock(available=stock.available, in_cart=elsewhere))
        else:
            most, too_many = maximum, f"You can have at most {maximum} of one item in your cart."
        # Own validators (not min_value/max_value) for messages that say what to do.
        self.validators.append(MinValueValidator(1, message="The quantity must be at least 1."))
        self.validators.append(MaxValueValidator(maximum, message=too_many))
        # At least 1: a sold-out line's input still holds a valid number (the page says to remove it).
        self.widget.attrs.update({"min": 1, "max": max(most, 1), "inputmode": "numeric"})


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
    """A cart line's new quantity; `stock` and `elsewhere` as QuantityField takes them."""

    def __init__(self, *args, stock: StockLevel | None = None, elsewhere: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"] = QuantityField(stock=stock, elsewhere=elsewhere)

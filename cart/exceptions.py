"""Changes to a cart the shop refuses. str(error) is the message shown to the shopper."""

from django.conf import settings


class CartError(Exception):
    default_message = "Your cart could not be changed."

    def __init__(self, message=None):
        super().__init__(message or self.default_message)


class CartLocked(CartError):
    default_message = "Your cart is being checked out — finish or cancel the payment first."


class CartUnavailable(CartError):
    default_message = "Your cart has expired. Please add your items again."


class CartLineNotFound(CartError):
    default_message = "That item is not in your cart."


class PriceUnavailable(CartError):
    default_message = "Sorry, this price is no longer available."


class ProductUnavailable(CartError):
    default_message = "Sorry, this product is no longer available."


class InvalidQuantity(CartError):
    def __init__(self, message=None):
        super().__init__(
            message or f"Choose a quantity from 1 to {settings.CART_MAX_QUANTITY}; your cart was not changed."
        )


class QuantityLimitExceeded(CartError):
    def __init__(self, *, in_cart):
        maximum = settings.CART_MAX_QUANTITY
        if in_cart >= maximum:
            message = f"Your cart already holds {maximum} of this item, the most one order can have."
        else:
            message = (
                f"You can have at most {maximum} of one item in your cart. You already have {in_cart}, "
                f"so you can add up to {maximum - in_cart} more."
            )
        super().__init__(message)


class CurrencyMismatch(CartError):
    def __init__(self, *, cart_currency, price_currency):
        super().__init__(
            f"Your cart is in {cart_currency.upper()} and this price is in {price_currency.upper()}. "
            "A cart holds one currency: check out or empty your cart first, then add this item."
        )


class NotEnoughInStock(CartError):
    def __init__(self, *, available, in_cart=0):
        if available == 0:
            message = "Sorry, this item is sold out; your cart was not changed."
        elif in_cart:
            message = (
                f"Only {available} left, and your cart already holds {in_cart}: "
                f"you can have at most {available}. Your cart was not changed."
            )
        else:
            message = f"Only {available} left: choose {available} or fewer. Your cart was not changed."
        super().__init__(message)

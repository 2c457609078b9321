"""Checkout and webhook failures. For CheckoutError, str(error) is the message shown to the shopper."""


class CheckoutError(Exception):
    default_message = "Your checkout could not be started. Your cart is unchanged."

    def __init__(self, message=None):
        super().__init__(message or self.default_message)


class EmptyCart(CheckoutError):
    default_message = "Your cart is empty: add something before checking out."


class LineUnavailable(CheckoutError):
    def __init__(self, *, product_name):
        super().__init__(
            f"“{product_name}” is no longer available at that price. "
            "Remove it from your cart, then check out again."
        )


class LineOutOfStock(CheckoutError):
    """Too few units left for a line; the cart is left as the shopper made it, for them to change."""

    def __init__(self, *, name, available):
        if available == 0:
            message = f"“{name}” sold out while it was in your cart. Remove it, then check out again."
        else:
            message = (
                f"Only {available} left of “{name}”: lower the quantity in your cart, then check out again."
            )
        super().__init__(f"{message} Nothing else in your cart was changed.")


class PriceNotInStripe(CheckoutError):
    """The price's terms are not (yet) Stripe's: Checkout would charge the old ones."""

    def __init__(self, *, product_name):
        super().__init__(
            f"“{product_name}” cannot be bought right now. Your cart is unchanged: try again later, "
            "or remove it and check out the rest."
        )


class MixedCurrencies(CheckoutError):
    default_message = "Your cart holds prices in more than one currency; one checkout takes one currency."


class MixedBillingIntervals(CheckoutError):
    default_message = (
        "Your cart holds subscriptions billed at different intervals (for example monthly and yearly). "
        "Check them out separately: one checkout can bill one interval."
    )


class CheckoutInProgress(CheckoutError):
    default_message = "Your payment for this cart is already being confirmed; it will not be charged twice."


class CartChangedDuringCheckout(CheckoutError):
    default_message = (
        "Your cart changed while the checkout was being prepared. Review it and check out again."
    )


class PaymentProviderUnavailable(CheckoutError):
    default_message = (
        "We could not reach our payment provider. Your cart is unchanged; please try again in a moment."
    )


class PaymentProviderRefused(CheckoutError):
    default_message = (
        "Our payment provider could not start this checkout. Your cart is unchanged; "
        "please try again, or contact us if it keeps happening."
    )


class WebhookEventInProgress(Exception):
    """Another worker is running this event's handler right now; deliver it again later."""


class EventIgnored(Exception):
    """A Stripe event about something this shop did not create or does not have: no retry can change
    that, so it is acknowledged and recorded as ignored; str(error) says why."""


class OrderNotReady(Exception):
    """A Stripe event about an order that is not (yet) in the state it needs: fail, so it is retried."""

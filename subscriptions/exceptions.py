"""Failures of a change asked of the payment provider. str(error) is what the customer or staff read."""


class SubscriptionChangeFailed(Exception):
    default_message = "We could not reach our payment provider. Nothing was changed; please try again."

    def __init__(self, message=None):
        super().__init__(message or self.default_message)


class SubscriptionNotChangeable(SubscriptionChangeFailed):
    """The subscription is not in a state that allows the change (already cancelled, say)."""


class SubscriptionPaymentDeclined(SubscriptionChangeFailed):
    """The change was to be charged now and the card was declined: it was not made."""

    default_message = (
        "Your card was declined: your plan is unchanged and nothing was charged. Update your card "
        "with “Update card & invoices”, then change your plan again."
    )

class InvalidStatusTransition(Exception):
    """A status move that the order's pipeline does not allow (or that lost a race)."""

    def __init__(self, order, field, old_status, new_status, *, concurrent=False):
        self.order = order
        self.field = field
        self.old_status = old_status
        self.new_status = new_status
        self.concurrent = concurrent
        # What staff were told to do about it, when the refused move was money Stripe took.
        self.staff_note = ""
        label = field.replace("_", " ")
        if concurrent:
            message = f"Order {order.number}: its {label} changed while moving it to {new_status}; try again."
        else:
            message = f"Order {order.number}: cannot move {label} from {old_status} to {new_status}."
        super().__init__(message)


class RefundError(Exception):
    """A refund that staff asked for and that was not sent to Stripe, or that Stripe refused."""


class RefundNotAllowed(RefundError):
    """The order cannot be refunded: it is not paid, or has no payment to refund."""


class RefundAmountInvalid(RefundError):
    """The amount is not positive, or more than what is still refundable."""

    def __init__(self, message, *, refundable):
        self.refundable = refundable
        super().__init__(message)


class RefundAlreadyRequested(RefundError):
    """This very request (same request token) was already made; `refund` is its record."""

    def __init__(self, refund):
        self.refund = refund
        super().__init__(f"This refund was already requested ({refund.get_status_display().lower()}).")


class RefundFailed(RefundError):
    """Stripe refused the refund or could not be reached; `refund` is the FAILED record."""

    def __init__(self, refund, message):
        self.refund = refund
        super().__init__(message)


class FulfilmentNotAllowed(Exception):
    """A fulfilment move the order cannot make now (unpaid, not shipped yet, ...); the message says why."""

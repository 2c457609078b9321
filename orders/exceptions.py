class InvalidStatusTransition(Exception):
    """A status move that the order's pipeline does not allow (or that lost a race)."""

    def __init__(self, order, field, old_status, new_status, *, concurrent=False):
        self.order = order
        self.field = field
        self.old_status = old_status
        self.new_status = new_status
        self.concurrent = concurrent
        label = field.replace("_", " ")
        if concurrent:
            message = f"Order {order.number}: its {label} changed while moving it to {new_status}; try again."
        else:
            message = f"Order {order.number}: cannot move {label} from {old_status} to {new_status}."
        super().__init__(message)

"""Every event type the simulator emits; `Store.emit` refuses any other, so the list stays whole."""

EVENT_TYPES = frozenset(
    {
        "charge.failed",
        "charge.pending",
        "charge.refunded",
        "charge.succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.completed",
        "checkout.session.expired",
        "coupon.created",
        "customer.created",
        "customer.deleted",
        "customer.subscription.created",
        "customer.updated",
        "payment_intent.canceled",
        "payment_intent.created",
        "payment_intent.payment_failed",
        "payment_intent.processing",
        "payment_intent.succeeded",
        "price.created",
        "price.updated",
        "product.created",
        "promotion_code.created",
        "promotion_code.updated",
        "product.updated",
        "refund.created",
        "refund.updated",
    }
)

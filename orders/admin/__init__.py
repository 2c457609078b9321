"""Order admin: orders are read from Stripe's figures; statuses move only through Order.set_status().

`order` holds the order's model admin, built from the refund, return and shipping views of
`refunds`, `returns` and `shipping`; `history` the admins of the rows the services write (items,
status changes, refunds); `dashboard` the orders' panel on the admin index.
"""

from orders.admin import dashboard, history, order

__all__ = ["dashboard", "history", "order"]

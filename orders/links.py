"""Links to one order for the customer: signed and expiring for a guest, the order page for a member."""

from datetime import timedelta

from django.conf import settings

from orders.models import Order
from shop.signed_links import SignedLink

# Long enough to find the order again while it is on its way and for returns.
ORDER_LINK_MAX_AGE = timedelta(days=30)
_LINK = SignedLink(salt="orders.links.order", url_name="orders:link", max_age=ORDER_LINK_MAX_AGE)


def order_link_path(*, order: Order) -> str:
    """Return the path of the order's page for its customer: a member's account, or a signed link."""
    if order.user_id:
        return order.get_absolute_url()
    return _LINK.path(order.number)


def order_link_url(*, order: Order) -> str:
    """Return order_link_path() as a full address on SHOP_BASE_URL, for email."""
    return settings.SHOP_BASE_URL + order_link_path(order=order)


def order_number_from_link(*, token: str) -> str:
    """Return the order number a link signed; raise signing.SignatureExpired or BadSignature."""
    return _LINK.value(token)

"""Links to a paid order's digital goods: one per line whose product has a file to download, signed
with the order's number and the line's id, so that no link reaches another order's line."""

from bson import ObjectId
from django.core import signing

from orders.links import ORDER_LINK_MAX_AGE
from orders.models import Order, OrderItem
from shop.signed_links import SignedLink

# As long as the order link: the email that carries both stays useful as long.
_LINK = SignedLink(salt="orders.downloads.item", url_name="orders:download", max_age=ORDER_LINK_MAX_AGE)


def order_item_has_download(*, order: Order, item: OrderItem) -> bool:
    """Whether the line's file may be downloaded: the order is paid and the product still has a file."""
    return order.is_paid and item.product_id is not None and bool(item.product.download)


def order_item_download_path(*, order: Order, item: OrderItem) -> str:
    """Return the path of the signed link to the file of `order`'s line `item`."""
    return _LINK.path(f"{order.number}:{item.pk}")


def order_item_from_download_link(*, token: str) -> tuple[str, ObjectId]:
    """Return the order number and line id a link signed; raise signing.SignatureExpired or BadSignature."""
    number, _, item_id = _LINK.value(token).rpartition(":")
    if not number or not ObjectId.is_valid(item_id):
        raise signing.BadSignature("Not a download link.")
    return number, ObjectId(item_id)

"""Links to the files of a paid order's digital goods, beside their lines."""

from django import template
from django.conf import settings

from orders.downloads import order_item_download_path, order_item_has_download

register = template.Library()


@register.simple_tag
def download_path(order, item) -> str:
    """{% download_path order item as path %}: the signed link to the line's file, "" when it has none
    or the order is not paid."""
    return (
        order_item_download_path(order=order, item=item)
        if order_item_has_download(order=order, item=item)
        else ""
    )


@register.simple_tag
def download_url(order, item) -> str:
    """As download_path, a full address on SHOP_BASE_URL, for email."""
    path = download_path(order, item)
    return settings.SHOP_BASE_URL + path if path else ""

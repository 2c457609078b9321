"""Links to the files of a paid order's digital goods, beside their lines."""

from django import template

from orders.downloads import order_item_download_path, order_item_download_url, order_item_has_download

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
    """As download_path, a full address for email."""
    return (
        order_item_download_url(order=order, item=item)
        if order_item_has_download(order=order, item=item)
        else ""
    )

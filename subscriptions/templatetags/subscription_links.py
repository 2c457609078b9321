"""Links to the page where a customer manages the subscription an order belongs to."""

from django import template
from django.conf import settings

from subscriptions.links import order_subscription_link_path

register = template.Library()


@register.simple_tag
def order_subscription_path(order) -> str:
    """{% order_subscription_path order as path %}: the member's page, or a guest's signed link."""
    return order_subscription_link_path(order=order)


@register.simple_tag
def order_subscription_url(order) -> str:
    """As order_subscription_path, a full address for email ("" when the order has no subscription)."""
    path = order_subscription_link_path(order=order)
    return settings.SHOP_BASE_URL + path if path else ""

"""The shop's name and full addresses, for email, which is rendered without a request."""

from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.simple_tag
def shop_name():
    """Return the shop's name: {% shop_name %}."""
    return settings.SITE_NAME


@register.simple_tag
def absolute_url(view_name, *args):
    """Return a page's full address on SHOP_BASE_URL: {% absolute_url 'pages:detail' 'contact' %}."""
    return settings.SHOP_BASE_URL + reverse(view_name, args=args)

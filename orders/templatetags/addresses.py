from django import template

from orders.addresses import address_lines as _address_lines

register = template.Library()


@register.filter
def address_lines(address):
    """Return the lines of a Stripe address: {% for line in order.shipping_address|address_lines %}."""
    return _address_lines(address if isinstance(address, dict) else {})

from django import template

from payments.bank_transfers import bank_transfer_instructions_for_order

register = template.Library()


@register.simple_tag
def bank_transfer_instructions(order):
    """Return what is still to be transferred for the order, as Stripe says now, or None."""
    return bank_transfer_instructions_for_order(order=order)

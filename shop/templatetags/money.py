from django import template

from shop.money import format_money

register = template.Library()


@register.filter(name="money")
def money_filter(amount, currency):
    """Render minor units as money: {{ order.amount_total|money:order.currency }}."""
    return format_money(amount, currency)

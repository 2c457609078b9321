"""Reads of orders for the shop's pages."""

from orders.models import Order


def order_list_for_user(*, user):
    """Return `user`'s own orders, newest first, with their items (a fixed number of queries)."""
    return Order.objects.filter(user=user).order_by("-created_at").prefetch_related("items")


def order_get_for_user(*, user, number):
    """Return `user`'s order with this number and its items; raise Order.DoesNotExist otherwise."""
    return order_list_for_user(user=user).get(number=number)


def order_get_by_number(*, number):
    """Return the order with this number and its items; raise Order.DoesNotExist otherwise."""
    return Order.objects.prefetch_related("items").get(number=number)

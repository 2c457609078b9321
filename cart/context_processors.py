from django.utils.functional import SimpleLazyObject

from cart.selectors import cart_item_count_for_request


def cart(request):
    """Expose the header badge's item count, read only if a template shows it."""
    return {"cart_item_count": SimpleLazyObject(lambda: cart_item_count_for_request(request))}

from cart.selectors import cart_looked_up_for_request
from cart.services import cart_touch


class CartActivityMiddleware:
    """Push a guest cart's expiry forward while its shopper browses (cart.services.cart_touch).

    Only carts the page already read (for the header badge or the cart page) are touched, so
    this adds no read, and cart_touch writes at most once per CART_TOUCH_INTERVAL_MINUTES.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in ("GET", "HEAD") and response.status_code < 400:
            cart = cart_looked_up_for_request(request)
            if cart is not None:
                cart_touch(cart=cart)
        return response

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from cart.exceptions import CartError
from cart.selectors import CART_SESSION_KEY, cart_forget_for_request, cart_guest_for_session
from cart.services import cart_merge_guest_into_user


@receiver(user_logged_in, dispatch_uid="cart_merge_guest_cart_at_login")
def merge_guest_cart_at_login(sender, request, user, **kwargs):
    """Bring what the shopper added before signing in into their own cart."""
    session = getattr(request, "session", None)
    if session is None or not session.get(CART_SESSION_KEY):
        return
    guest_cart = cart_guest_for_session(session)
    try:
        merge = cart_merge_guest_into_user(guest_cart=guest_cart, user=user)
    except CartError as error:
        messages.warning(
            request, f"We could not move the items you added before signing in: {error}", fail_silently=True
        )
    else:
        if merge.guest_checkout_session_id:
            messages.info(
                request,
                "You were paying as a guest when you signed in: that payment stays a guest checkout and "
                "your cart is unchanged. Pay with a verified email address of your account and the "
                "order will appear in your orders.",
                fail_silently=True,
            )
        if merge.merged_line_count:
            text = "The items you added before signing in are now in your cart."
            if merge.capped:
                text += " Some quantities were limited to the most one cart line can hold."
            messages.info(request, text, fail_silently=True)
    del session[CART_SESSION_KEY]
    cart_forget_for_request(request)

"""Checkout flow views (start, success, cancel) and the Stripe webhook endpoint."""

import json
import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pymongo.errors import PyMongoError

from cart.selectors import cart_get_for_request
from orders.exceptions import InvalidStatusTransition
from orders.links import order_link_path
from orders.models import Order, OrderStatus
from payments.bank_transfers import bank_transfer_instructions_for_order
from payments.checkout import checkout_session_cancel, checkout_session_create
from payments.confirmation import checkout_session_confirm
from payments.exceptions import CheckoutError
from payments.services import webhook_event_store
from payments.stripe_client import stripe_livemode
from payments.tasks import webhook_event_handle

logger = logging.getLogger(__name__)

# Order numbers this browser session checked out: what lets a guest see their own order.
SESSION_ORDERS_KEY = "payments_order_numbers"
# Seconds between reloads of the success page while Stripe has not confirmed the payment.
PENDING_REFRESH_SECONDS = 3


@require_POST
def checkout(request):
    """Start a Stripe Checkout for the shopper's cart and send them to Stripe's payment page."""
    cart = cart_get_for_request(request)
    if cart is None:
        messages.error(request, "Your cart is empty: add something before checking out.")
        return redirect("cart:detail")
    success_url = (
        request.build_absolute_uri(reverse("payments:success")) + "?session_id={CHECKOUT_SESSION_ID}"
    )
    cancel_url = request.build_absolute_uri(reverse("payments:cancel"))
    user = request.user if request.user.is_authenticated else None
    try:
        started = checkout_session_create(
            cart=cart, user=user, success_url=success_url, cancel_url=cancel_url
        )
    except CheckoutError as error:
        messages.error(request, str(error))
        return redirect("cart:detail")
    numbers = request.session.get(SESSION_ORDERS_KEY, [])
    if started.order.number not in numbers:
        request.session[SESSION_ORDERS_KEY] = [*numbers, started.order.number][-20:]
    return HttpResponseRedirect(started.url, status=303)


@require_GET
def checkout_success(request):
    """Show the order of a Checkout Session and its live status; only its buyer may see it.

    The page asks Stripe about the session (the shared confirmation function) rather than trusting
    the redirect, and reloads itself until the payment is confirmed or has failed.
    """
    session_id = request.GET.get("session_id", "")
    order = Order.objects.filter(stripe_checkout_session_id=session_id).first() if session_id else None
    if order is None or not _is_buyer(request, order):
        raise Http404("No such order.")
    if order.status == OrderStatus.PENDING:
        try:
            checkout_session_confirm(session_id=session_id)
        except (stripe.StripeError, InvalidStatusTransition, DatabaseError, PyMongoError):
            # The webhook settles the order anyway; the page shows what is known and reloads.
            logger.warning("success page: could not confirm session %s now", session_id, exc_info=True)
        order.refresh_from_db()
    transfer = bank_transfer_instructions_for_order(order=order)
    context = {
        "order": order,
        "items": list(order.items.select_related("product")),
        "order_path": order_link_path(order=order),
        "bank_transfer": transfer,
        # A bank payment takes days: no reloading every few seconds.
        "awaiting_payment": order.status == OrderStatus.PENDING
        and not order.awaits_bank_payment
        and transfer is None,
        "refresh_seconds": PENDING_REFRESH_SECONDS,
    }
    response = render(request, "payments/order_success.html", context)
    if context["awaiting_payment"]:
        # An HTTP refresh: no JavaScript, and base.html needs no extra <meta>.
        response["Refresh"] = str(PENDING_REFRESH_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def checkout_cancel(request):
    """End the open checkout so the cart can be changed again: on POST only.

    A GET (Stripe's "back" link, or any other site's link) shows the page that offers the button:
    cancelling on a GET would let any page end a shopper's checkout.
    """
    cart = cart_get_for_request(request)
    if cart is None or not cart.checkout_session_id:
        return redirect("cart:detail")
    if request.method == "GET":
        return render(request, "payments/checkout_cancel.html", {"cart": cart})
    try:
        order = checkout_session_cancel(cart=cart)
    except CheckoutError as error:
        messages.error(request, str(error))
        return redirect("cart:detail")
    if order is not None and order.status != OrderStatus.CANCELLED:
        messages.info(request, "Your payment had already gone through: here is your order.")
        return redirect(f"{reverse('payments:success')}?session_id={order.stripe_checkout_session_id}")
    messages.info(request, "Checkout cancelled. Nothing was charged, and your cart can be changed again.")
    return redirect("cart:detail")


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Receive a Stripe event: verify it, store it once and answer; a task processes it once.

    Stripe wants a quick 2xx: nothing here calls Stripe or sends an email. A stored event is never
    lost: its task is retried while it fails, and retry_webhooks runs what was left unprocessed.
    """
    limit = settings.STRIPE_WEBHOOK_MAX_BYTES
    try:
        declared_length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared_length = 0
    if declared_length > limit:
        return _webhook_answer(413, "Payload too large.")
    payload = request.body
    if len(payload) > limit:
        return _webhook_answer(413, "Payload too large.")
    try:
        # What stripe.Webhook.construct_event does, minus wrapping the body in an Event: that
        # step raises AttributeError on a signed body that is JSON but not an object (SDK 16.1).
        stripe.WebhookSignature.verify_header(
            payload,
            request.headers.get("Stripe-Signature"),
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        )
        event = json.loads(payload)
    except stripe.SignatureVerificationError as error:
        logger.warning("webhook refused: %s", error)
        return _webhook_answer(400, "Invalid signature.")
    except ValueError:
        return _webhook_answer(400, "Malformed JSON.")
    if not (
        isinstance(event, dict) and isinstance(event.get("id"), str) and isinstance(event.get("type"), str)
    ):
        return _webhook_answer(400, "Not a Stripe event.")
    if event.get("livemode") is not stripe_livemode():
        # A live event at a test-mode shop (or the reverse) is another deployment's: the endpoint
        # or its signing secret is shared by mistake, and acting on it would mix real and test money.
        logger.warning("webhook %s refused: livemode %s", event["id"], event.get("livemode"))
        return _webhook_answer(
            400, "Event is from the other Stripe mode (live or test) than this shop's key."
        )
    try:
        stored, _ = webhook_event_store(event=event)
    except DatabaseError:
        logger.exception("webhook %s could not be stored", event["id"])
        return _webhook_answer(503, "Could not store the event; deliver it again later.")
    if stored.processed:
        return _webhook_answer(200, "Already processed.")
    try:
        webhook_event_handle.enqueue(event_id=str(stored.pk))
    except (DatabaseError, PyMongoError):
        # Stored, so not lost: the periodic retry_webhooks processes it.
        logger.exception("webhook %s stored but not queued", event["id"])
    return _webhook_answer(200, "Received.")


def _webhook_answer(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


def _is_buyer(request, order: Order) -> bool:
    if request.user.is_authenticated and order.user_id == request.user.pk:
        return True
    return order.number in request.session.get(SESSION_ORDERS_KEY, [])

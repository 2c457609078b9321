"""What each load scenario requests, and how to tell whether the shop has the pages it needs yet.

The requests themselves are the locust user classes in bench/locustfile.py; their request names
(the rows of the report) are here so that the bench can name them without importing locust.
"""

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from urllib.parse import urlencode

from bench.forms import find_form
from bench.webhooks import signed_delivery

FLOOR = "floor"
CATALOG_PAGE = "catalog page"
PRODUCT_PAGE = "product page"
CART_PRODUCT_PAGE = "cart flow: product page"
ADD_TO_CART = "add to cart (POST)"
CART_FLOW_PAGE = "cart flow: cart page"
CART_PAGE = "cart page"
# A guest's cart on the cart page scenario: this many lines, added before the page is measured.
CART_PAGE_LINES = 3
WEBHOOK = "webhook (POST)"


@dataclass
class Scenario:
    key: str
    title: str
    user_class: str
    request_names: list[str]
    # Measured for this many times the normal window: one round of a slow flow takes seconds.
    window_factor: int = 1


# The catalog page runs last: when a request of it overwhelms the embedded engine, the engine stays
# busy long after the request gave up, and would stall whatever ran next.
SCENARIOS = [
    Scenario("floor", "Floor: a constant view through the same middleware", "FloorUser", [FLOOR]),
    Scenario("product", "Product page (a random product)", "ProductUser", [PRODUCT_PAGE]),
    Scenario(
        "cart",
        "Guest opens a product, submits its add-to-cart form, views the cart",
        "CartUser",
        [ADD_TO_CART, CART_FLOW_PAGE, CART_PRODUCT_PAGE],
        window_factor=3,
    ),
    # The cart page on its own: the flow's CPU figure is shared by its three requests.
    Scenario(
        "cartview",
        f"Cart page: a guest whose cart holds {CART_PAGE_LINES} lines views it",
        "CartViewUser",
        [CART_PAGE],
    ),
    Scenario(
        "webhook",
        "Stripe webhook acknowledged (verified, stored, queued; no Stripe call, no email): a new signed "
        "customer.updated event each time",
        "WebhookUser",
        [WEBHOOK],
    ),
    Scenario("catalog", "Catalog page (first page of the product list)", "CatalogUser", [CATALOG_PAGE]),
]


# A scenario whose single request takes longer than this cannot be load-tested in a short window.
SINGLE_REQUEST_LIMIT_SECONDS = 5


def unservable(scenario, *, base_url, slug, webhook_secret, stripe_customer_id):
    """Send one round of the scenario; return why it cannot be load-tested, or None when it can."""
    if scenario.key == "webhook":
        status, _, _ = fetch(f"{base_url}/payments/webhook/", data=b"{}", content_type="application/json")
        if status in {404, 405}:
            return f"POST /payments/webhook/ answers {status} (no webhook view yet)"
        body, headers = signed_delivery(secret=webhook_secret, customer_id=stripe_customer_id)
        status, _, seconds = fetch(f"{base_url}/payments/webhook/", data=body.encode(), headers=headers)
        return _failed_or_too_slow(status, seconds)
    if scenario.key in {"cart", "cartview"}:
        return _cart_flow_unservable(base_url, slug)
    path = {"floor": "/bench/floor/", "catalog": "/"}.get(scenario.key, f"/products/{slug}/")
    status, _, seconds = fetch(f"{base_url}{path}")
    return _failed_or_too_slow(status, seconds)


def _cart_flow_unservable(base_url, slug):
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPCookieProcessor(CookieJar()))
    status, html, seconds = fetch(f"{base_url}/products/{slug}/", opener=opener)
    if reason := _failed_or_too_slow(status, seconds):
        return f"product page: {reason}"
    form = find_form(html, action_contains="/cart/")
    if form is None:
        return "the product page has no POST form whose action is under /cart/ (no add-to-cart form yet)"
    status, _, seconds = fetch(
        f"{base_url}{form.action}",
        data=urlencode(form.fields).encode(),
        content_type="application/x-www-form-urlencoded",
        opener=opener,
    )
    if reason := _failed_or_too_slow(200 if status in {302, 303} else status, seconds):
        return f"add to cart: {reason}"
    status, _, seconds = fetch(f"{base_url}/cart/", opener=opener)
    if reason := _failed_or_too_slow(status, seconds):
        return f"cart page: {reason}"
    return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Leave redirects to the caller, as the load tool does after adding to the cart."""

    def redirect_request(self, *args, **kwargs):
        return None


def _failed_or_too_slow(status, seconds):
    if status != 200:
        return f"a single request answered {status or 'nothing'} after {seconds:.1f} s"
    if seconds > SINGLE_REQUEST_LIMIT_SECONDS:
        return f"a single request took {seconds:.1f} s"
    return None


def fetch(url, *, data=None, content_type=None, headers=None, opener=None, timeout=90):
    """Return (status, body, seconds) of one request; status 0 when nothing came back in time."""
    headers = {**(headers or {}), **({"Content-Type": content_type} if content_type else {})}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - our own local URL
    began = time.monotonic()
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=timeout) as response:
            return response.status, response.read().decode(), time.monotonic() - began
    except urllib.error.HTTPError as error:
        return error.code, "", time.monotonic() - began
    except (urllib.error.URLError, TimeoutError):
        return 0, "", time.monotonic() - began

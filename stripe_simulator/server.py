"""The HTTP front: routes requests to the API, the hosted checkout page and
the control endpoints.

Control endpoints, for tests and for a human clicking through the shop (no
authentication; bodies are form-encoded, all fields optional):

    POST /_simulator/checkout/{id}/pay            pay with test card ``card`` (default 4242...)
    POST /_simulator/checkout/{id}/authenticate   complete the 3-D Secure challenge
    POST /_simulator/checkout/{id}/fail_authentication   fail it, session stays open
    POST /_simulator/checkout/{id}/decline        card is declined, session stays open
    POST /_simulator/checkout/{id}/pay_async      bank debit started, session complete unpaid
    POST /_simulator/checkout/{id}/pay_bank_transfer   bank transfer (customer_balance) chosen:
                                                  session complete unpaid, intent requires_action
    POST /_simulator/checkout/{id}/fund_bank_transfer  the transfer arrives (``amount``: part of it)
    POST /_simulator/checkout/{id}/async_succeed  the bank debit clears
    POST /_simulator/checkout/{id}/async_fail     the bank debit fails
    POST /_simulator/checkout/{id}/expire         the session expires
    POST /_simulator/payment_intents/{id}/refund  refund as from the dashboard (amount, reason)
    POST /_simulator/disputes/{id}/close          the bank decides a dispute (outcome: won, lost)
    GET  /_simulator/deliveries                   webhook delivery attempts so far
    POST /_simulator/deliveries/drop              send no more events (``types[]``: only these)
    POST /_simulator/deliveries/resume            send every event again

A bank transfer's instructions are at ``/bank_transfers/{payment_intent id}`` (its
``hosted_instructions_url``; POST ``amount`` sends that much to it).

Stripe's hosted invoice page is ``/invoices/{id}`` (an invoice's ``hosted_invoice_url``; POST
``action`` = ``pay`` pays an open invoice with the customer there).

The customer portal's page is ``/billing_portal/{id}`` (GET shows it; POST ``action`` = ``cancel``
or ``resume`` with ``subscription``, ``switch_plan`` with ``subscription`` and ``price``, or
``update_card`` with ``card``; each only if the session's configuration enables it).

``/test_clocks`` lists the test clocks with buttons that advance one by a day, a week or a month
(POST ``/test_clocks/{id}/advance`` with ``by`` = ``day``, ``week`` or ``month``).

The checkout actions take the customer's ``email``, ``name`` and
``address[line1]``, ``address[city]``, ``address[postal_code]``,
``address[country]``... (test values fill in whatever is missing) and answer
the session as JSON; refund answers the refund, close the dispute. The test
cards are listed in the README.
"""

import logging
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .api import Api
from .bank_transfer_page import render_bank_transfer, render_bank_transfer_not_found
from .billing import Billing
from .charges import Payments
from .checkout import Checkout
from .checkout_page import (
    CARD_DECLINED,
    card_from_form,
    details_from_form,
    form_error,
    render_authenticate,
    render_checkout,
    render_closed,
    render_not_found,
)
from .errors import StripeError
from .invoice_page import render_invoice, render_invoice_not_found
from .params import Params, parse_form
from .portal import Portal
from .portal_page import render_portal, render_portal_not_found
from .responses import Response, html_response, json_response, redirect
from .subscriptions import add_interval
from .test_clocks import TestClocks
from .test_clocks_page import ADVANCE_STEPS, render_test_clocks
from .webhooks import WebhookDispatcher

logger = logging.getLogger(__name__)

_PAGE = re.compile(r"^/checkout/([^/]+)$")
_PORTAL_PAGE = re.compile(r"^/billing_portal/([^/]+)$")
_INVOICE_PAGE = re.compile(r"^/invoices/([^/]+)$")
_CLOCK_ADVANCE = re.compile(r"^/test_clocks/([^/]+)/advance$")
_FUND_CONTROL = re.compile(r"^/_simulator/checkout/([^/]+)/fund_bank_transfer$")
_CHECKOUT_CONTROL = re.compile(r"^/_simulator/checkout/([^/]+)/([a-z_]+)$")
_TRANSFER_PAGE = re.compile(r"^/bank_transfers/([^/]+)$")
_REFUND_CONTROL = re.compile(r"^/_simulator/payment_intents/([^/]+)/refund$")
_DISPUTE_CONTROL = re.compile(r"^/_simulator/disputes/([^/]+)/close$")
_PAGE_ACTIONS = ("pay", "decline", "pay_async", "pay_bank_transfer")
_AUTHENTICATE_ACTIONS = ("authenticate", "fail_authentication")


class Router:
    """Maps a request (method, path, body) to a Response."""

    def __init__(
        self,
        api: Api,
        checkout: Checkout,
        payments: Payments,
        transaction: Callable[[], AbstractContextManager],
        deliveries: WebhookDispatcher,
        portal: Portal,
        test_clocks: TestClocks,
        billing: Billing,
    ):
        self._api = api
        self._billing = billing
        self._portal = portal
        self._test_clocks = test_clocks
        self._checkout = checkout
        self._payments = payments
        self._transaction = transaction
        self._deliveries = deliveries

    def handle(self, method: str, path: str, query: str, body: str, headers) -> Response:
        if path.startswith("/v1/"):
            return self._api.handle(method, path, query, body, headers)
        try:
            if match := _PAGE.match(path):
                return self._page(method, match[1], body)
            if match := _PORTAL_PAGE.match(path):
                return self._portal_page(method, match[1], body)
            if match := _INVOICE_PAGE.match(path):
                return self._invoice_page(method, match[1], body)
            if match := _TRANSFER_PAGE.match(path):
                return self._transfer_page(method, match[1], body)
            if path == "/test_clocks" and method == "GET":
                with self._transaction():
                    return html_response(200, render_test_clocks(self._clocks()))
            if (match := _CLOCK_ADVANCE.match(path)) and method == "POST":
                return self._advance_clock(match[1], parse_form(body))
            if path.startswith("/_simulator/"):
                return self._control(method, path, body)
            raise StripeError(f"Unrecognized request URL ({method}: {path}).", status=404)
        except StripeError as error:
            return json_response(error.status, error.to_dict())

    def _act(self, action: str, session_id: str, details: dict, card: str | None = None) -> dict:
        """Perform a customer action on a session; the caller holds the transaction."""
        checkout = self._checkout
        match action:
            case "pay":
                return checkout.pay(session_id, details, card)
            case "authenticate":
                return checkout.authenticate(session_id, succeeded=True)
            case "fail_authentication":
                return checkout.authenticate(session_id, succeeded=False)
            case "decline":
                return checkout.decline(session_id, details)
            case "pay_async":
                return checkout.pay_async(session_id, details)
            case "pay_bank_transfer":
                return checkout.pay_bank_transfer(session_id, details)
            case "async_succeed":
                return checkout.settle_async(session_id, succeeded=True)
            case "async_fail":
                return checkout.settle_async(session_id, succeeded=False)
            case "expire":
                return checkout.expire(session_id)
        raise StripeError(f"Unknown checkout action: {action}", status=404)

    def _page(self, method: str, session_id: str, body: str) -> Response:
        if method not in ("GET", "POST"):
            raise StripeError(f"Unrecognized request URL ({method}: /checkout/...).", status=404)
        form = parse_form(body) if method == "POST" else {}
        with self._transaction():
            try:
                session = self._checkout.retrieve_session(Params({}), session_id)
            except StripeError:
                return html_response(404, render_not_found(session_id))
            if session["status"] != "open":
                return html_response(200, render_closed(session))
            if method == "GET":
                # The page opens filled in with the address the customer has on file, as Stripe's does.
                form = self._checkout.saved_address(session) or {}
            error = None
            if method == "POST":
                error = self._submit(session, form)
                if session["status"] != "open":
                    return self._after_payment(session)
            if self._checkout.awaiting_authentication(session_id):
                return html_response(200, render_authenticate(session))
            lines = self._checkout.rendered_lines(session_id)
            page = render_checkout(
                session,
                lines,
                known_email=self._checkout.known_email(session),
                trial_days=self._checkout.trial_days(session_id),
                shipping_rates=self._checkout.offered_shipping_rates(session_id),
                error=error,
                form=form,
            )
            return html_response(200, page)

    def _submit(self, session: dict, form: dict) -> str | None:
        """Run the button's action; the message to show if the customer must try again."""
        action = form.get("action")
        if action == "apply_promotion_code":
            return self._apply_promotion_code(session, form)
        if action == "update_totals" or form.get("shipping_rate"):
            try:
                self._update_totals(session, form)
            except StripeError as failure:
                return failure.message
            if action == "update_totals":
                return ""
        awaiting = self._checkout.awaiting_authentication(session["id"])
        if action not in (_AUTHENTICATE_ACTIONS if awaiting else _PAGE_ACTIONS):
            return "Choose how to pay."
        known_email = self._checkout.known_email(session)
        if not awaiting and (error := form_error(session, form, known_email=known_email)):
            return error
        try:
            self._act(action, session["id"], details_from_form(form), card_from_form(form))
        except StripeError as failure:
            return failure.message
        if session["status"] != "open" or self._checkout.awaiting_authentication(session["id"]):
            return None
        # A declined card or a failed authentication: Stripe's reason, for another try.
        if session["payment_intent"]:
            intent = self._payments.retrieve_intent(Params({}), session["payment_intent"])
            if intent["last_payment_error"]:
                return intent["last_payment_error"]["message"]
        return CARD_DECLINED

    def _apply_promotion_code(self, session: dict, form: dict) -> str:
        """Apply the typed code; the page is shown again, with the new totals or why the code was refused."""
        code = (form.get("promotion_code") or "").strip()
        if not code:
            return "Enter a promotion code."
        try:
            self._checkout.apply_promotion_code(session["id"], code)
        except StripeError as failure:
            return failure.message
        return ""

    def _portal_page(self, method: str, session_id: str, body: str) -> Response:
        """The customer portal: GET shows it, POST does the pressed button's action and shows
        the page again with the outcome."""
        if method not in ("GET", "POST"):
            raise StripeError(f"Unrecognized request URL ({method}: /billing_portal/...).", status=404)
        form = parse_form(body) if method == "POST" else {}
        portal = self._portal
        with self._transaction():
            try:
                session = portal.session(session_id)
            except StripeError:
                return html_response(404, render_portal_not_found(session_id))
            message = error = None
            if method == "POST":
                message, error = self._portal_action(session, form)
            subscriptions = portal.customer_subscriptions(session)
            html = render_portal(
                session,
                subscriptions,
                portal.invoices(session),
                portal.product_names(subscriptions),
                portal.card_last4(session),
                {s["id"]: portal.plan_choices(session, s) for s in subscriptions},
                portal.features(session),
                portal.business_profile(session),
                message=message,
                error=error,
            )
            return html_response(200, html)

    def _portal_action(self, session: dict, form: dict) -> tuple[str | None, str | None]:
        """(message, error) after the action the form asks for."""
        action = form.get("action")
        try:
            if action == "cancel":
                canceled = self._portal.cancel(session, form.get("subscription"))
                if canceled["status"] == "canceled":
                    return "Your subscription was canceled.", None
                return "Your subscription will be canceled at the end of the period.", None
            if action == "resume":
                self._portal.resume(session, form.get("subscription"))
                return "Your subscription will continue.", None
            if action == "switch_plan":
                self._portal.switch_plan(session, form.get("subscription"), form.get("price"))
                return "Your plan was changed.", None
            if action == "update_card":
                self._portal.update_card(session, form.get("card"))
                if self._portal.unpaid(session):
                    return None, CARD_DECLINED
                return "Your card was updated.", None
        except StripeError as failure:
            return None, failure.message
        return None, "Choose an action."

    def _invoice_page(self, method: str, invoice_id: str, body: str) -> Response:
        """Stripe's hosted invoice page: GET shows it, POST pays the open invoice."""
        if method not in ("GET", "POST"):
            raise StripeError(f"Unrecognized request URL ({method}: /invoices/...).", status=404)
        with self._transaction():
            try:
                invoice = self._billing.retrieve_invoice(Params({}), invoice_id)
            except StripeError:
                return html_response(404, render_invoice_not_found(invoice_id))
            message = error = None
            if method == "POST" and parse_form(body).get("action") == "pay":
                try:
                    self._billing.pay_on_page(invoice_id)
                except StripeError as failure:
                    error = failure.message
                else:
                    paid = invoice["status"] == "paid"
                    message, error = ("Invoice paid.", None) if paid else (None, CARD_DECLINED)
            return html_response(200, render_invoice(invoice, message=message, error=error))

    def _transfer_page(self, method: str, intent_id: str, body: str) -> Response:
        """A bank transfer's instructions: GET shows them, POST sends `amount` (minor units)."""
        if method not in ("GET", "POST"):
            raise StripeError(f"Unrecognized request URL ({method}: /bank_transfers/...).", status=404)
        with self._transaction():
            try:
                intent = self._payments.retrieve_intent(Params({}), intent_id)
            except StripeError:
                return html_response(404, render_bank_transfer_not_found(intent_id))
            message = error = None
            if method == "POST":
                try:
                    amount = Params(parse_form(body)).allow("amount").integer("amount", minimum=1)
                    self._checkout.fund_bank_transfer(self._checkout.session_of_intent(intent_id), amount)
                except StripeError as failure:
                    error = failure.message
                else:
                    message = "Transfer received."
            return html_response(200, render_bank_transfer(intent, message=message, error=error))

    def _clocks(self) -> list[dict]:
        return self._test_clocks.list_clocks(Params({"limit": "100"}))["data"]

    def _advance_clock(self, clock_id: str, form: dict) -> Response:
        """Advance a clock by the step of the pressed button, then show the clocks again."""
        step = form.get("by")
        with self._transaction():
            try:
                clock = self._test_clocks.retrieve_clock(Params({}), clock_id)
                if step not in ADVANCE_STEPS or clock.get("deleted"):
                    raise StripeError("Choose how far to advance the clock.")
                target = add_interval(clock["frozen_time"], step, 1)
                self._test_clocks.advance_clock(Params({"frozen_time": str(target)}), clock_id)
            except StripeError as failure:
                return html_response(400, render_test_clocks(self._clocks(), error=failure.message))
        return redirect("/test_clocks")

    def _update_totals(self, session: dict, form: dict) -> None:
        """Total the session for the shipping rate picked and the country typed, as Checkout does
        when either changes."""
        if form.get("shipping_rate"):
            self._checkout.choose_shipping_rate(session["id"], form["shipping_rate"])
        address = form.get("address")
        if isinstance(address, dict):
            self._checkout.locate(session["id"], address.get("country"))

    @staticmethod
    def _after_payment(session: dict) -> Response:
        if not session["success_url"]:
            return html_response(200, render_closed(session))
        return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))

    def _control(self, method: str, path: str, body: str) -> Response:
        if method == "GET" and path == "/_simulator/deliveries":
            return json_response(200, [asdict(a) for a in self._deliveries.attempts()])
        if method != "POST":
            raise StripeError(f"Unrecognized request URL ({method}: {path}).", status=404)
        form = parse_form(body)
        if path == "/_simulator/deliveries/drop":
            types = Params(form).allow("types").strings("types")
            try:
                return json_response(200, self._deliveries.drop(types or None))
            except ValueError as error:
                raise StripeError(str(error), param="types") from error
        if path == "/_simulator/deliveries/resume":
            return json_response(200, self._deliveries.resume())
        with self._transaction():
            if match := _FUND_CONTROL.match(path):
                amount = Params(form).allow("amount").integer("amount", minimum=1)
                return json_response(200, self._checkout.fund_bank_transfer(match[1], amount))
            if match := _CHECKOUT_CONTROL.match(path):
                session_id, action = match.groups()
                session = self._act(action, session_id, details_from_form(form), card_from_form(form))
                return json_response(200, session)
            if match := _DISPUTE_CONTROL.match(path):
                params = Params(form).allow("outcome")
                outcome = params.string("outcome", required=True, choices=("won", "lost"))
                return json_response(200, self._payments.close_dispute(match[1], won=outcome == "won"))
            if match := _REFUND_CONTROL.match(path):
                params = Params(form).allow("amount", "reason")
                intent = self._payments.retrieve_intent(params, match[1])
                refund = self._payments.refund(
                    intent=intent,
                    amount=params.integer("amount", minimum=1),
                    reason=params.string("reason"),
                )
                return json_response(200, refund)
        raise StripeError(f"Unrecognized request URL ({method}: {path}).", status=404)


class SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Restarting on the same port right after a stop must not fail with EADDRINUSE.
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], router: Router):
        super().__init__(address, _Handler)
        self.router = router


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, which the SDK's connection pool expects.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY each keep-alive
    # response would wait ~40 ms on the client's delayed ACK.
    disable_nagle_algorithm = True
    server: SimulatorHTTPServer

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        response = self.server.router.handle(method, url.path, url.query, body, self.headers)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args) -> None:
        logger.info("%s %s", self.address_string(), format % args)

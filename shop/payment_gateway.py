"""The one seam through which the domain apps ask the payment provider for something.

The layers run shop -> accounts, catalog -> cart -> orders -> subscriptions -> payments, and a
module imports only from its own app or a lower one, so catalog, orders and subscriptions cannot
import the payments app that speaks to Stripe. When one of them must start a provider operation (the
catalog admin pushing a saved product or price, the order admin requesting a refund, a customer
cancelling a subscription), it calls an operation of PaymentGateway on
`payment_gateway()`, which loads the class named by settings.PAYMENT_GATEWAY (by default
payments.gateway.StripeGateway) by its dotted path: every static import still points down.

The gateway raises the domain's own exceptions (catalog.exceptions.StripeSyncFailed,
orders.exceptions.Refund*, subscriptions.exceptions.SubscriptionChangeFailed) and writes through the
domain's services (catalog.services, orders.refunds, subscriptions.services), so callers need to
know nothing of the provider.
"""

from typing import Protocol

from django.conf import settings
from django.db.models import Model
from django.utils.module_loading import import_string


class PaymentGateway(Protocol):
    """The provider operations the domain apps may ask for; see the implementation for each one's rules."""

    def product_push(self, *, product: Model) -> str | None:
        """Create, update or archive the catalog product at the provider; return its provider id.

        Raise catalog.exceptions.StripeSyncFailed, the product saved and marked, when the provider fails.
        """

    def price_push(self, *, price: Model) -> str | None:
        """Create, update, archive or replace the catalog price at the provider; return its provider id.

        Raise catalog.exceptions.StripeSyncFailed, the price saved and marked, when the provider fails.
        """

    def coupon_push(self, *, coupon: Model) -> str:
        """Create the catalog coupon at the provider once, and bring its codes in line; return its id.

        Raise catalog.exceptions.StripeSyncFailed, the coupon saved and marked, when the provider fails.
        """

    def promotion_code_push(self, *, promotion_code: Model) -> str:
        """Create the promotion code at the provider once, else update whether it is active; return its id.

        Raise catalog.exceptions.StripeSyncFailed, the code saved and marked, when the provider fails.
        """

    def shipping_rate_push(self, *, shipping_rate: Model) -> str:
        """Create the shipping rate at the provider, archive it, or replace it when its terms changed;
        return its (possibly new) provider id.

        Raise catalog.exceptions.StripeSyncFailed, the rate saved and marked, when the provider fails.
        """

    def refund_request(
        self, *, order: Model, amount: int, reason: str, stripe_reason: str, request_token: str, requested_by
    ) -> Model:
        """Record and send a refund of `amount` (minor units) of the order's payment; return the Refund.

        Raise one of orders.exceptions' RefundError: RefundFailed when the provider refused or was
        unreachable (the Refund is FAILED), the others when nothing was sent.
        """

    def subscription_cancel(self, *, subscription: Model, at_period_end: bool) -> Model:
        """Cancel the subscription now, or at the end of its paid period; return it as the provider
        has it afterwards (its record updated).

        Raise subscriptions.exceptions.SubscriptionChangeFailed when the provider refused or was
        unreachable; the record is then left as it was.
        """

    def subscription_resume(self, *, subscription: Model) -> Model:
        """Undo a cancellation at period end before the period ends; return the updated record.

        Raise subscriptions.exceptions.SubscriptionChangeFailed as subscription_cancel does.
        """

    def subscription_change_preview(self, *, subscription: Model, change):
        """Return a subscriptions.plan_changes.ChangePreview of the PlanChange `change`: what it
        charges now or from the next period. Raise SubscriptionChangeFailed as subscription_cancel does."""

    def subscription_change(self, *, subscription: Model, change) -> Model:
        """Make the PlanChange `change`; return the updated record. Raise as subscription_cancel does."""

    def subscription_pause(self, *, subscription: Model, resumes_at) -> Model:
        """Stop charging renewals until `resumes_at` (None: until unpaused); return the updated record."""

    def subscription_unpause(self, *, subscription: Model) -> Model:
        """Charge renewals again; return the updated record."""

    def billing_portal_url(self, *, customer: str, return_url: str) -> str:
        """Return the address of the provider's page where `customer` (the provider's customer id)
        updates their card, sees their invoices and may cancel at the period end, coming back to
        `return_url`; never a plan or quantity change, which the shop makes itself.

        Raise subscriptions.exceptions.SubscriptionChangeFailed when no page could be opened.
        """


def payment_gateway() -> PaymentGateway:
    """Return the configured payment gateway (settings.PAYMENT_GATEWAY)."""
    return import_string(settings.PAYMENT_GATEWAY)()

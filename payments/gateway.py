"""Stripe as the shop's payment gateway: the operations of shop.payment_gateway.PaymentGateway."""

from catalog.models import Coupon, Price, Product, PromotionCode, ShippingRate
from orders.models import Order, Refund
from payments.billing_portal import billing_portal_session_url
from payments.catalog_sync import price_push_to_stripe, product_push_to_stripe
from payments.promotions import coupon_push_to_stripe, promotion_code_push_to_stripe
from payments.refunds import order_refund_request
from payments.shipping import shipping_rate_push_to_stripe
from payments.subscriptions import (
    subscription_cancel_at_stripe,
    subscription_change_at_stripe,
    subscription_pause_at_stripe,
    subscription_preview_change_at_stripe,
    subscription_resume_at_stripe,
    subscription_unpause_at_stripe,
)
from subscriptions.models import Subscription
from subscriptions.plan_changes import ChangePreview, PlanChange


class StripeGateway:
    def product_push(self, *, product: Product) -> str | None:
        return product_push_to_stripe(product=product)

    def price_push(self, *, price: Price) -> str | None:
        return price_push_to_stripe(price=price)

    def coupon_push(self, *, coupon: Coupon) -> str:
        return coupon_push_to_stripe(coupon=coupon)

    def promotion_code_push(self, *, promotion_code: PromotionCode) -> str:
        return promotion_code_push_to_stripe(promotion_code=promotion_code)

    def shipping_rate_push(self, *, shipping_rate: ShippingRate) -> str:
        return shipping_rate_push_to_stripe(shipping_rate=shipping_rate)

    def refund_request(
        self, *, order: Order, amount: int, reason: str, stripe_reason: str, request_token: str, requested_by
    ) -> Refund:
        return order_refund_request(
            order=order,
            amount=amount,
            reason=reason,
            stripe_reason=stripe_reason,
            request_token=request_token,
            requested_by=requested_by,
        )

    def subscription_cancel(self, *, subscription: Subscription, at_period_end: bool) -> Subscription:
        return subscription_cancel_at_stripe(subscription=subscription, at_period_end=at_period_end)

    def subscription_resume(self, *, subscription: Subscription) -> Subscription:
        return subscription_resume_at_stripe(subscription=subscription)

    def billing_portal_url(self, *, customer: str, return_url: str) -> str:
        return billing_portal_session_url(customer=customer, return_url=return_url)

    def subscription_change_preview(self, *, subscription: Subscription, change: PlanChange) -> ChangePreview:
        return subscription_preview_change_at_stripe(subscription=subscription, change=change)

    def subscription_change(self, *, subscription: Subscription, change: PlanChange) -> Subscription:
        return subscription_change_at_stripe(subscription=subscription, change=change)

    def subscription_pause(self, *, subscription: Subscription, resumes_at) -> Subscription:
        return subscription_pause_at_stripe(subscription=subscription, resumes_at=resumes_at)

    def subscription_unpause(self, *, subscription: Subscription) -> Subscription:
        return subscription_unpause_at_stripe(subscription=subscription)

"""factory-boy factories for every model of the shop."""

import datetime

import factory
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User, UserRole
from cart.models import Cart, CartItem, CartStatus
from catalog.models import (
    BillingInterval,
    Coupon,
    Price,
    PriceType,
    Product,
    ProductImage,
    PromotionCode,
    ShippingRate,
)
from orders.models import FulfillmentStatus, Order, OrderItem, OrderStatus, PaymentStatus, Refund
from pages.models import Page, PageSlug
from payments.models import WebhookEvent
from subscriptions.models import Subscription, SubscriptionStatus

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    name = factory.Faker("name")
    role = UserRole.USER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AdminFactory(UserFactory):
    role = UserRole.ADMIN


class SuperAdminFactory(UserFactory):
    role = UserRole.SUPER_ADMIN


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.LazyAttribute(lambda product: slugify(product.name))
    description = factory.Faker("sentence")
    active = True


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    # A PNG drawn by Pillow, stored in the test storage (InMemoryStorage).
    image = factory.django.ImageField(
        filename="picture.png", format="PNG", width=900, height=600, color="teal"
    )
    alt_text = factory.Sequence(lambda n: f"Picture {n}")
    position = factory.Sequence(lambda n: n)


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupon

    name = factory.Sequence(lambda n: f"Coupon {n}")
    percent_off = 10


class PromotionCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromotionCode

    code = factory.Sequence(lambda n: f"CODE-{n}")
    coupon = factory.SubFactory(CouponFactory)


class ShippingRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingRate

    display_name = factory.Sequence(lambda n: f"Shipping {n}")
    amount = 500
    currency = "usd"


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price

    product = factory.SubFactory(ProductFactory)
    type = PriceType.ONE_TIME
    unit_amount = 1500
    currency = "usd"
    active = True

    class Params:
        monthly = factory.Trait(
            type=PriceType.RECURRING, recurring_interval=BillingInterval.MONTH, unit_amount=900
        )
        yearly = factory.Trait(
            type=PriceType.RECURRING, recurring_interval=BillingInterval.YEAR, unit_amount=9000
        )


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart

    session_key = factory.Sequence(lambda n: f"session{n:032d}")
    status = CartStatus.ACTIVE
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))

    class Params:
        for_user = factory.Trait(session_key=None, expires_at=None, user=factory.SubFactory(UserFactory))


class CartItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartItem

    cart = factory.SubFactory(CartFactory)
    price = factory.SubFactory(PriceFactory)
    product = factory.SelfAttribute("price.product")
    quantity = 1
    expires_at = factory.SelfAttribute("cart.expires_at")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    user = factory.SubFactory(UserFactory)
    customer_email = factory.LazyAttribute(
        lambda order: order.user.email if order.user else "guest@example.com"
    )
    currency = "usd"
    amount_subtotal = 3000
    amount_total = 3000
    status = OrderStatus.PENDING
    payment_status = PaymentStatus.PENDING
    fulfillment_status = FulfillmentStatus.UNFULFILLED
    stripe_checkout_session_id = factory.Sequence(lambda n: f"cs_test_{n:024d}")

    class Params:
        paid = factory.Trait(
            status=OrderStatus.PROCESSING,
            payment_status=PaymentStatus.PAID,
            paid_at=factory.LazyFunction(timezone.now),
            stripe_payment_intent_id=factory.Sequence(lambda n: f"pi_test_{n:024d}"),
        )


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    price = factory.SubFactory(PriceFactory)
    product = factory.SelfAttribute("price.product")
    product_name = factory.SelfAttribute("price.product.name")
    unit_amount = factory.SelfAttribute("price.unit_amount")
    currency = factory.SelfAttribute("price.currency")
    price_type = factory.SelfAttribute("price.type")
    recurring_interval = factory.SelfAttribute("price.recurring_interval")
    quantity = 2
    amount_total = factory.LazyAttribute(lambda item: item.unit_amount * item.quantity)


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    order = factory.SubFactory(OrderFactory, paid=True)
    amount = 500
    currency = "usd"
    reason = "requested_by_customer"


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    stripe_event_id = factory.Sequence(lambda n: f"evt_test_{n:024d}")
    type = "checkout.session.completed"
    payload = factory.LazyAttribute(
        lambda event: {"id": event.stripe_event_id, "type": event.type, "data": {}}
    )


class PageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Page
        django_get_or_create = ("slug",)

    slug = PageSlug.CONTACT
    title = factory.LazyAttribute(lambda page: PageSlug(page.slug).label)
    body = "Write to us at shop@example.com.\n\nWe answer within one working day."


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """A subscription record as Stripe's events leave it: one monthly item, in its first period."""

    class Meta:
        model = Subscription

    stripe_subscription_id = factory.Sequence(lambda n: f"sub_test_{n:020d}")
    stripe_customer_id = factory.Sequence(lambda n: f"cus_test_{n:014d}")
    user = factory.SubFactory(UserFactory)
    customer_email = factory.LazyAttribute(lambda sub: sub.user.email if sub.user else "guest@example.com")
    status = SubscriptionStatus.ACTIVE
    currency = "usd"
    items = factory.LazyFunction(
        lambda: [
            {
                "product_name": "Coffee club",
                "price_id": None,
                "stripe_price_id": "price_test_coffee",
                "unit_amount": 1200,
                "currency": "usd",
                "interval": "month",
                "interval_count": 1,
                "quantity": 1,
            }
        ]
    )
    current_period_start = factory.LazyFunction(timezone.now)
    current_period_end = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))

"""Each role against each admin model: view, add, change and delete, read from the admin's pages."""

from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin
from django.urls import reverse

from accounts.models import User, UserRole
from accounts.roles import ADMIN_APP_LABELS
from cart.models import Cart, CartItem
from catalog.models import Collection, Coupon, Price, Product, PromotionCode, ShippingRate, Variant
from inventory.models import BackInStockRequest, StockAdjustment, StockHold
from jobs.models import OutgoingEmail, TaskRecord
from orders.models import Order, OrderItem, OrderStatusChange, Refund
from pages.models import Page
from payments.models import WebhookEvent
from subscriptions.models import PlanFamily, Subscription
from tests import factories
from tests.accounts.admin_pages import observed_access

pytestmark = pytest.mark.django_db


def _email_address():
    user = factories.UserFactory()
    return EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


def _social_account():
    return SocialAccount.objects.create(user=factories.UserFactory(), provider="github", uid="583231")


ROW_FACTORIES = {
    User: factories.UserFactory,
    EmailAddress: _email_address,
    EmailConfirmation: lambda: EmailConfirmation.objects.create(email_address=_email_address(), key="k" * 64),
    SocialAccount: _social_account,
    SocialToken: lambda: SocialToken.objects.create(account=_social_account(), token="gho_secret"),
    SocialApp: lambda: SocialApp.objects.create(
        provider="google", name="Google", client_id="id", secret="secret"
    ),
    Product: factories.ProductFactory,
    Price: factories.PriceFactory,
    Coupon: factories.CouponFactory,
    PromotionCode: factories.PromotionCodeFactory,
    ShippingRate: factories.ShippingRateFactory,
    Cart: factories.CartFactory,
    CartItem: factories.CartItemFactory,
    Order: factories.OrderFactory,
    OrderItem: factories.OrderItemFactory,
    OrderStatusChange: lambda: OrderStatusChange.objects.create(
        order=factories.OrderFactory(), field="status", old_status="PENDING", new_status="PROCESSING"
    ),
    Refund: factories.RefundFactory,
    Subscription: factories.SubscriptionFactory,
    PlanFamily: lambda: PlanFamily.objects.create(name="Coffee club"),
    WebhookEvent: factories.WebhookEventFactory,
    Page: factories.PageFactory,
    Variant: lambda: factories.PriceFactory().variant,
    Collection: lambda: Collection.objects.create(name="Kitchen", slug="kitchen"),
    StockAdjustment: lambda: StockAdjustment.objects.create(
        variant=factories.PriceFactory().variant, quantity=3, reason="Delivery", on_hand_after=3
    ),
    StockHold: lambda: StockHold.objects.create(
        order_number="ORD-0123456789AB", variant=factories.PriceFactory().variant, quantity=1
    ),
    BackInStockRequest: lambda: BackInStockRequest.objects.create(
        variant=factories.PriceFactory().variant, email="waiting@example.com"
    ),
    TaskRecord: lambda: TaskRecord.objects.create(
        task_path="jobs.tasks.email_deliver", queue_name="default", backend_name="default", max_attempts=3
    ),
    OutgoingEmail: lambda: OutgoingEmail.objects.create(
        key="k1", recipient="ada@example.com", subject="Hello", body="Hello"
    ),
}
ALL = {"view": True, "add": True, "change": True, "delete": True}
NOTHING = dict.fromkeys(ALL, False)
# Models of this issue whose admin deliberately allows less than everything, even to a SUPER_ADMIN.
SUPER_ADMIN_LIMITS = {
    # Tokens come from the providers only; they are never shown or edited, only revoked.
    SocialToken: {"view": True, "add": False, "change": False, "delete": True},
}
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def test_every_registered_model_has_a_row_factory():
    missing = [model._meta.label for model in REGISTERED if model not in ROW_FACTORIES]
    assert not missing, f"add a row factory to ROW_FACTORIES for {missing}"


def test_the_shop_models_and_the_accounts_models_are_all_in_admin():
    assert {
        User,
        EmailAddress,
        SocialAccount,
        SocialToken,
        SocialApp,
        Product,
        Price,
        Order,
        Refund,
        Page,
    } <= set(REGISTERED)


@pytest.mark.parametrize(
    "model", [model for model in REGISTERED if model in ROW_FACTORIES], ids=lambda model: model._meta.label
)
def test_role_permission_matrix(client, model):
    row = ROW_FACTORIES[model]()
    observed = {}
    for role in UserRole:
        client.force_login(factories.UserFactory(role=role))
        observed[role] = observed_access(client, model, row)

    super_access, _ = observed[UserRole.SUPER_ADMIN]
    admin_access, admin_statuses = observed[UserRole.ADMIN]
    user_access, user_statuses = observed[UserRole.USER]

    assert user_access == NOTHING
    assert set(user_statuses.values()) == {HTTPStatus.FOUND}
    if model._meta.app_label in ADMIN_APP_LABELS:
        # The shop's models: an ADMIN may do exactly what a SUPER_ADMIN may (their admins decide what).
        assert super_access["view"]
        assert admin_access == super_access
    else:
        assert super_access == SUPER_ADMIN_LIMITS.get(model, ALL)
        assert admin_access == NOTHING
        assert set(admin_statuses.values()) == {HTTPStatus.FORBIDDEN}


def test_an_admin_sees_the_shop_in_admin_but_no_users_roles_or_linked_accounts(client):
    client.force_login(factories.AdminFactory())

    page = client.get(reverse("admin:index"))

    assert page.status_code == 200
    app_labels = {app["app_label"] for app in page.context["app_list"]}
    assert app_labels == set(ADMIN_APP_LABELS)
    assert reverse("admin:accounts_user_changelist") not in page.text


def test_a_super_admin_sees_users_and_linked_accounts_in_admin(client):
    client.force_login(factories.SuperAdminFactory())

    page = client.get(reverse("admin:index"))

    app_labels = {app["app_label"] for app in page.context["app_list"]}
    assert {"accounts", "account", "socialaccount", *ADMIN_APP_LABELS} <= app_labels
    assert "auth" not in app_labels

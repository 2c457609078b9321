"""The data model at the database level: constraints, cascades, soft delete, TTL, keys, enums, statuses."""

import threading

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from bson import ObjectId
from django.apps import apps
from django.db import IntegrityError, connection, connections
from django.utils import timezone
from django_mongodb_backend.fields import ObjectIdAutoField

from accounts.models import User, UserRole
from cart.models import Cart, CartItem, CartStatus
from cart.services import cart_add_price, cart_get_or_create_for_request, cart_update_item
from catalog.models import Price, PriceType, Product
from orders.exceptions import InvalidStatusTransition
from orders.models import (
    FulfillmentStatus,
    Order,
    OrderItem,
    OrderStatus,
    OrderStatusChange,
    PaymentStatus,
    Refund,
)
from payments.models import WebhookEvent
from tests import factories
from tests.admin.pages import changelist_url, result_pks
from tests.cart.helpers import guest_request, user_request

# --- Unique constraints -----------------------------------------------------------------------


def test_a_duplicate_cart_line_is_refused(db):
    item = factories.CartItemFactory(quantity=2)

    with pytest.raises(IntegrityError):
        CartItem.objects.create(cart=item.cart, product=item.product, price=item.price, quantity=1)

    assert list(CartItem.objects.values_list("quantity", flat=True)) == [2]


def test_the_same_product_at_another_price_is_another_line(db):
    item = factories.CartItemFactory()
    monthly = factories.PriceFactory(product=item.product, monthly=True)

    CartItem.objects.create(cart=item.cart, product=item.product, price=monthly)

    assert item.cart.items.count() == 2


NULLABLE_UNIQUE_FIELDS = [
    (factories.ProductFactory, "stripe_product_id", "prod_1"),
    (factories.PriceFactory, "stripe_price_id", "price_1"),
    (factories.OrderFactory, "stripe_checkout_session_id", "cs_test_1"),
    (factories.OrderFactory, "stripe_payment_intent_id", "pi_1"),
    (factories.UserFactory, "stripe_customer_id", "cus_1"),
    (factories.RefundFactory, "stripe_refund_id", "re_1"),
    (factories.RefundFactory, "idempotency_key", "refund-1"),
]


@pytest.mark.parametrize(
    ("factory", "field", "value"),
    NULLABLE_UNIQUE_FIELDS,
    ids=[f"{factory._meta.model.__name__}.{field}" for factory, field, _ in NULLABLE_UNIQUE_FIELDS],
)
def test_nullable_unique_fields_allow_many_empty_values_and_no_duplicates(db, factory, field, value):
    model = factory._meta.model
    empty = [factory(**{field: None}), factory(**{field: None})]
    factory(**{field: value})

    with pytest.raises(IntegrityError):
        factory(**{field: value})

    assert (
        model.objects.filter(**{f"{field}__isnull": True, "pk__in": [row.pk for row in empty]}).count() == 2
    )
    assert model.objects.filter(**{field: value}).count() == 1


def test_a_duplicate_stripe_event_id_is_refused(db):
    factories.WebhookEventFactory(stripe_event_id="evt_1", type="charge.refunded")

    with pytest.raises(IntegrityError):
        WebhookEvent.objects.create(stripe_event_id="evt_1", type="checkout.session.completed", payload={})

    assert list(WebhookEvent.objects.values_list("type", flat=True)) == ["charge.refunded"]


# --- Cascades ---------------------------------------------------------------------------------


def test_deleting_a_user_deletes_their_linked_accounts_tokens_and_email_addresses(db):
    user, other = factories.UserFactory.create_batch(2)
    app = SocialApp.objects.create(provider="github", name="GitHub", client_id="id", secret="secret")
    for owner in (user, other):
        account = SocialAccount.objects.create(user=owner, provider="github", uid=f"uid-{owner.pk}")
        SocialToken.objects.create(app=app, account=account, token="token")
        EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)

    user.delete()

    assert list(SocialAccount.objects.values_list("user", flat=True)) == [other.pk]
    assert list(SocialToken.objects.values_list("account__user", flat=True)) == [other.pk]
    assert list(EmailAddress.objects.values_list("email", flat=True)) == [other.email]
    assert SocialApp.objects.filter(pk=app.pk).exists()


def test_deleting_a_user_keeps_their_orders_and_deletes_their_carts(db):
    order = factories.OrderFactory(customer_email="ada@example.com")
    cart = factories.CartFactory(for_user=True, user=order.user)

    order.user.delete()

    order.refresh_from_db()
    assert order.user is None
    assert order.customer_email == "ada@example.com"
    assert not Cart.objects.filter(pk=cart.pk).exists()


def test_deleting_a_product_deletes_its_prices_and_cart_lines(db):
    price = factories.PriceFactory()
    other_price = factories.PriceFactory()
    factories.CartItemFactory(price=price)
    kept_line = factories.CartItemFactory(price=other_price)

    price.product.delete()

    assert list(Price.objects.all()) == [other_price]
    assert list(CartItem.objects.all()) == [kept_line]


def test_deleting_a_product_keeps_order_lines_with_their_snapshot(db):
    price = factories.PriceFactory(monthly=True, unit_amount=1900, product__name="Coffee club")
    item = factories.OrderItemFactory(price=price, quantity=1)

    price.product.delete()

    item.refresh_from_db()
    assert (item.product, item.price) == (None, None)
    assert (item.product_name, item.unit_amount, item.currency) == ("Coffee club", 1900, "usd")
    assert (item.price_type, item.recurring_interval) == (PriceType.RECURRING, "month")


def test_deleting_a_cart_deletes_its_items(db):
    item = factories.CartItemFactory()
    other = factories.CartItemFactory()

    item.cart.delete()

    assert list(CartItem.objects.all()) == [other]


def test_deleting_an_order_deletes_its_items_status_changes_and_refunds(db):
    order = factories.OrderFactory(paid=True)
    factories.OrderItemFactory.create_batch(2, order=order)
    order.set_status("fulfillment_status", FulfillmentStatus.FULFILLED)
    factories.RefundFactory(order=order)
    kept = factories.OrderItemFactory()

    order.delete()

    assert list(OrderItem.objects.all()) == [kept]
    assert not OrderStatusChange.objects.exists()
    assert not Refund.objects.exists()


def test_deleting_an_order_leaves_the_cart_it_came_from(db):
    cart = factories.CartFactory(status=CartStatus.CHECKED_OUT)
    order = factories.OrderFactory(cart=cart)

    cart.delete()

    order.refresh_from_db()
    assert order.cart is None


# --- Soft delete and availability -------------------------------------------------------------


def test_soft_deleted_and_inactive_rows_are_hidden_from_the_shop_but_listed_in_admin(client, db):
    live = factories.PriceFactory()
    deleted_product = factories.ProductFactory(deleted_at=timezone.now())
    inactive_product = factories.ProductFactory(active=False)
    deleted_price = factories.PriceFactory(product=live.product, deleted_at=timezone.now())
    inactive_price = factories.PriceFactory(product=live.product, active=False)
    client.force_login(factories.SuperAdminFactory())

    assert list(Product.objects.for_sale()) == [live.product]
    assert list(Price.objects.for_sale()) == [live]
    assert [row.is_for_sale for row in (live.product, deleted_product, inactive_product)] == [
        True,
        False,
        False,
    ]
    assert [row.is_for_sale for row in (live, deleted_price, inactive_price)] == [True, False, False]
    assert result_pks(client.get(changelist_url(Product))) == {
        str(product.pk) for product in (live.product, deleted_product, inactive_product)
    }
    assert result_pks(client.get(changelist_url(Price))) == {
        str(price.pk) for price in (live, deleted_price, inactive_price)
    }


def test_restore_undoes_a_soft_delete(db):
    product = factories.ProductFactory()

    assert Product.objects.filter(pk=product.pk).soft_delete() == 1
    assert not Product.objects.for_sale().exists()
    assert Product.objects.filter(pk=product.pk).restore() == 1
    assert list(Product.objects.for_sale()) == [product]


# --- TTL --------------------------------------------------------------------------------------
# MongoDB's TTL monitor deletes documents past their expires_at about once a minute, the embedded
# engine at its next operation on the collection. No test waits for either: these check the rules
# the shop relies on instead, moving the shop's clock and not the database's, so that no stored
# document is ever past its expiry and neither engine removes anything during a test.


@pytest.mark.parametrize(
    ("collection", "index_name"),
    [("cart_cart", "cart_expires_at_ttl"), ("cart_cartitem", "cartitem_expires_at_ttl")],
)
def test_ttl_indexes_exist_on_the_server(db, collection, index_name):
    assert Cart._meta.db_table == "cart_cart"
    assert CartItem._meta.db_table == "cart_cartitem"

    indexes = connection.database[collection].index_information()

    assert indexes[index_name]["key"] == [("expires_at", 1)]
    assert indexes[index_name]["expireAfterSeconds"] == 0
    # MongoDB refuses a second index on the same key that differs only in TTL.
    assert [name for name, index in indexes.items() if index["key"] == [("expires_at", 1)]] == [index_name]


def test_a_cart_past_its_expiry_is_expired_on_read_while_still_stored(db, monkeypatch):
    guest_cart = factories.CartFactory()
    user_cart = factories.CartFactory(for_user=True)
    expiry = guest_cart.expires_at
    monkeypatch.setattr(timezone, "now", lambda: expiry + timezone.timedelta(seconds=1))

    stored = Cart.objects.get(pk=guest_cart.pk)

    assert stored.is_expired
    assert list(Cart.objects.open()) == [user_cart]


def test_every_line_of_a_guest_cart_carries_its_cart_expiry(db, monkeypatch):
    """The TTL monitor does not cascade: each collection loses what is past its own expires_at."""
    cart = cart_get_or_create_for_request(request=guest_request())
    first = cart_add_price(cart=cart, price=factories.PriceFactory(), quantity=1)
    cart_add_price(cart=cart, price=factories.PriceFactory(), quantity=1)
    expiries = [Cart.objects.get(pk=cart.pk).expires_at]

    # Each change moves the cart's expiry: the lines not changed move with it.
    for hours, change in [
        (2, lambda: cart_add_price(cart=cart, price=factories.PriceFactory(), quantity=2)),
        (4, lambda: cart_update_item(cart=cart, item=first, quantity=3)),
    ]:
        later = timezone.now() + timezone.timedelta(hours=hours)
        monkeypatch.setattr(timezone, "now", lambda later=later: later)
        change()

        expiries.append(Cart.objects.get(pk=cart.pk).expires_at)
        assert expiries[-1] > expiries[-2]
        assert (
            list(CartItem.objects.filter(cart=cart).values_list("expires_at", flat=True))
            == [expiries[-1]] * 3
        )


def test_the_lines_of_a_signed_in_shoppers_cart_never_expire(db):
    user = factories.UserFactory()
    cart = cart_get_or_create_for_request(request=user_request(user))

    cart_add_price(cart=cart, price=factories.PriceFactory(), quantity=1)

    assert Cart.objects.get(pk=cart.pk).expires_at is None
    assert list(CartItem.objects.filter(cart=cart).values_list("expires_at", flat=True)) == [None]


# --- Keys and enums ---------------------------------------------------------------------------


def test_every_model_has_an_objectid_primary_key(db):
    # Keyed by the session key, as in Django; sorl-thumbnail's store by its thumbnail key.
    keyed_otherwise = {"sessions.session", "thumbnail.kvstore"}
    models = [model for model in apps.get_models() if model._meta.label_lower not in keyed_otherwise]

    assert {"account.emailaddress", "socialaccount.socialaccount", "auth.permission"} <= {
        model._meta.label_lower for model in models
    }
    for model in models:
        assert isinstance(model._meta.pk, ObjectIdAutoField), model._meta.label


@pytest.mark.parametrize(
    "factory",
    [factories.UserFactory, factories.ProductFactory, factories.OrderFactory, factories.WebhookEventFactory],
    ids=lambda factory: factory._meta.model.__name__,
)
def test_stored_primary_keys_are_objectids(db, factory):
    row = factory()

    stored = connection.database[factory._meta.model._meta.db_table].find_one({"_id": row.pk})

    assert isinstance(stored["_id"], ObjectId)


# Copied from the spec (DATABASE_MODELS.md, "Enums Overview"), in its order and spelling.
SPEC_ENUMS = {
    UserRole: ["USER", "ADMIN", "SUPER_ADMIN"],
    PriceType: ["ONE_TIME", "RECURRING"],
    CartStatus: ["ACTIVE", "CHECKED_OUT", "EXPIRED"],
    OrderStatus: ["PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED", "REFUNDED"],
    PaymentStatus: [
        "PENDING",
        "PAID",
        "FAILED",
        "REFUNDED",
        "PARTIALLY_REFUNDED",
        "REQUIRES_PAYMENT_METHOD",
        "REQUIRES_CONFIRMATION",
        "REQUIRES_ACTION",
        "CANCELED",
    ],
    FulfillmentStatus: ["UNFULFILLED", "FULFILLED", "SHIPPED", "DELIVERED", "RETURNED"],
}


@pytest.mark.parametrize("enum", SPEC_ENUMS, ids=lambda enum: enum.__name__)
def test_enum_values_are_spelled_as_in_the_spec(enum):
    assert enum.values == SPEC_ENUMS[enum]


def test_enum_values_are_what_the_database_stores(db):
    order = factories.OrderFactory(paid=True)

    stored = connection.database["orders_order"].find_one({"_id": order.pk})

    assert (stored["status"], stored["payment_status"], stored["fulfillment_status"]) == (
        "PROCESSING",
        "PAID",
        "UNFULFILLED",
    )


# --- Order.set_status -------------------------------------------------------------------------

LEGAL_MOVES = [
    ("status", OrderStatus.PENDING, OrderStatus.PROCESSING),
    ("status", OrderStatus.PROCESSING, OrderStatus.COMPLETED),
    ("status", OrderStatus.COMPLETED, OrderStatus.REFUNDED),
    ("status", OrderStatus.PENDING, OrderStatus.CANCELLED),
    ("payment_status", PaymentStatus.PENDING, PaymentStatus.PAID),
    ("payment_status", PaymentStatus.REQUIRES_ACTION, PaymentStatus.PAID),
    ("payment_status", PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED),
    ("payment_status", PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED),
    # Back, when a refund Stripe reported succeeded fails after all.
    ("payment_status", PaymentStatus.REFUNDED, PaymentStatus.PAID),
    ("payment_status", PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.PAID),
    ("status", OrderStatus.REFUNDED, OrderStatus.PROCESSING),
    ("fulfillment_status", FulfillmentStatus.UNFULFILLED, FulfillmentStatus.FULFILLED),
    ("fulfillment_status", FulfillmentStatus.UNFULFILLED, FulfillmentStatus.SHIPPED),
    ("fulfillment_status", FulfillmentStatus.FULFILLED, FulfillmentStatus.SHIPPED),
    ("fulfillment_status", FulfillmentStatus.SHIPPED, FulfillmentStatus.DELIVERED),
    ("fulfillment_status", FulfillmentStatus.SHIPPED, FulfillmentStatus.RETURNED),
    ("fulfillment_status", FulfillmentStatus.DELIVERED, FulfillmentStatus.RETURNED),
]
ILLEGAL_MOVES = [
    ("status", OrderStatus.COMPLETED, OrderStatus.PROCESSING),
    ("status", OrderStatus.CANCELLED, OrderStatus.PROCESSING),
    ("status", OrderStatus.PENDING, OrderStatus.COMPLETED),
    ("payment_status", PaymentStatus.PAID, PaymentStatus.PENDING),
    ("payment_status", PaymentStatus.CANCELED, PaymentStatus.PAID),
    ("payment_status", PaymentStatus.PENDING, PaymentStatus.REFUNDED),
    ("fulfillment_status", FulfillmentStatus.UNFULFILLED, FulfillmentStatus.DELIVERED),
    ("fulfillment_status", FulfillmentStatus.FULFILLED, FulfillmentStatus.RETURNED),
    ("fulfillment_status", FulfillmentStatus.SHIPPED, FulfillmentStatus.FULFILLED),
    ("fulfillment_status", FulfillmentStatus.RETURNED, FulfillmentStatus.DELIVERED),
]


def _move_id(move):
    field, old, new = move
    return f"{field}:{old}->{new}"


@pytest.mark.parametrize("move", LEGAL_MOVES, ids=_move_id)
def test_set_status_makes_a_legal_move_and_records_it(db, move):
    field, old, new = move
    order = factories.OrderFactory(**{field: old})

    assert order.set_status(field, new, note="by the test") is True

    order.refresh_from_db()
    assert getattr(order, field) == new
    change = order.status_changes.get()
    assert (change.field, change.old_status, change.new_status, change.note) == (
        field,
        old,
        new,
        "by the test",
    )


@pytest.mark.parametrize("move", ILLEGAL_MOVES, ids=_move_id)
def test_set_status_refuses_an_illegal_move_and_changes_nothing(db, move):
    field, old, new = move
    order = factories.OrderFactory(**{field: old})
    order.refresh_from_db()  # the stored time, at the database's millisecond precision
    updated_at = order.updated_at

    with pytest.raises(InvalidStatusTransition, match=f"cannot move .* from {old} to {new}"):
        order.set_status(field, new)

    order.refresh_from_db()
    assert getattr(order, field) == old
    assert order.updated_at == updated_at
    assert not order.status_changes.exists()


@pytest.mark.parametrize(
    ("move", "allowed"),
    [(m, True) for m in LEGAL_MOVES] + [(m, False) for m in ILLEGAL_MOVES],
    ids=lambda v: _move_id(v) if isinstance(v, tuple) else str(v),
)
def test_allowed_statuses_name_the_moves_set_status_makes(move, allowed):
    field, old, new = move
    order = factories.OrderFactory.build(**{field: old})

    assert (new in order.allowed_statuses(field)) is allowed


def test_allowed_statuses_of_a_final_status_are_none():
    order = factories.OrderFactory.build(payment_status=PaymentStatus.CANCELED, status=OrderStatus.CANCELLED)

    assert order.allowed_statuses("payment_status") == frozenset()
    assert order.allowed_statuses("status") == frozenset()


def test_set_status_returns_false_on_a_repeat_and_records_nothing(db):
    order = factories.OrderFactory(paid=True)

    assert order.set_status("payment_status", PaymentStatus.PAID) is False
    assert not order.status_changes.exists()


def test_set_status_saves_the_extra_fields_with_the_move(db):
    order = factories.OrderFactory(paid=True, fulfillment_status=FulfillmentStatus.FULFILLED)

    order.set_status("fulfillment_status", FulfillmentStatus.SHIPPED, carrier="UPS", tracking_number="1Z999")

    order.refresh_from_db()
    assert (order.fulfillment_status, order.carrier, order.tracking_number) == ("SHIPPED", "UPS", "1Z999")


def test_set_status_records_each_move_in_order(db):
    order = factories.OrderFactory()

    order.set_status("status", OrderStatus.PROCESSING)
    order.set_status("payment_status", PaymentStatus.PAID)
    order.set_status("status", OrderStatus.COMPLETED)

    assert list(order.status_changes.values_list("field", "old_status", "new_status")) == [
        ("status", "PENDING", "PROCESSING"),
        ("payment_status", "PENDING", "PAID"),
        ("status", "PROCESSING", "COMPLETED"),
    ]


def test_of_two_orders_loaded_before_either_moves_only_one_moves(db):
    order = factories.OrderFactory()
    first, second = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)

    assert first.set_status("status", OrderStatus.PROCESSING) is True
    with pytest.raises(InvalidStatusTransition) as lost:
        second.set_status("status", OrderStatus.CANCELLED)

    assert lost.value.concurrent is True
    assert second.status == OrderStatus.PROCESSING  # reloaded: the loser sees the winner's move
    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING
    assert list(order.status_changes.values_list("new_status", flat=True)) == ["PROCESSING"]


def test_concurrent_moves_from_two_threads_apply_once(db):
    order = factories.OrderFactory()
    instances = [Order.objects.get(pk=order.pk) for _ in range(2)]
    start = threading.Barrier(2)
    outcomes = []

    def move(instance):
        start.wait()
        try:
            outcomes.append(instance.set_status("status", OrderStatus.PROCESSING))
        except InvalidStatusTransition as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=move, args=(instance,)) for instance in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    winners = [outcome for outcome in outcomes if outcome is True]
    losers = [outcome for outcome in outcomes if isinstance(outcome, InvalidStatusTransition)]
    assert (len(winners), len(losers)) == (1, 1)
    assert losers[0].concurrent
    assert OrderStatusChange.objects.filter(order=order).count() == 1


def test_user_role_flags_follow_the_role(db):
    user = factories.UserFactory()

    assert (user.is_staff, user.is_superuser) == (False, False)
    user.role = UserRole.ADMIN
    user.save(update_fields=["role"])
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (True, False)
    assert User.objects.get(pk=user.pk).role == "ADMIN"


@pytest.mark.parametrize(
    ("price_type", "interval", "count", "trial", "label"),
    [
        ("ONE_TIME", "", 1, None, ""),
        ("RECURRING", "month", 1, None, "every month"),
        ("RECURRING", "month", 3, None, "every 3 months"),
        ("RECURRING", "year", 1, 14, "every year, 14-day free trial"),
    ],
)
def test_order_item_billing_label_reads_as_a_shopper_would(price_type, interval, count, trial, label):
    item = OrderItem(
        price_type=price_type,
        recurring_interval=interval,
        recurring_interval_count=count,
        trial_period_days=trial,
    )
    assert item.billing_label == label

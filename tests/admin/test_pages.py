"""Every model's changelist and change page render for staff, with money shown as money."""

import pytest
from django.utils import timezone

from cart.models import Cart, CartItem
from catalog.models import Price, Product
from orders.models import Order, OrderItem, OrderStatus, OrderStatusChange, Refund
from payments.models import WebhookEvent
from tests import factories
from tests.admin.pages import change_url, changelist_url


@pytest.fixture
def shop_rows(db):
    """A few rows of every model, amounts chosen so each formatted figure is unmistakable."""
    price = factories.PriceFactory(unit_amount=123456, currency="usd", product__name="Walnut desk")
    factories.PriceFactory(product=price.product, monthly=True, unit_amount=1999, currency="eur")
    factories.ProductFactory(name="Retired lamp", deleted_at=timezone.now())
    item = factories.CartItemFactory(price=price, quantity=2)
    order = factories.OrderFactory(
        paid=True, amount_subtotal=246912, amount_total=246912, refunded_amount=500
    )
    factories.OrderItemFactory(order=order, price=price, quantity=2)
    order.set_status("status", OrderStatus.COMPLETED, note="delivered in person")
    factories.RefundFactory(order=order, amount=500, stripe_refund_id="re_test_123")
    event = factories.WebhookEventFactory(attempts=2, last_error="Order not found")
    return {
        Product: price.product,
        Price: price,
        Cart: item.cart,
        CartItem: item,
        Order: order,
        OrderItem: order.items.get(),
        OrderStatusChange: order.status_changes.get(),
        Refund: order.refunds.get(),
        WebhookEvent: event,
    }


MODELS = [Product, Price, Cart, CartItem, Order, OrderItem, OrderStatusChange, Refund, WebhookEvent]
# What each changelist must show as money (never raw cents such as 123456).
CHANGELIST_MONEY = {
    Product: ["$1,234.56", "€19.99 / month"],
    Price: ["$1,234.56", "€19.99 / month"],
    CartItem: ["$2,469.12"],
    Order: ["$2,469.12", "$5.00"],
    OrderItem: ["$1,234.56", "$2,469.12"],
    Refund: ["$5.00"],
}


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_lists_the_rows_with_money_formatted(super_admin_client, shop_rows, model):
    response = super_admin_client.get(changelist_url(model))

    assert response.status_code == 200
    assert shop_rows[model].pk in {obj.pk for obj in response.context["cl"].result_list}
    html = response.text
    for money in CHANGELIST_MONEY.get(model, []):
        assert money in html
    assert "123456" not in html


CHANGE_PAGE_MONEY = {
    Product: ["$1,234.56", "€19.99 / month"],
    Price: ["$1,234.56"],
    Cart: ["$2,469.12"],
    CartItem: ["$2,469.12"],
    Order: ["$2,469.12", "$5.00"],
    OrderItem: ["$1,234.56", "$2,469.12"],
    Refund: ["$5.00"],
}
# Staff type prices in cents; every other amount is shown, never edited.
EDITABLE_CENTS = {Product, Price}


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_change_page_renders_with_money_formatted(super_admin_client, shop_rows, model):
    response = super_admin_client.get(change_url(shop_rows[model]))

    assert response.status_code == 200
    for money in CHANGE_PAGE_MONEY.get(model, []):
        assert money in response.text
    if model not in EDITABLE_CENTS:
        assert "123456" not in response.text
        assert "246912" not in response.text


def test_order_page_shows_amounts_items_refunds_and_status_history(super_admin_client, shop_rows):
    response = super_admin_client.get(change_url(shop_rows[Order]))

    html = response.text
    assert "$2,469.12" in html  # total and the line total
    assert "$2,464.12" in html  # still refundable
    assert "Walnut desk" in html
    assert "re_test_123" in html
    assert "delivered in person" in html
    # History is read-only: no inline form fields for items, refunds or status changes.
    assert 'name="items-0-quantity"' not in html
    assert 'name="refunds-0-amount"' not in html


def test_order_page_offers_no_delete_and_orders_cannot_be_added(super_admin_client, shop_rows):
    order = shop_rows[Order]

    assert super_admin_client.get(change_url(order).replace("/change/", "/delete/")).status_code == 403
    assert super_admin_client.get(changelist_url(Order).replace("/order/", "/order/add/")).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()


def test_stripe_ids_are_read_only_on_the_order_page(super_admin_client, shop_rows):
    order = shop_rows[Order]

    response = super_admin_client.get(change_url(order))

    form_fields = response.context["adminform"].form.fields
    assert "stripe_payment_intent_id" not in form_fields
    assert "status" not in form_fields
    assert "amount_total" not in form_fields
    assert order.stripe_payment_intent_id in response.text


def test_product_page_lists_its_prices_deleted_ones_included(super_admin_client, shop_rows):
    product = shop_rows[Product]
    deleted = factories.PriceFactory(product=product, unit_amount=777, deleted_at=timezone.now())

    response = super_admin_client.get(change_url(product))

    (prices,) = [
        inline for inline in response.context["inline_admin_formsets"] if inline.formset.model is Price
    ]
    inline_prices = {form.instance.pk for form in prices.formset.forms}
    assert deleted.pk in inline_prices
    assert "$7.77" in response.text


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_shoppers_and_anonymous_visitors_are_sent_to_the_login_page(client, shop_rows, model):
    anonymous = client.get(changelist_url(model))
    client.force_login(factories.UserFactory())
    shopper = client.get(changelist_url(model))

    assert anonymous.status_code == shopper.status_code == 302
    assert "/admin/login/" in anonymous.url
    assert "/admin/login/" in shopper.url


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_admin_role_can_list_every_shop_model(admin_role_client, shop_rows, model):
    assert admin_role_client.get(changelist_url(model)).status_code == 200

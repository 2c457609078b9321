"""Tampered ids (of an action's selection, a related row, a page) are refused clearly and change nothing."""

from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from catalog.models import Price, Product
from orders.models import FulfillmentStatus, Order
from tests import factories
from tests.admin.pages import change_url, changelist_url, messages_of

MALFORMED_IDS = ["nope", "1", "", "{'$ne': null}"]
REFUSAL = "in the selection is not the id of any"


def test_every_admin_action_refuses_malformed_ids_with_a_message(super_admin_client, super_admin):
    request = RequestFactory().get("/admin/")
    request.user = super_admin
    checked = []
    for model, model_admin in admin.site._registry.items():
        for action in model_admin.get_actions(request):
            for malformed in MALFORMED_IDS:
                response = super_admin_client.post(
                    changelist_url(model),
                    {"action": action, "_selected_action": [malformed], "index": "0"},
                    follow=True,
                )

                assert response.status_code == 200, (model, action, malformed)
                assert any(REFUSAL in message for message in messages_of(response)), (
                    model,
                    action,
                    malformed,
                )
            checked.append((model._meta.label, action))

    # Every admin that has actions was tried, the libraries' included.
    assert {
        ("orders.Order", "mark_shipped"),
        ("catalog.Product", "soft_delete"),
        ("catalog.Price", "restore"),
        ("cart.Cart", "expire"),
        ("cart.CartItem", "delete_selected"),
        ("payments.WebhookEvent", "retry"),
        ("account.EmailAddress", "make_verified"),
        ("socialaccount.SocialToken", "delete_selected"),
    } <= set(checked)


def test_a_malformed_id_beside_a_real_one_changes_neither(super_admin_client):
    order = factories.OrderFactory(user=None, paid=True)
    product = factories.ProductFactory()

    for model, action, row in [(Order, "mark_fulfilled", order), (Product, "soft_delete", product)]:
        response = super_admin_client.post(
            changelist_url(model),
            {"action": action, "_selected_action": [str(row.pk), "nope"], "index": "0"},
            follow=True,
        )

        assert any(REFUSAL in message for message in messages_of(response))

    order.refresh_from_db()
    product.refresh_from_db()
    assert order.fulfillment_status == FulfillmentStatus.UNFULFILLED
    assert product.deleted_at is None


def test_the_shipping_form_refuses_a_tampered_selection(super_admin_client):
    order = factories.OrderFactory(user=None, paid=True)

    response = super_admin_client.post(
        changelist_url(Order),
        {
            "action": "mark_shipped",
            "_selected_action": [str(order.pk), "nope"],
            "apply": "1",
            "carrier": "DHL",
            f"tracking_{order.pk}": "T-1",
        },
        follow=True,
    )

    assert any(REFUSAL in message for message in messages_of(response))
    order.refresh_from_db()
    assert order.fulfillment_status == FulfillmentStatus.UNFULFILLED
    assert not order.tracking_number


def _price_form(product_id):
    return {
        "product": product_id,
        "nickname": "",
        "type": "ONE_TIME",
        "unit_amount": "9.00",
        "currency": "usd",
        "recurring_interval": "",
        "recurring_interval_count": "1",
        "active": "on",
        "metadata": "{}",
    }


def test_the_price_form_refuses_a_product_id_that_is_not_an_id(super_admin_client):
    price = factories.PriceFactory()

    for url in [reverse("admin:catalog_price_add"), change_url(price)]:
        response = super_admin_client.post(url, _price_form("nope"))

        assert response.status_code == 200, url
        assert "Select a valid choice." in response.text, url
    assert list(Price.objects.all()) == [price]
    price.refresh_from_db()
    assert price.unit_amount == 1500


def test_a_link_to_add_a_price_for_a_product_that_is_not_an_id_offers_the_empty_form(super_admin_client):
    response = super_admin_client.get(f"{reverse('admin:catalog_price_add')}?product=nope")

    assert response.status_code == 200
    assert 'value="nope"' not in response.text
    # A real id still shows its product.
    product = factories.ProductFactory(name="Enamel Mug")
    response = super_admin_client.get(f"{reverse('admin:catalog_price_add')}?product={product.pk}")
    assert f'<option value="{product.pk}" selected>Enamel Mug</option>' in response.text


def test_the_refund_page_of_an_id_that_is_not_an_id_says_there_is_no_such_order(super_admin_client):
    order = factories.OrderFactory(user=None, paid=True)

    for response in [
        super_admin_client.get("/admin/orders/order/nope/refund/", follow=True),
        super_admin_client.post("/admin/orders/order/nope/refund/", {"amount": "1"}, follow=True),
    ]:
        assert any("doesn’t exist" in message for message in messages_of(response))
    assert not order.refunds.exists()

"""Admin search treats what staff type as text: regex characters find nothing and break nothing."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "changelist",
    [
        "admin:orders_order_changelist",
        "admin:catalog_product_changelist",
        "admin:catalog_price_changelist",
        "admin:payments_webhookevent_changelist",
        "admin:cart_cart_changelist",
        "admin:cart_cartitem_changelist",
        "admin:accounts_user_changelist",
    ],
)
@pytest.mark.parametrize("query", ["(", "[", "*", ".*"])
def test_admin_search_with_regex_characters_answers_and_finds_nothing(client, changelist, query):
    client.force_login(factories.SuperAdminFactory())
    factories.OrderFactory()

    response = client.get(reverse(changelist), {"q": query})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0

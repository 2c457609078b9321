"""A returning member finds Stripe's page filled in with the address they typed last time."""

from orders.models import Order
from tests import factories


def test_a_returning_members_address_is_saved_to_their_customer_and_filled_in_next_time(
    stripe_sim, user_with_cart, stripe_api
):
    ada, lin = factories.UserFactory(name="Ada Lovelace"), factories.UserFactory()
    mug = factories.PriceFactory(product__name="Stoneware mug", unit_amount=1800)

    first = user_with_cart(ada, (mug, 1))
    page_url = first.shopper.checkout().headers["Location"]
    assert 'value="1 Harbour Street"' not in first.shopper.get(page_url).text
    paid = first.shopper.on_stripe_page(page_url, "pay", **{"address[line1]": "12 Dock Road"})
    assert paid.status_code == 303
    stripe_sim.wait_for_deliveries()

    ada.refresh_from_db()
    customer = stripe_api().v1.customers.retrieve(ada.stripe_customer_id)
    assert (customer.shipping.address.line1, customer.shipping.name) == ("12 Dock Road", "Ada Buyer")
    assert customer.address.city == "Portland"

    again = user_with_cart(ada, (mug, 2))
    page = again.shopper.get(again.shopper.checkout().headers["Location"]).text
    assert 'value="12 Dock Road"' in page
    assert 'value="Portland"' in page
    assert 'value="Ada Buyer"' in page

    neighbour = user_with_cart(lin, (mug, 1))
    page = neighbour.shopper.get(neighbour.shopper.checkout().headers["Location"]).text
    assert "12 Dock Road" not in page
    assert Order.objects.filter(user=lin).count() == 1

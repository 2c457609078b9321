"""The shop's Stripe customers: with the simulator, all on the one test clock `shop-simulator`."""

from payments.customers import SIMULATOR_TEST_CLOCK_NAME, customer_create_for_guest, customer_ensure_stripe
from tests import factories
from tests.payments.subscriptions import api_of


def test_every_new_customer_is_on_the_one_shop_simulator_clock(fresh_quiet_sim):
    api = api_of(fresh_quiet_sim)
    other = api.v1.test_helpers.test_clocks.create({"frozen_time": 1_700_000_000, "name": "someone else's"})
    member = factories.UserFactory(email="member@example.com")
    cart = factories.CartFactory()

    member_customer = api.v1.customers.retrieve(customer_ensure_stripe(user=member))
    guest_customer = api.v1.customers.retrieve(customer_create_for_guest(cart=cart))

    clocks = [clock for clock in api.v1.test_helpers.test_clocks.list().data if clock.id != other.id]
    assert [clock.name for clock in clocks] == [SIMULATOR_TEST_CLOCK_NAME]
    assert member_customer.test_clock == guest_customer.test_clock == clocks[0].id
    assert (member_customer.email, guest_customer.email) == ("member@example.com", None)
    # The same checkout of the same cart asks again: the same customer.
    assert customer_create_for_guest(cart=cart) == guest_customer.id


def test_with_real_stripe_keys_customers_are_on_no_clock(fresh_quiet_sim, settings):
    settings.STRIPE_USE_SIMULATOR = False

    customer_id = customer_ensure_stripe(user=factories.UserFactory())

    assert api_of(fresh_quiet_sim).v1.customers.retrieve(customer_id).test_clock is None
    assert not api_of(fresh_quiet_sim).v1.test_helpers.test_clocks.list().data

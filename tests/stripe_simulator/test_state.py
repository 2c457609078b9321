"""`state_file`: a restarted simulator still holds the account it held before."""

import pytest
import stripe

from stripe_simulator import StripeSimulator


def client_for(simulator):
    return stripe.StripeClient("sk_test_state", base_addresses={"api": simulator.url}, max_network_retries=0)


def test_products_prices_and_sessions_survive_a_restart(tmp_path):
    state = tmp_path / "stripe-simulator.json"
    with StripeSimulator(state_file=state, async_settle_delay=None) as first:
        client = client_for(first)
        product = client.v1.products.create(params={"name": "Mug"})
        price = client.v1.prices.create(
            params={"product": product.id, "unit_amount": 1999, "currency": "usd"}
        )
        session = client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [{"price": price.id, "quantity": 2}],
                "success_url": "https://shop.test/",
            }
        )
        first.pay_async(session.id)

    with StripeSimulator(state_file=state, async_settle_delay=None) as second:
        client = client_for(second)
        assert client.v1.products.retrieve(product.id).name == "Mug"
        assert client.v1.prices.retrieve(price.id).unit_amount == 1999
        lines = client.v1.checkout.sessions.line_items.list(session.id).data
        assert [(line.price.id, line.quantity) for line in lines] == [(price.id, 2)]
        second.settle_async(session.id)
        assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
        again = client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [{"price": price.id, "quantity": 1}],
                "success_url": "https://shop.test/",
            }
        )
        assert again.amount_total == 1999
    assert [path.name for path in tmp_path.iterdir()] == ["stripe-simulator.json"]


def test_a_file_that_is_not_a_state_file_is_refused_and_kept(tmp_path):
    state = tmp_path / "notes.json"
    state.write_text("my notes")
    with pytest.raises(ValueError, match="not a Stripe simulator state file"):
        StripeSimulator(state_file=state)
    assert state.read_text() == "my notes"


def test_without_a_state_file_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with StripeSimulator() as simulator:
        client_for(simulator).v1.products.create(params={"name": "Mug"})
    assert list(tmp_path.iterdir()) == []


def test_clocks_subscriptions_invoices_and_retries_survive_a_restart(tmp_path):
    state = tmp_path / "stripe-simulator.json"
    day = 86_400
    with StripeSimulator(state_file=state, async_settle_delay=None) as first:
        client = client_for(first)
        club = client.v1.products.create(params={"name": "Coffee club"})
        monthly = client.v1.prices.create(
            params={
                "product": club.id,
                "unit_amount": 1200,
                "currency": "usd",
                "recurring": {"interval": "month"},
            }
        )
        clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_924_992_000})
        customer = client.v1.customers.create(params={"test_clock": clock.id})
        session = client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer.id,
                "line_items": [{"price": monthly.id, "quantity": 1}],
                "success_url": "https://shop.test/",
            }
        )
        subscription_id = first.pay(session.id, card="4000009999000006")["subscription"]
        renewal_at = client.v1.subscriptions.retrieve(subscription_id)["items"].data[0].current_period_end
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": renewal_at + 3600})
        failed = client.v1.subscriptions.retrieve(subscription_id).latest_invoice

    with StripeSimulator(state_file=state, async_settle_delay=None) as second:
        client = client_for(second)
        assert client.v1.subscriptions.retrieve(subscription_id).status == "past_due"
        assert client.v1.invoices.retrieve(failed).next_payment_attempt == renewal_at + day
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": renewal_at + 8 * day})
        assert client.v1.invoices.retrieve(failed).attempt_count == 4
        assert client.v1.subscriptions.retrieve(subscription_id).status == "canceled"

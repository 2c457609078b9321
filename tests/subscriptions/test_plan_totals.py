"""What a period costs once a plan change is made: the changed item at its new terms, the rest as is."""

from subscriptions.models import Subscription
from subscriptions.plan_changes import PlanChange


def item(stripe_item_id, unit_amount, quantity=1, **fields):
    return {"stripe_item_id": stripe_item_id, "unit_amount": unit_amount, "quantity": quantity, **fields}


def test_a_changed_plan_keeps_the_shipping_line_in_what_each_period_costs():
    subscription = Subscription(items=[item("si_coffee", 1400), item("si_shipping", 495, is_shipping=True)])
    two_bags = PlanChange(
        stripe_item_id="si_coffee",
        stripe_price_id="price_coffee",
        quantity=2,
        charge_now=True,
        restarts_period=False,
        proration_date=None,
        product_name="House Roast Coffee",
        unit_amount=1400,
        interval="month",
        interval_count=1,
    )

    assert subscription.amount_per_period == 1895
    assert subscription.amount_per_period_after(two_bags) == 2800 + 495

"""A plan change charged at once is a billing adjustment: its order is refundable like any other,
but nothing ships for it and it takes no stock; the next renewal ships the new plan."""

import html

from django.test import Client

from catalog.models import Variant
from inventory.services import stock_adjust
from orders.models import Order
from orders.selectors import order_count_awaiting_fulfilment
from payments.refunds import order_refund_request
from tests import factories
from tests.admin.pages import change_url, changelist_url, result_pks
from tests.subscriptions.conftest import advance
from tests.subscriptions.test_changes import (
    DAY,
    confirm,
    deliver_news,
    later_orders,
    period,
    signed_in,
    url,
    visible_text,
)


def counters(price) -> dict:
    return Variant.objects.filter(pk=price.variant_id).values("on_hand", "held", "available", "sold")[0]


def test_more_bags_now_ship_nothing_and_take_no_stock_until_the_next_renewal_ships_them(
    clocked_member, member_subscribes, tea_plan, stripe_api, mailoutbox
):
    Variant.objects.filter(pk=tea_plan.variant_id).update(track_stock=True)
    stock_adjust(variant=Variant.objects.get(pk=tea_plan.variant_id), quantity=10, reason="First delivery")
    neighbour = factories.OrderFactory(paid=True)
    member, clock = clocked_member
    stripe = stripe_api()
    subscription_id = member_subscribes(member, tea_plan)
    record = deliver_news(stripe, subscription_id)
    assert counters(tea_plan) == {"on_hand": 9, "held": 0, "available": 9, "sold": 1}
    start, end = period(stripe, subscription_id)
    advance(stripe, clock, to=start + (end - start) // 2)
    client = signed_in(member)
    tea = record.items[0]
    preview = client.get(
        url("plan", subscription_id), {"item": tea["stripe_item_id"], "price": tea["price_id"], "quantity": 3}
    )

    confirm(client, subscription_id, preview)
    deliver_news(stripe, subscription_id)

    [change] = later_orders(subscription_id)
    assert change.is_plan_change
    assert counters(tea_plan) == {"on_hand": 9, "held": 0, "available": 9, "sold": 1}
    staff = Client()
    staff.force_login(factories.AdminFactory())
    awaiting = staff.get(changelist_url(Order, awaiting_fulfilment="yes"))
    assert result_pks(awaiting) == {str(record.order.pk), str(neighbour.pk)}
    assert order_count_awaiting_fulfilment() == 2
    admin_page = visible_text(staff.get(change_url(change)).text)
    assert "Nothing to ship" in admin_page
    assert "Ship…" not in admin_page
    order_page = visible_text(client.get(change.get_absolute_url()).text)
    assert "Delivery Nothing to ship" in order_page
    assert "Not shipped yet" not in order_page
    assert "Shipping to" not in order_page
    [receipt] = [m for m in mailoutbox if change.number in m.subject]
    assert "Nothing ships for this order" in receipt.body
    assert "when your order ships" not in receipt.body
    refund = order_refund_request(
        order=change,
        amount=change.amount_total,
        reason="Changed their mind",
        requested_by=None,
        request_token="plan-change-refund-2",
    )
    assert stripe.v1.refunds.retrieve(refund.stripe_refund_id).amount == change.amount_total

    advance(stripe, clock, to=end + DAY)
    deliver_news(stripe, subscription_id)

    renewal = later_orders(subscription_id)[1]
    assert [(item.product_name, item.quantity) for item in renewal.items.all()] == [("Tea of the month", 3)]
    assert counters(tea_plan) == {"on_hand": 6, "held": 0, "available": 6, "sold": 4}
    awaiting = staff.get(changelist_url(Order, awaiting_fulfilment="yes"))
    assert result_pks(awaiting) == {str(record.order.pk), str(neighbour.pk), str(renewal.pk)}
    assert "Ship…" in staff.get(change_url(renewal)).text


def test_a_digital_subscription_and_its_renewals_are_complete_when_paid_and_never_wait_to_ship(
    clocked_member, member_subscribes, stripe_api, mailoutbox
):
    notes = factories.PriceFactory(
        monthly=True, product__name="Brewing notes", product__requires_shipping=False, unit_amount=400
    )
    neighbour = factories.OrderFactory(paid=True)
    member, clock = clocked_member
    stripe = stripe_api()
    subscription_id = member_subscribes(member, notes)
    first = deliver_news(stripe, subscription_id).order
    _, end = period(stripe, subscription_id)
    advance(stripe, clock, to=end + DAY)
    deliver_news(stripe, subscription_id)

    [renewal] = later_orders(subscription_id)
    for order in (first, renewal):
        order.refresh_from_db()
        assert (order.status, order.payment_status) == ("COMPLETED", "PAID")
        assert order.get_fulfilment_display() == "Nothing to ship"
    assert order_count_awaiting_fulfilment() == 1
    staff = Client()
    staff.force_login(factories.AdminFactory())
    assert result_pks(staff.get(changelist_url(Order, awaiting_fulfilment="yes"))) == {str(neighbour.pk)}
    admin_page = visible_text(staff.get(change_url(renewal)).text)
    assert "Ship…" not in admin_page
    order_page = visible_text(signed_in(member).get(first.get_absolute_url()).text)
    assert "Delivery Nothing to ship: digital goods and services only" in order_page
    assert "renewals bring the deliveries" not in order_page
    receipts = [m for m in mailoutbox if first.number in m.subject or renewal.number in m.subject]
    assert len(receipts) == 2
    for receipt in receipts:
        assert "Nothing ships for this order: it holds digital goods and services only." in receipt.body
        assert "when your order ships" not in receipt.body


def test_a_change_charged_now_says_this_periods_delivery_has_gone_and_when_the_new_plan_ships(
    clocked_member, member_subscribes, tea_plan, stripe_api
):
    notes = factories.PriceFactory(
        monthly=True, product__name="Brewing notes", product__requires_shipping=False, unit_amount=400
    )
    member, clock = clocked_member
    stripe = stripe_api()
    reader = factories.UserFactory(email="reader@example.com")
    tea_id, notes_id = member_subscribes(member, tea_plan), member_subscribes(reader, notes)
    tea_record, notes_record = deliver_news(stripe, tea_id), deliver_news(stripe, notes_id)
    start, end = period(stripe, tea_id)
    advance(stripe, clock, to=start + (end - start) // 2)
    client = signed_in(member)
    renewal = f"{tea_record.current_period_end.day} {tea_record.current_period_end:%B %Y}"
    gone = f"This period's delivery has already gone out: the new plan ships from your renewal on {renewal}."

    tea = tea_record.items[0]
    preview = client.get(
        url("plan", tea_id), {"item": tea["stripe_item_id"], "price": tea["price_id"], "quantity": 3}
    )
    done = confirm(client, tea_id, preview)

    assert "Charged today" in preview.text
    assert gone in visible_text(preview.text)
    assert gone in html.unescape(visible_text(client.get(done.headers["Location"]).text))
    notes_item = notes_record.items[0]
    digital = signed_in(reader).get(
        url("plan", notes_id),
        {"item": notes_item["stripe_item_id"], "price": notes_item["price_id"], "quantity": 2},
    )
    assert "Charged today" in digital.text
    assert "delivery has already gone" not in digital.text
    assert "ships from your renewal" not in digital.text

"""A subscriber runs their own subscription: a plan or quantity change priced by Stripe's invoice
preview before they confirm (an upgrade charged now on an order, a downgrade from the next
period), pause and skip (no renewal order while paused), and the delivery address of the next
renewal orders; through the shop's pages, the simulator's test clock and the signed webhook."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import Price
from orders.models import Order
from payments.catalog_sync import catalog_price_ensure_stripe
from payments.refunds import order_refund_request
from subscriptions.links import subscription_id_from_link, subscription_link_path
from subscriptions.models import PlanFamily, Subscription
from tests import factories
from tests.subscriptions.conftest import (
    DECLINES_RENEWALS,
    INVOICE_EVENT_TYPES,
    SUBSCRIPTION_EVENT_TYPES,
    advance,
    deliver_all,
    events_about,
)

DAY = 86_400
NEW_ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 Market Street",
    "line2": "",
    "city": "Leeds",
    "state": "",
    "postal_code": "LS1 6DT",
    "country": "GB",
}


def url(name, subscription_id):
    return reverse(f"subscriptions:{name}", kwargs={"subscription_id": subscription_id})


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def deliver_news(stripe, subscription_id):
    """Post every event about the subscription and its invoices (paid ones make orders) so far."""
    checkouts = [
        event.to_dict()
        for event in stripe.v1.events.list(
            {"type": "checkout.session.completed", "limit": 100}
        ).auto_paging_iter()
        if event.data.object.subscription == subscription_id
    ]
    types = (*SUBSCRIPTION_EVENT_TYPES, *INVOICE_EVENT_TYPES, "invoice.paid")
    deliver_all(checkouts + events_about(stripe, subscription_id, event_types=types))
    return Subscription.objects.get(stripe_subscription_id=subscription_id)


def period(stripe, subscription_id) -> tuple[int, int]:
    item = stripe.v1.subscriptions.retrieve(subscription_id)["items"].data[0]
    return item.current_period_start, item.current_period_end


def later_orders(subscription_id):
    return list(
        Order.objects.filter(stripe_subscription_id=subscription_id, renewal_of__isnull=False).order_by(
            "paid_at"
        )
    )


def confirm(client, subscription_id, preview):
    """Press "Confirm the change" on the preview page."""
    token = re.search(r'name="confirmation" value="([^"]+)"', preview.text).group(1)
    return client.post(url("plan", subscription_id), {"confirmation": token})


def visible_text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def long_date(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


@pytest.fixture
def subscribed(clocked_member, member_subscribes, tea_plan, stripe_api):
    """The clocked member's tea subscription, recorded; answers (member, clock, record, stripe)."""
    member, clock = clocked_member
    stripe = stripe_api()
    subscription_id = member_subscribes(member, tea_plan)
    return member, clock, deliver_news(stripe, subscription_id), stripe


def test_an_upgrade_half_way_shows_its_price_then_charges_about_half_the_difference_on_an_order(
    subscribed, big_tea, mailoutbox
):
    member, clock, record, stripe = subscribed
    neighbour = factories.SubscriptionFactory(user=factories.UserFactory())
    subscription_id = record.stripe_subscription_id
    start, end = period(stripe, subscription_id)
    advance(stripe, clock, to=start + (end - start) // 2)
    client = signed_in(member)
    page = client.get(url("detail", subscription_id))
    assert "$18.00 / month" in page.text  # the dearer plan is offered

    change = {"item": record.items[0]["stripe_item_id"], "price": big_tea.pk, "quantity": 1}
    preview = client.get(url("plan", subscription_id), change)

    assert preview.status_code == 200
    charged_today = re.search(r'class="change-amount-now">\$(\d+\.\d\d)', preview.text).group(1)
    assert 4.40 <= float(charged_today) <= 4.60  # half of 18.00 - 9.00
    assert f"From {long_date(record.current_period_end)}" in preview.text
    assert Order.objects.filter(stripe_subscription_id=subscription_id).count() == 1  # nothing yet

    done = confirm(client, subscription_id, preview)

    assert done.status_code == 302
    assert "Your plan is now 1 × Tea of the month" in client.get(done.headers["Location"]).text
    record = deliver_news(stripe, subscription_id)
    assert record.items[0]["stripe_price_id"] == big_tea.stripe_price_id
    assert record.amount_per_period == 1800
    [order] = later_orders(subscription_id)
    assert order.amount_total == int(float(charged_today) * 100)
    [line] = order.items.all()
    assert line.product_name.startswith("Remaining time on Tea of the month after")
    [credit] = order.credits
    assert credit["description"].startswith("Unused time on Tea of the month after")
    assert line.amount_total - credit["amount"] == order.amount_total
    assert order.amount_discount == 0
    assert order.user == member
    # The order reads as the plan change it is, the unused time credited under Stripe's name for it.
    first = record.order.number
    order_page = visible_text(client.get(order.get_absolute_url()).text)
    [receipt] = [m for m in mailoutbox if order.number in m.subject]
    receipt_html = visible_text(receipt.alternatives[0][0])
    for shown in (order_page, receipt.body, receipt_html):
        assert f"Plan change of {first}" in shown
        assert f"Renewal of {first}" not in shown
        assert "Discount" not in shown
        assert credit["description"] in shown
        assert f"{credit['amount'] / 100:.2f}" in shown
    # What recurs is the new plan, not the prorated line the order charged once.
    assert "then $18.00 / month" in order_page
    assert "every month" not in order_page
    assert "then $9.00 / month" not in order_page
    refund = order_refund_request(
        order=order,
        amount=order.amount_total,
        reason="Changed their mind",
        requested_by=None,
        request_token="plan-change-refund-1",
    )
    assert stripe.v1.refunds.retrieve(refund.stripe_refund_id).amount == order.amount_total
    payments = client.get(url("detail", subscription_id)).text
    assert "1 × Remaining time on Tea of the month after" in payments
    assert f"{order.amount_total / 100:.2f}" in payments
    assert Subscription.objects.get(pk=neighbour.pk).items == neighbour.items


def test_a_downgrade_waits_for_the_next_period_and_lowers_the_next_renewal_order(
    clocked_member, member_subscribes, tea_plan, big_tea, stripe_api
):
    member, clock = clocked_member
    stripe = stripe_api()
    subscription_id = member_subscribes(member, big_tea)
    record = deliver_news(stripe, subscription_id)
    client = signed_in(member)
    change = {"item": record.items[0]["stripe_item_id"], "price": tea_plan.pk, "quantity": 1}

    preview = client.get(url("plan", subscription_id), change)

    assert "Nothing: you keep your current plan until" in preview.text
    assert re.search(r'class="change-amount-next">\$9\.00 each period', preview.text)
    confirm(client, subscription_id, preview)
    record = deliver_news(stripe, subscription_id)
    assert record.amount_per_period == 900
    assert later_orders(subscription_id) == []  # nothing charged now
    advance(stripe, clock, to=period(stripe, subscription_id)[1] + DAY)
    deliver_news(stripe, subscription_id)
    [renewal] = later_orders(subscription_id)
    assert renewal.amount_total == 900


def test_a_downgrade_charged_now_credits_the_unused_time_to_the_next_renewal_order(
    clocked_member, member_subscribes, tea_plan, big_tea, stripe_api, settings
):
    settings.SUBSCRIPTION_DOWNGRADES_CHARGE_NOW = True
    member, clock = clocked_member
    stripe = stripe_api()
    subscription_id = member_subscribes(member, big_tea)
    record = deliver_news(stripe, subscription_id)
    start, end = period(stripe, subscription_id)
    advance(stripe, clock, to=start + (end - start) // 2)
    client = signed_in(member)
    change = {"item": record.items[0]["stripe_item_id"], "price": tea_plan.pk, "quantity": 1}

    preview = client.get(url("plan", subscription_id), change)

    credit = float(re.search(r"and \$(\d+\.\d\d) credited to your next payments", preview.text).group(1))
    assert 4.40 <= credit <= 4.60  # half of 18.00 - 9.00
    confirm(client, subscription_id, preview)
    deliver_news(stripe, subscription_id)
    assert later_orders(subscription_id) == []  # nothing was charged
    advance(stripe, clock, to=end + DAY)
    deliver_news(stripe, subscription_id)
    [renewal] = later_orders(subscription_id)
    assert renewal.amount_subtotal == 900
    # The credit reached the renewal as the customer's Stripe balance, named as Stripe's invoice names it.
    assert renewal.credits == [{"description": "Applied balance", "amount": round(credit * 100)}]
    assert renewal.amount_discount == 0
    assert renewal.amount_total == 900 - round(credit * 100)
    shown = visible_text(client.get(renewal.get_absolute_url()).text)
    assert f"Renewal of {record.order.number}" in shown
    assert f"Applied balance −${credit:.2f}" in shown
    assert "Discount" not in shown


def test_a_change_is_made_only_as_its_preview_showed_it(subscribed, big_tea):
    member, clock, record, stripe = subscribed
    subscription_id = record.stripe_subscription_id
    start, end = period(stripe, subscription_id)
    advance(stripe, clock, to=start + (end - start) // 2)
    client = signed_in(member)
    change = {"item": record.items[0]["stripe_item_id"], "price": big_tea.pk, "quantity": 1}
    preview = client.get(url("plan", subscription_id), change)
    token = re.search(r'name="confirmation" value="([^"]+)"', preview.text).group(1)

    # Counted from the period's last second, an upgrade would cost nothing: the form cannot say so.
    for forged in ({**change, "proration_date": end - 1}, {"confirmation": token[:-2] + "xx"}):
        refused = client.post(url("plan", subscription_id), forged)
        assert "Please look at the price of the change first." in client.get(refused.headers["Location"]).text

    assert (
        deliver_news(stripe, subscription_id).items[0]["stripe_price_id"]
        == record.items[0]["stripe_price_id"]
    )
    assert later_orders(subscription_id) == []


def test_more_of_the_same_plan_is_previewed_and_charged_like_an_upgrade(subscribed):
    member, clock, record, stripe = subscribed
    subscription_id = record.stripe_subscription_id
    start, end = period(stripe, subscription_id)
    advance(stripe, clock, to=start + (end - start) // 2)
    client = signed_in(member)
    tea = record.items[0]
    change = {"item": tea["stripe_item_id"], "price": tea["price_id"], "quantity": 3}

    preview = client.get(url("plan", subscription_id), change)
    charged_today = float(re.search(r'class="change-amount-now">\$(\d+\.\d\d)', preview.text).group(1))
    confirm(client, subscription_id, preview)

    assert 8.80 <= charged_today <= 9.20  # two more bags for half a month
    record = deliver_news(stripe, subscription_id)
    assert (record.items[0]["quantity"], record.amount_per_period) == (3, 2700)
    [order] = later_orders(subscription_id)
    assert order.amount_total == round(charged_today * 100)


def test_a_yearly_plan_starts_a_year_today_less_the_unused_month(subscribed, tea_plan):
    member, clock, record, stripe = subscribed
    subscription_id = record.stripe_subscription_id
    yearly = factories.PriceFactory(yearly=True, product=tea_plan.product, unit_amount=9000)
    start, end = period(stripe, subscription_id)
    advance(stripe, clock, to=start + (end - start) // 2)
    client = signed_in(member)
    change = {"item": record.items[0]["stripe_item_id"], "price": yearly.pk, "quantity": 1}
    assert "$90.00 / year" in client.get(url("detail", subscription_id)).text

    preview = client.get(url("plan", subscription_id), change)

    charged_today = float(re.search(r'class="change-amount-now">\$(\d+\.\d\d)', preview.text).group(1))
    assert 85.40 <= charged_today <= 85.60  # 90.00 less half of 9.00
    assert "your first year of the new plan, starting today" in preview.text
    confirm(client, subscription_id, preview)
    record = deliver_news(stripe, subscription_id)
    assert (record.items[0]["interval"], record.amount_per_period) == ("year", 9000)
    assert record.current_period_end.year == record.current_period_start.year + 1
    [order] = later_orders(subscription_id)
    assert order.amount_total == round(charged_today * 100)
    [line] = order.items.all()
    assert (line.product_name, line.amount_total, line.recurring_interval) == (
        "Tea of the month",
        9000,
        "year",
    )


def test_a_paused_subscription_makes_no_renewal_order_until_it_resumes(subscribed):
    member, clock, record, stripe = subscribed
    subscription_id = record.stripe_subscription_id
    client = signed_in(member)

    paused = client.post(url("pause", subscription_id), {"restart": ""})

    page = client.get(paused.headers["Location"])
    assert "Your subscription is paused. Nothing is charged or delivered until you resume it." in page.text
    assert "Resume billing and deliveries" in page.text
    record = deliver_news(stripe, subscription_id)
    assert record.is_paused
    assert record.next_charge_at is None
    assert "Paused until you resume it" in client.get(reverse("subscriptions:list")).text
    for _ in range(2):
        advance(stripe, clock, to=period(stripe, subscription_id)[1] + DAY)
    deliver_news(stripe, subscription_id)
    assert later_orders(subscription_id) == []
    client.post(url("unpause", subscription_id))
    assert not deliver_news(stripe, subscription_id).is_paused
    advance(stripe, clock, to=period(stripe, subscription_id)[1] + DAY)
    deliver_news(stripe, subscription_id)
    assert [order.amount_total for order in later_orders(subscription_id)] == [900]


def test_a_skipped_renewal_makes_no_order_and_the_one_after_does(subscribed):
    member, clock, record, stripe = subscribed
    subscription_id = record.stripe_subscription_id
    client = signed_in(member)

    skipped = client.post(url("skip", subscription_id))

    record = deliver_news(stripe, subscription_id)
    restart = record.renewal_after_pause
    assert restart > record.current_period_end
    assert (
        f"Billing and deliveries restart on {long_date(restart)}"
        in client.get(skipped.headers["Location"]).text
    )
    listing = client.get(reverse("subscriptions:list")).text
    assert f'Paused, then next charge $9.00 on <time datetime="{restart.isoformat()}">' in listing
    advance(stripe, clock, to=period(stripe, subscription_id)[1] + DAY)
    deliver_news(stripe, subscription_id)
    assert later_orders(subscription_id) == []
    advance(stripe, clock, to=period(stripe, subscription_id)[1] + DAY)
    record = deliver_news(stripe, subscription_id)
    [renewal] = later_orders(subscription_id)
    assert renewal.paid_at == restart
    assert not record.is_paused


def test_the_new_delivery_address_reaches_the_next_renewal_order(subscribed):
    member, clock, record, stripe = subscribed
    subscription_id = record.stripe_subscription_id
    first = record.order
    client = signed_in(member)

    saved = client.post(url("address", subscription_id), NEW_ADDRESS)

    page = client.get(saved.headers["Location"])
    assert "Your next deliveries go to the new address." in page.text
    assert "12 Market Street" in page.text
    advance(stripe, clock, to=period(stripe, subscription_id)[1] + DAY)
    deliver_news(stripe, subscription_id)
    [renewal] = later_orders(subscription_id)
    assert renewal.shipping_name == "Ada Lovelace"
    assert renewal.shipping_address["line1"] == "12 Market Street"
    assert renewal.shipping_address["country"] == "GB"
    first.refresh_from_db()
    assert first.shipping_address != renewal.shipping_address


def test_an_address_without_a_city_is_refused_and_nothing_changes(subscribed):
    member, _clock, record, _stripe = subscribed

    answer = signed_in(member).post(
        url("address", record.stripe_subscription_id), {**NEW_ADDRESS, "city": ""}
    )

    assert answer.status_code == 400
    assert Subscription.objects.get(pk=record.pk).shipping_address == {}


def test_a_plan_of_another_product_is_refused_unless_a_plan_family_groups_them(subscribed, quiet_sim):
    member, _clock, record, _stripe = subscribed
    subscription_id = record.stripe_subscription_id
    coffee = factories.PriceFactory(monthly=True, product__name="Coffee club", unit_amount=1500)
    catalog_price_ensure_stripe(price=coffee)
    client = signed_in(member)
    change = {"item": record.items[0]["stripe_item_id"], "price": coffee.pk, "quantity": 1}

    refused = client.get(url("plan", subscription_id), change)

    assert refused.status_code == 302
    assert "That plan is not available" in client.get(refused.headers["Location"]).text
    family = PlanFamily.objects.create(name="Hot drinks club")
    family.products.add(Price.objects.get(pk=record.items[0]["price_id"]).product, coffee.product)

    preview = client.get(url("plan", subscription_id), change)

    assert preview.status_code == 200
    assert "1 × Coffee club: $15.00 / month" in preview.text


def test_a_guest_manages_through_the_link_in_the_order_email_until_the_subscription_joins_an_account(
    guest_subscribes, tea_plan, stripe_api, mailoutbox
):
    stripe = stripe_api()
    subscription_id = guest_subscribes(tea_plan, email="guest@example.com")
    record = deliver_news(stripe, subscription_id)
    [receipt] = [m for m in mailoutbox if m.to == ["guest@example.com"] and record.order.number in m.subject]
    path = re.search(r"Change, pause or skip your subscription: http://[^/\s]+(/\S+)", receipt.body).group(1)
    # Signed with the time it was sent at: the link names this subscription.
    assert path.startswith(subscription_link_path(subscription=record).split("link/")[0] + "link/")
    assert subscription_id_from_link(token=path.rstrip("/").rsplit("/", 1)[1]) == subscription_id
    html = receipt.alternatives[0][0]
    assert f'href="http://testserver{path}"' in html or path in html
    client = Client()
    order_page = client.get(re.search(r"http://[^/\s]+(/orders/\S+)", receipt.body).group(1))
    manage = re.search(
        r'<a href="/accounts/subscriptions/link/([^"/]+)/">Manage your subscription</a>', order_page.text
    )
    assert subscription_id_from_link(token=manage.group(1)) == subscription_id

    page = client.get(path)
    assert "Skip the next delivery" in page.text
    skipped = client.post(f"{path}skip/")

    assert skipped.headers["Location"] == path
    assert "Your next delivery is skipped" in client.get(path).text
    assert deliver_news(stripe, subscription_id).is_paused
    Subscription.objects.filter(pk=record.pk).update(user=factories.UserFactory(email="guest@example.com"))
    joined = client.get(path)
    assert joined.status_code == 404
    assert "now in an account" in joined.text
    assert client.post(f"{path}unpause/").status_code == 404
    assert deliver_news(stripe, subscription_id).is_paused


def test_the_next_charge_after_a_dated_pause_is_the_first_renewal_on_or_after_it():
    record = factories.SubscriptionFactory.build(
        current_period_end=datetime(2031, 3, 10, tzinfo=UTC),
        pause_behavior="void",
        pause_resumes_at=datetime(2031, 4, 20, tzinfo=UTC),
    )

    assert record.next_charge_at == datetime(2031, 5, 10, tzinfo=UTC)


def test_a_paused_subscription_offers_no_plan_change_and_a_forged_one_changes_nothing(subscribed, big_tea):
    member, _clock, record, stripe = subscribed
    neighbour = factories.SubscriptionFactory(user=factories.UserFactory())
    subscription_id = record.stripe_subscription_id
    tea = record.items[0]["stripe_price_id"]
    client = signed_in(member)
    change = {"item": record.items[0]["stripe_item_id"], "price": big_tea.pk, "quantity": 1}
    # Seen before pausing; confirmed after: with collection paused (void) the charge would be voided.
    preview = client.get(url("plan", subscription_id), change)
    client.post(url("pause", subscription_id), {"restart": ""})

    page = visible_text(client.get(url("detail", subscription_id)).text)
    assert "Resume your subscription to change its plan." in page
    assert "See the price" not in page
    seen_again = client.get(url("plan", subscription_id), change)
    for refused in (seen_again, confirm(client, subscription_id, preview)):
        shown = client.get(refused.headers["Location"]).text
        assert "Resume your subscription to change its plan." in shown
    record = deliver_news(stripe, subscription_id)
    assert record.is_paused
    assert (record.items[0]["stripe_price_id"], record.amount_per_period) == (tea, 900)
    assert later_orders(subscription_id) == []
    assert Subscription.objects.get(pk=neighbour.pk).items == neighbour.items


def test_an_upgrade_the_card_declines_leaves_the_plan_as_it_was_and_makes_no_order(
    clocked_member, member_subscribes, tea_plan, big_tea, stripe_api, mailoutbox
):
    member, clock = clocked_member
    stripe = stripe_api()
    neighbour = factories.SubscriptionFactory(user=factories.UserFactory())
    subscription_id = member_subscribes(member, tea_plan, card=DECLINES_RENEWALS)
    record = deliver_news(stripe, subscription_id)
    start, end = period(stripe, subscription_id)
    advance(stripe, clock, to=start + (end - start) // 2)
    client = signed_in(member)
    change = {"item": record.items[0]["stripe_item_id"], "price": big_tea.pk, "quantity": 1}
    preview = client.get(url("plan", subscription_id), change)
    mailoutbox.clear()

    done = confirm(client, subscription_id, preview)

    page = visible_text(client.get(done.headers["Location"]).text)
    assert "Your card was declined: your plan is unchanged and nothing was charged." in page
    assert "Your plan is now" not in page
    assert "Update card &amp; invoices" in page
    tea = record.items[0]["stripe_price_id"]
    record = deliver_news(stripe, subscription_id)
    assert (record.status, record.items[0]["stripe_price_id"]) == ("active", tea)
    assert record.amount_per_period == 900
    assert "$9.00 / month" in visible_text(client.get(url("detail", subscription_id)).text)
    assert later_orders(subscription_id) == []
    # Told on the page as it happened: no email about a failed renewal that was none.
    assert [m.subject for m in mailoutbox if "payment failed" in m.subject.lower()] == []
    assert Subscription.objects.get(pk=neighbour.pk).items == neighbour.items


def test_a_downgrade_then_back_up_in_the_same_period_charges_nothing_for_time_already_paid(
    clocked_member, member_subscribes, tea_plan, big_tea, stripe_api
):
    member, clock = clocked_member
    stripe = stripe_api()
    neighbour = factories.SubscriptionFactory(user=factories.UserFactory())
    subscription_id = member_subscribes(member, big_tea)
    record = deliver_news(stripe, subscription_id)
    client = signed_in(member)
    item = record.items[0]["stripe_item_id"]
    until = long_date(record.current_period_end)
    confirm(
        client,
        subscription_id,
        client.get(url("plan", subscription_id), {"item": item, "price": tea_plan.pk, "quantity": 1}),
    )

    # Paid $18.00 for this period: the page says so, and when the $9.00 starts.
    page = visible_text(client.get(url("detail", subscription_id)).text)
    assert (
        f"1 × Tea of the month $18.00 / month until {until}, then 1 × Tea of the month $9.00 / month" in page
    )
    start, end = period(stripe, subscription_id)
    advance(stripe, clock, to=start + (end - start) // 2)
    # Dearer than what this period was paid at: Stripe would count it from $9.00, so not before the renewal.
    three = {"item": item, "price": tea_plan.pk, "quantity": 3}
    refused = client.get(url("plan", subscription_id), three)
    assert f"from your renewal on {until}" in client.get(refused.headers["Location"]).text

    back = client.get(url("plan", subscription_id), {"item": item, "price": big_tea.pk, "quantity": 1})

    assert re.search(r'class="change-amount-now">Nothing', back.text)
    confirm(client, subscription_id, back)
    record = deliver_news(stripe, subscription_id)
    assert record.amount_per_period == 1800
    assert later_orders(subscription_id) == []  # $0.00 for the move back
    updates = stripe.v1.invoices.list({"subscription": subscription_id}).data
    assert [i.billing_reason for i in updates] == ["subscription_create"]
    page = visible_text(client.get(url("detail", subscription_id)).text)
    assert "then 1 × Tea of the month $9.00 / month" not in page
    advance(stripe, clock, to=end + DAY)
    deliver_news(stripe, subscription_id)
    assert [order.amount_total for order in later_orders(subscription_id)] == [1800]
    assert Subscription.objects.get(pk=neighbour.pk).items == neighbour.items


IN_BATH = {
    "address[line1]": "1 High Street",
    "address[city]": "Bath",
    "address[postal_code]": "BA1 1AA",
    "address[state]": "",
    "address[country]": "GB",
}


def test_the_next_periods_of_an_upgrade_show_what_stripe_will_charge_tax_included(
    clocked_member, member_subscribes, tea_plan, big_tea, stripe_api, settings
):
    settings.STRIPE_AUTOMATIC_TAX = True
    member, clock = clocked_member
    stripe = stripe_api()
    subscription_id = member_subscribes(member, tea_plan, **IN_BATH)
    record = deliver_news(stripe, subscription_id)
    start, end = period(stripe, subscription_id)
    advance(stripe, clock, to=start + (end - start) // 2)
    client = signed_in(member)
    change = {"item": record.items[0]["stripe_item_id"], "price": big_tea.pk, "quantity": 1}

    preview = client.get(url("plan", subscription_id), change)

    then = re.search(r'class="change-amount-next">\$(\d+\.\d\d) each period', preview.text).group(1)
    assert then == "21.60"  # 18.00 and 20 % VAT, as Stripe will charge it
    confirm(client, subscription_id, preview)
    advance(stripe, clock, to=end + DAY)
    deliver_news(stripe, subscription_id)
    renewal = later_orders(subscription_id)[-1]
    assert renewal.amount_total == 2160

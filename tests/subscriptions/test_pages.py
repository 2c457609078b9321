"""The customer's subscriptions in the account area: what they get, when they pay, cancel at period
end and resume through Stripe, the card and invoices in Stripe's portal; a guest's signed link."""

import re
import time
from datetime import UTC, datetime

import pytest
import requests
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.test import Client
from django.urls import reverse

from subscriptions.links import subscription_link_path
from subscriptions.models import Subscription, SubscriptionStatus
from tests import factories

NEW_PASSWORD = "a-Quite-long-Passphrase-42"
FIFTEEN_DAYS = 15 * 24 * 3600


def detail_url(subscription_id):
    return reverse("subscriptions:detail", kwargs={"subscription_id": subscription_id})


def action_url(name, subscription_id):
    return reverse(f"subscriptions:{name}", kwargs={"subscription_id": subscription_id})


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def long_date(timestamp):
    moment = datetime.fromtimestamp(timestamp, UTC)
    return f"{moment.day} {moment:%B %Y}"


@pytest.fixture
def member(db):
    return factories.UserFactory(email="member@example.com")


def test_the_list_and_page_show_what_the_member_gets_and_when_they_pay(db, member):
    active = factories.SubscriptionFactory(user=member)
    trial = factories.SubscriptionFactory(
        user=member,
        status=SubscriptionStatus.TRIALING,
        trial_end=datetime(2027, 1, 15, tzinfo=UTC),
        current_period_end=datetime(2027, 1, 15, tzinfo=UTC),
    )
    someone_elses = factories.SubscriptionFactory(items=[{**active.items[0], "product_name": "Secret tea"}])
    client = signed_in(member)

    listing = client.get(reverse("subscriptions:list"))

    assert listing.status_code == 200
    assert "no-store" in listing.headers["Cache-Control"]
    assert "private" in listing.headers["Cache-Control"]
    assert listing.text.count("Coffee club") == 2
    assert "Secret tea" not in listing.text
    assert f'href="{detail_url(active.stripe_subscription_id)}"' in listing.text
    assert "Free trial until" in listing.text
    assert "15 January 2027</time>, then $12.00" in listing.text
    assert "$12.00 / month" in listing.text
    page = client.get(detail_url(active.stripe_subscription_id))
    assert page.status_code == 200
    assert "Active" in page.text
    next_charge = f"{active.current_period_end.day} {active.current_period_end:%B %Y}"
    assert "Next charge $12.00 on <time" in page.text
    assert f">{next_charge}</time>" in page.text
    assert "Cancel at period end" in page.text
    assert "Resume" not in page.text
    assert "Update card" in page.text
    assert 'aria-current="page">Subscriptions' in page.text
    assert client.get(detail_url(trial.stripe_subscription_id)).status_code == 200
    assert client.get(detail_url(someone_elses.stripe_subscription_id)).status_code == 404


def test_someone_elses_subscription_cannot_be_changed(db, member):
    theirs = factories.SubscriptionFactory()
    client = signed_in(member)

    for name in ("cancel", "resume", "portal"):
        assert client.post(action_url(name, theirs.stripe_subscription_id)).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.cancel_at_period_end) == (SubscriptionStatus.ACTIVE, False)


def test_changes_are_posts_with_a_csrf_token(db, member):
    subscription = factories.SubscriptionFactory(user=member)
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    assert client.get(action_url("cancel", subscription.stripe_subscription_id)).status_code == 405
    assert client.post(action_url("cancel", subscription.stripe_subscription_id)).status_code == 403


def test_pages_ask_a_guest_to_sign_in(client, db):
    subscription = factories.SubscriptionFactory(user=None)

    response = client.get(detail_url(subscription.stripe_subscription_id))

    assert response.status_code == 302
    assert reverse("account_login") in response.headers["Location"]


def test_the_member_cancels_at_period_end_keeps_it_until_then_and_resumes(
    member, member_subscribes, coffee_plan, subscription_recorded, stripe_api
):
    subscription_id = member_subscribes(member, coffee_plan)
    record = subscription_recorded(subscription_id)
    client = signed_in(member)

    response = client.post(action_url("cancel", subscription_id), follow=True)

    stripe_subscription = stripe_api().v1.subscriptions.retrieve(subscription_id)
    assert stripe_subscription.cancel_at_period_end is True
    assert stripe_subscription.status == "trialing"
    period_end = long_date(stripe_subscription["items"].data[0].current_period_end)
    assert f"Your subscription will end on {period_end}" in response.text
    assert "Ends on <time" in response.text
    assert f">{period_end}</time>" in response.text
    assert "Resume" in response.text
    assert "Cancel at period end" not in response.text
    record.refresh_from_db()
    assert (record.status, record.cancel_at_period_end) == (SubscriptionStatus.TRIALING, True)

    response = client.post(action_url("resume", subscription_id), follow=True)

    assert stripe_api().v1.subscriptions.retrieve(subscription_id).cancel_at_period_end is False
    assert "Your subscription continues" in response.text
    assert "Cancel at period end" in response.text
    record.refresh_from_db()
    assert record.cancel_at_period_end is False


def test_an_ended_subscription_offers_no_cancel_and_refuses_one(
    member, member_subscribes, coffee_plan, subscription_recorded, stripe_api
):
    subscription_id = member_subscribes(member, coffee_plan)
    stripe_api().v1.subscriptions.cancel(subscription_id)
    subscription_recorded(subscription_id)
    client = signed_in(member)

    page = client.get(detail_url(subscription_id))
    assert "Cancelled" in page.text
    assert "Cancel at period end" not in page.text
    response = client.post(action_url("cancel", subscription_id), follow=True)

    assert "This subscription has ended already." in response.text
    assert Subscription.objects.get().status == SubscriptionStatus.CANCELED


def test_update_card_opens_stripes_portal_for_the_customer(
    member, member_subscribes, coffee_plan, subscription_recorded, quiet_sim
):
    subscription_id = member_subscribes(member, coffee_plan)
    subscription_recorded(subscription_id)

    response = signed_in(member).post(action_url("portal", subscription_id))

    assert response.status_code == 302
    assert response.headers["Location"].startswith(quiet_sim.url)


def test_a_guest_link_opens_one_subscription_and_a_changed_or_expired_link_nothing(client, db, monkeypatch):
    subscription = factories.SubscriptionFactory(user=None, customer_email="ada@example.com")
    path = subscription_link_path(subscription=subscription)

    page = client.get(path)

    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    assert "Coffee club" in page.text
    assert "Update card" in page.text
    assert "create an account" in page.text
    changed = client.get(path[:-4] + "xyz/")
    assert changed.status_code == 404
    assert "Coffee club" not in changed.text
    real_time = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + FIFTEEN_DAYS)
    expired = client.get(path)
    assert expired.status_code == 404
    assert "This subscription link has expired" in expired.text
    assert "Coffee club" not in expired.text


def test_a_guest_who_signs_up_and_verifies_the_address_finds_the_subscription(client, db, mailoutbox):
    guest = factories.SubscriptionFactory(user=None, customer_email="Ada.Buyer@Example.com")
    other = factories.SubscriptionFactory(user=None, customer_email="lin@example.com")

    client.post(
        reverse("account_signup"),
        {"email": "ada.buyer@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert Subscription.objects.get(pk=guest.pk).user is None
    client.post(re.search(rf"{re.escape(settings.SHOP_BASE_URL)}(/\S+)", mailoutbox[-1].body).group(1))
    client.post(reverse("account_login"), {"login": "ada.buyer@example.com", "password": NEW_PASSWORD})

    listing = client.get(reverse("subscriptions:list"))
    assert f'href="{detail_url(guest.stripe_subscription_id)}"' in listing.text
    assert other.stripe_subscription_id not in listing.text
    assert Subscription.objects.get(pk=other.pk).user is None
    owner = EmailAddress.objects.get(email="ada.buyer@example.com").user
    assert Subscription.objects.get(pk=guest.pk).user == owner


def test_a_cancellation_date_set_at_stripe_shows_and_resume_undoes_it(
    member, member_subscribes, coffee_plan, subscription_recorded, stripe_api
):
    subscription_id = member_subscribes(member, coffee_plan)
    ends = int(time.time()) + 5 * 86_400
    # As Stripe's dashboard or portal schedules it: a date, not cancel_at_period_end.
    stripe_api().v1.subscriptions.update(subscription_id, {"cancel_at": ends})
    record = subscription_recorded(subscription_id)
    client = signed_in(member)

    page = client.get(detail_url(subscription_id))

    assert record.cancel_at_period_end is False
    assert f">{long_date(ends)}</time>" in page.text
    assert "Ends on" in page.text
    assert "Cancel at period end" not in page.text
    response = client.post(action_url("resume", subscription_id), follow=True)
    assert stripe_api().v1.subscriptions.retrieve(subscription_id).cancel_at is None
    assert "Cancel at period end" in response.text


def test_a_guest_link_sends_stripes_portal_back_to_a_page_without_the_link(
    client, guest_subscribes, coffee_plan, subscription_recorded, quiet_sim
):
    subscription = subscription_recorded(guest_subscribes(coffee_plan, email="ada@example.com"))
    path = subscription_link_path(subscription=subscription)
    token = path.rstrip("/").rsplit("/", 1)[1]

    portal = client.post(path)
    portal_page = requests.get(portal.headers["Location"], timeout=10)

    assert portal.headers["Location"].startswith(quiet_sim.url + "/billing_portal/")
    (return_url,) = re.findall(r'href="(http://testserver/[^"]*)"', portal_page.text)
    assert token not in return_url
    assert "/link/" not in return_url
    back = client.get(return_url.removeprefix("http://testserver"))
    assert back.status_code == 200
    assert "open the link in your email again" in back.text


def test_a_paused_subscription_reads_paused_not_active_and_its_labels_have_no_colons(db, member):
    paused = factories.SubscriptionFactory(user=member, pause_behavior="void")
    running = factories.SubscriptionFactory(user=member)
    client = signed_in(member)

    page = client.get(detail_url(paused.stripe_subscription_id)).text
    other = client.get(detail_url(running.stripe_subscription_id)).text

    assert '<span class="badge badge-status-paused">Paused</span>' in page
    assert '<span class="badge badge-status-paused">' not in other
    assert '<span class="badge badge-status-active">Active</span>' in other
    # Its delivery address form's labels end without a colon, as every shop form's do.
    assert ">Name</label>" in page
    assert ":</label>" not in page


def test_a_yearly_plan_left_out_beside_monthly_shipping_is_explained(db, member):
    monthly = factories.PriceFactory(monthly=True, unit_amount=1400, stripe_price_id="price_test_roast_month")
    factories.PriceFactory(
        product=monthly.product,
        monthly=True,
        recurring_interval="year",
        unit_amount=15000,
        stripe_price_id="price_test_roast_year",
    )
    coffee = {
        **factories.SubscriptionFactory.build().items[0],
        "product_name": "House Roast Coffee",
        "stripe_price_id": monthly.stripe_price_id,
        "stripe_item_id": "si_test_coffee",
    }
    shipping = {
        **coffee,
        "product_name": "Standard post",
        "stripe_item_id": "si_test_post",
        "is_shipping": True,
    }
    shipped = factories.SubscriptionFactory(user=member, items=[coffee, shipping])
    alone = factories.SubscriptionFactory(user=member, items=[coffee])
    client = signed_in(member)

    page = client.get(detail_url(shipped.stripe_subscription_id)).text

    assert "$150.00 / year" not in page
    assert "Plans billed per year are not offered here" in page
    assert "also bills Standard post every month" in page
    # Alone in its subscription, the coffee may move to its yearly plan: nothing to explain.
    page = client.get(detail_url(alone.stripe_subscription_id)).text
    assert "$150.00 / year" in page
    assert "are not offered here" not in page

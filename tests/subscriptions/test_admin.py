"""Subscriptions in admin: the list by status and customer, read-only pages, and cancelling now or
at period end through Stripe, after a confirmation, for staff allowed to."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from subscriptions.models import Subscription, SubscriptionStatus
from tests import factories
from tests.admin.pages import change_url, changelist_url, messages_of, result_pks, run_action


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(factories.AdminFactory())
    return client


@pytest.fixture
def subscriptions(db):
    return {
        "active": factories.SubscriptionFactory(customer_email="ada@example.com"),
        "past_due": factories.SubscriptionFactory(
            status=SubscriptionStatus.PAST_DUE, customer_email="lin@example.com"
        ),
        "trialing": factories.SubscriptionFactory(status=SubscriptionStatus.TRIALING, user=None),
        "canceled": factories.SubscriptionFactory(status=SubscriptionStatus.CANCELED),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "past_due"}, {"past_due"}),
        ({"status__exact": "canceled"}, {"canceled"}),
        ({"q": "LIN@example"}, {"past_due"}),
        ({"q": "ada@"}, {"active"}),
        # The search is a value, not a pattern.
        ({"q": ".*"}, set()),
    ],
)
def test_the_list_filters_by_status_and_finds_a_customer(staff_client, subscriptions, params, expected):
    response = staff_client.get(changelist_url(Subscription, **params))

    assert response.status_code == 200
    assert result_pks(response) == {str(subscriptions[name].pk) for name in expected}


def test_the_list_shows_the_customer_and_a_page_is_read_only(staff_client, subscriptions):
    listing = staff_client.get(changelist_url(Subscription))
    assert "ada@example.com" in listing.text
    assert "Payment overdue" in listing.text
    assert "Coffee club" in listing.text

    page = staff_client.get(change_url(subscriptions["active"]))

    assert page.status_code == 200
    assert subscriptions["active"].stripe_subscription_id in page.text
    assert 'name="_save"' not in page.text
    assert staff_client.get(reverse("admin:subscriptions_subscription_add")).status_code == 403


def test_cancel_now_asks_first_then_ends_it_at_stripe(
    staff_client, member_subscribes, coffee_plan, subscription_recorded, stripe_api
):
    record = subscription_recorded(member_subscribes(factories.UserFactory(), coffee_plan))

    confirmation = staff_client.post(
        changelist_url(Subscription), {"action": "cancel_now", "_selected_action": [str(record.pk)]}
    )
    assert confirmation.status_code == 200
    assert "These subscriptions end now" in confirmation.text
    assert stripe_api().v1.subscriptions.retrieve(record.stripe_subscription_id).status == "trialing"

    response = run_action(staff_client, Subscription, "cancel_now", [record], apply="yes")

    assert stripe_api().v1.subscriptions.retrieve(record.stripe_subscription_id).status == "canceled"
    record.refresh_from_db()
    assert record.status == SubscriptionStatus.CANCELED
    assert record.ended_at is not None
    assert f"Cancelled now: {record.stripe_subscription_id}." in messages_of(response)


def test_cancel_at_period_end_keeps_it_live_until_then(
    staff_client, member_subscribes, coffee_plan, subscription_recorded, stripe_api
):
    record = subscription_recorded(member_subscribes(factories.UserFactory(), coffee_plan))

    response = run_action(staff_client, Subscription, "cancel_when_period_ends", [record], apply="yes")

    stripe_subscription = stripe_api().v1.subscriptions.retrieve(record.stripe_subscription_id)
    assert (stripe_subscription.status, stripe_subscription.cancel_at_period_end) == ("trialing", True)
    record.refresh_from_db()
    assert (record.status, record.cancel_at_period_end) == (SubscriptionStatus.TRIALING, True)
    assert any("Cancelled to end at period end" in message for message in messages_of(response))


def test_an_ended_subscription_is_refused_and_stripe_is_not_asked(staff_client, subscriptions):
    response = run_action(staff_client, Subscription, "cancel_now", [subscriptions["canceled"]], apply="yes")

    assert any("has ended already" in message for message in messages_of(response))


def test_a_shopper_cannot_cancel_from_admin(db, subscriptions):
    client = Client()
    client.force_login(factories.UserFactory())

    response = client.post(
        changelist_url(Subscription),
        {"action": "cancel_now", "_selected_action": [str(subscriptions["active"].pk)], "apply": "yes"},
    )

    assert response.status_code == 302
    assert reverse("admin:login") in response.headers["Location"]
    assert Subscription.objects.get(pk=subscriptions["active"].pk).status == SubscriptionStatus.ACTIVE


def test_staff_roles_hold_the_cancel_permission(db):
    assert factories.AdminFactory().has_perm("subscriptions.cancel_subscription")
    assert not factories.UserFactory().has_perm("subscriptions.cancel_subscription")


def test_staff_skip_the_next_renewal_resume_it_and_undo_a_cancel_at_period_end(
    staff_client, member_subscribes, tea_plan, subscription_recorded, stripe_api
):
    record = subscription_recorded(member_subscribes(factories.UserFactory(), tea_plan))
    other = subscription_recorded(member_subscribes(factories.UserFactory(email="lin@example.com"), tea_plan))
    stripe = stripe_api()

    skipped = run_action(staff_client, Subscription, "skip_next_renewal", [record])

    assert f"Next renewal skipped: {record.stripe_subscription_id}." in messages_of(skipped)
    pause = stripe.v1.subscriptions.retrieve(record.stripe_subscription_id).pause_collection
    assert pause.behavior == "void"
    assert (
        pause.resumes_at
        > stripe.v1.subscriptions.retrieve(record.stripe_subscription_id)["items"].data[0].current_period_end
    )
    record.refresh_from_db()
    assert record.is_paused
    run_action(staff_client, Subscription, "unpause", [record])
    assert stripe.v1.subscriptions.retrieve(record.stripe_subscription_id).pause_collection is None
    run_action(staff_client, Subscription, "cancel_when_period_ends", [record], apply="yes")
    assert Subscription.objects.get(pk=record.pk).cancel_at_period_end

    undone = run_action(staff_client, Subscription, "undo_cancel_at_period_end", [record])

    assert f"Renewing again: {record.stripe_subscription_id}." in messages_of(undone)
    assert not stripe.v1.subscriptions.retrieve(record.stripe_subscription_id).cancel_at_period_end
    assert not Subscription.objects.get(pk=record.pk).cancel_at_period_end
    assert stripe.v1.subscriptions.retrieve(other.stripe_subscription_id).pause_collection is None
    assert Subscription.objects.get(pk=other.pk).updated_at == other.updated_at


def test_staff_pause_until_resumed(
    staff_client, member_subscribes, tea_plan, subscription_recorded, stripe_api
):
    record = subscription_recorded(member_subscribes(factories.UserFactory(), tea_plan))
    other = subscription_recorded(member_subscribes(factories.UserFactory(email="lin@example.com"), tea_plan))
    stripe = stripe_api()

    paused = run_action(staff_client, Subscription, "pause_until_resumed", [record])

    assert f"Paused: {record.stripe_subscription_id}." in messages_of(paused)
    pause = stripe.v1.subscriptions.retrieve(record.stripe_subscription_id).pause_collection
    assert (pause.behavior, pause.resumes_at) == ("void", None)
    record.refresh_from_db()
    assert record.is_paused
    assert record.pause_resumes_at is None
    assert stripe.v1.subscriptions.retrieve(other.stripe_subscription_id).pause_collection is None
    assert Subscription.objects.get(pk=other.pk).updated_at == other.updated_at


def test_staff_pause_until_a_renewal_they_choose_as_the_shopper_does(
    staff_client, member_subscribes, tea_plan, subscription_recorded, stripe_api
):
    record = subscription_recorded(member_subscribes(factories.UserFactory(), tea_plan))
    other = subscription_recorded(member_subscribes(factories.UserFactory(email="lin@example.com"), tea_plan))
    stripe = stripe_api()
    restarts = record.restart_choices()

    form = staff_client.post(
        changelist_url(Subscription), {"action": "pause_until_date", "_selected_action": [str(record.pk)]}
    )

    assert form.status_code == 200
    assert record.stripe_subscription_id in form.text
    for restart in restarts:
        assert f"the delivery of {restart.day} {restart:%B %Y}</option>" in form.text
    for refused in ("", "0", "7", "2031-04-20"):
        again = run_action(
            staff_client, Subscription, "pause_until_date", [record], apply="yes", skipped=refused
        )
        assert again.status_code == 200
        assert 'class="errorlist' in again.text
        assert stripe.v1.subscriptions.retrieve(record.stripe_subscription_id).pause_collection is None

    paused = run_action(staff_client, Subscription, "pause_until_date", [record], apply="yes", skipped="2")

    restart = restarts[1]
    assert (
        f"Paused until the delivery of {restart.day} {restart:%B %Y}: {record.stripe_subscription_id}."
        in messages_of(paused)
    )
    pause = stripe.v1.subscriptions.retrieve(record.stripe_subscription_id).pause_collection
    assert pause.behavior == "void"
    assert int(restarts[0].timestamp()) < pause.resumes_at < int(restart.timestamp())
    record.refresh_from_db()
    assert (record.is_paused, record.renewal_after_pause) == (True, restart)
    assert stripe.v1.subscriptions.retrieve(other.stripe_subscription_id).pause_collection is None
    assert Subscription.objects.get(pk=other.pk).updated_at == other.updated_at


@pytest.mark.parametrize("action", ["pause_until_resumed", "pause_until_date"])
def test_a_shopper_cannot_pause_from_admin(db, subscriptions, action):
    client = Client()
    client.force_login(factories.UserFactory())

    response = client.post(
        changelist_url(Subscription),
        {
            "action": action,
            "_selected_action": [str(subscriptions["active"].pk)],
            "apply": "yes",
            "skipped": "1",
        },
    )

    assert response.status_code == 302
    assert reverse("admin:login") in response.headers["Location"]
    assert not Subscription.objects.get(pk=subscriptions["active"].pk).is_paused


def test_staff_roles_hold_the_pause_permission(db):
    assert factories.AdminFactory().has_perm("subscriptions.manage_subscription")
    assert not factories.UserFactory().has_perm("subscriptions.manage_subscription")


def test_staff_read_a_paused_subscription_and_its_address_as_the_shopper_does(staff_client, db):
    skipped = factories.SubscriptionFactory(
        customer_email="ada@example.com",
        current_period_end=datetime(2027, 1, 6, tzinfo=UTC),
        pause_behavior="void",
        pause_resumes_at=datetime(2027, 1, 6, 1, tzinfo=UTC),
        shipping_name="Ada Lovelace",
        shipping_address={
            "line1": "1 Harbour Street",
            "line2": "",
            "city": "Portland",
            "state": "OR",
            "postal_code": "97201",
            "country": "US",
        },
    )
    until_resumed = factories.SubscriptionFactory(customer_email="lin@example.com", pause_behavior="void")
    running = factories.SubscriptionFactory(customer_email="kit@example.com")

    listing = staff_client.get(changelist_url(Subscription)).text
    page = staff_client.get(change_url(skipped)).text

    assert listing.count("Active · paused until 6 February 2027") == 1
    assert listing.count("Active · paused until resumed") == 1
    assert "Active · paused until 6 February 2027" in page
    assert "Ada Lovelace<br>1 Harbour Street<br>Portland, OR 97201<br>United States" in page
    assert '"line1"' not in page
    assert "Active · paused" not in staff_client.get(change_url(running)).text
    assert "Active · paused until resumed" in staff_client.get(change_url(until_resumed)).text

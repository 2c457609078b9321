"""A subscription's life as Stripe's test clock advances: a declined renewal goes past due, the
customer is asked once per invoice to update their card, staff see it on the dashboard, Stripe's
retries then end it; the trial reminder; a cancellation at period end that lasts until then."""

import random
import re
from datetime import UTC, datetime

import requests
from django.test import Client
from django.urls import reverse

from subscriptions.models import Subscription, SubscriptionStatus
from tests import factories
from tests.subscriptions.conftest import DECLINES_RENEWALS, advance, deliver_all, events_about

DAY = 86_400
ASKS_FOR_3D_SECURE = "4000002760003184"


def period_end(stripe_client, subscription_id) -> int:
    return stripe_client.v1.subscriptions.retrieve(subscription_id)["items"].data[0].current_period_end


def test_a_declined_renewal_goes_past_due_and_emails_the_customer_once(
    clocked_member, member_subscribes, tea_plan, stripe_api, mailoutbox, client
):
    member, clock = clocked_member
    stripe = stripe_api()
    subscription_id = member_subscribes(member, tea_plan, card=DECLINES_RENEWALS)
    deliver_all(events_about(stripe, subscription_id))
    mailoutbox.clear()
    renews_at = period_end(stripe, subscription_id)

    advance(stripe, clock, to=renews_at + 3600)
    deliveries = events_about(stripe, subscription_id) * 2
    random.Random(4).shuffle(deliveries)
    deliver_all(deliveries)

    record = Subscription.objects.get()
    assert (
        record.status
        == SubscriptionStatus.PAST_DUE
        == stripe.v1.subscriptions.retrieve(subscription_id).status
    )
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["clocked@example.com"]
    assert "payment failed" in email.subject.lower()
    assert "$9.00" in email.body
    invoice = stripe.v1.invoices.retrieve(record.latest_invoice_id)
    assert (invoice.status, invoice.attempt_count) == ("open", 1)
    retry = datetime.fromtimestamp(invoice.next_payment_attempt, UTC)
    assert f"try your card again on {retry.day} {retry:%B %Y}" in email.body
    # A member's link is their account page, behind sign-in.
    path = re.search(r"https?://[^/\s]+(/accounts/subscriptions/\S+)", email.body).group(1)
    assert path == reverse("subscriptions:detail", kwargs={"subscription_id": subscription_id})
    member_client = Client()
    member_client.force_login(member)
    page = member_client.get(path)
    assert "Payment overdue" in page.text
    assert "Update card" in page.text

    staff = Client()
    staff.force_login(factories.AdminFactory())
    dashboard = staff.get(reverse("admin:index"))
    assert "Subscriptions with a failed payment" in dashboard.text
    row = re.search(r'id="dashboard-past-due-subscriptions">(.*?)</tr>', dashboard.text, re.S).group(1)
    assert "<td>1</td>" in row
    link = re.search(r'href="([^"]+)"', row).group(1).replace("&amp;", "&")
    listing = staff.get(link)
    assert [s.stripe_subscription_id for s in listing.context["cl"].result_list] == [subscription_id]


def test_after_the_last_retry_fails_the_subscription_ends(
    clocked_member, member_subscribes, tea_plan, stripe_api, mailoutbox
):
    member, clock = clocked_member
    stripe = stripe_api()
    subscription_id = member_subscribes(member, tea_plan, card=DECLINES_RENEWALS)
    renews_at = period_end(stripe, subscription_id)
    advance(stripe, clock, to=renews_at + 3600)
    deliver_all(events_about(stripe, subscription_id))

    advance(stripe, clock, to=renews_at + 8 * DAY)
    deliver_all(events_about(stripe, subscription_id))

    record = Subscription.objects.get()
    assert (
        record.status
        == SubscriptionStatus.CANCELED
        == stripe.v1.subscriptions.retrieve(subscription_id).status
    )
    assert record.next_charge_at is None
    # One email per failed invoice, not per retry of it.
    assert len([email for email in mailoutbox if "payment failed" in email.subject.lower()]) == 1


def test_no_card_update_is_asked_for_once_the_subscription_has_ended(
    clocked_member, member_subscribes, tea_plan, stripe_api, mailoutbox
):
    member, clock = clocked_member
    stripe = stripe_api()
    subscription_id = member_subscribes(member, tea_plan, card=DECLINES_RENEWALS)
    advance(stripe, clock, to=period_end(stripe, subscription_id) + 8 * DAY)

    # The shop hears of the failures only after Stripe gave up.
    deliver_all(events_about(stripe, subscription_id))

    assert Subscription.objects.get().status == SubscriptionStatus.CANCELED
    assert [email for email in mailoutbox if "payment failed" in email.subject.lower()] == []


def test_stripes_trial_notice_three_days_before_the_end_sends_one_reminder(
    clocked_member, member_subscribes, coffee_plan, stripe_api, mailoutbox
):
    member, clock = clocked_member
    stripe = stripe_api()
    subscription_id = member_subscribes(member, coffee_plan)
    trial_end = stripe.v1.subscriptions.retrieve(subscription_id).trial_end
    mailoutbox.clear()

    advance(stripe, clock, to=trial_end - 3 * DAY + 3600)
    deliveries = events_about(stripe, subscription_id)
    assert "customer.subscription.trial_will_end" in {event["type"] for event in deliveries}
    deliver_all(deliveries * 2)

    [email] = mailoutbox
    ends = datetime.fromtimestamp(trial_end, UTC)
    assert email.to == ["clocked@example.com"]
    assert f"ends on {ends.day} {ends:%B %Y}" in email.body
    assert "$12.00 every month" in email.body


def test_cancelled_at_period_end_it_lasts_until_the_period_ends_then_ends(
    clocked_member, member_subscribes, tea_plan, stripe_api, subscription_recorded
):
    member, clock = clocked_member
    stripe = stripe_api()
    subscription_id = member_subscribes(member, tea_plan)
    subscription_recorded(subscription_id)
    member_client = Client()
    member_client.force_login(member)
    detail = reverse("subscriptions:detail", kwargs={"subscription_id": subscription_id})
    member_client.post(reverse("subscriptions:cancel", kwargs={"subscription_id": subscription_id}))
    ends_at = period_end(stripe, subscription_id)

    advance(stripe, clock, to=ends_at - 3600)
    deliver_all(events_about(stripe, subscription_id))
    assert Subscription.objects.get().status == SubscriptionStatus.ACTIVE
    assert "Ends on" in member_client.get(detail).text

    advance(stripe, clock, to=ends_at + 3600)
    deliver_all(events_about(stripe, subscription_id))

    record = Subscription.objects.get()
    assert record.status == SubscriptionStatus.CANCELED
    assert record.ended_at == datetime.fromtimestamp(ends_at, UTC)
    page = member_client.get(detail).text
    assert "Ended on" in page
    assert "Cancel at period end" not in page
    # It ended instead of renewing: Stripe made no renewal invoice.
    assert len(stripe.v1.invoices.list({"subscription": subscription_id}).data) == 1


def test_a_past_due_subscription_recovers_when_the_card_is_updated_in_stripes_portal(
    clocked_member, member_subscribes, tea_plan, stripe_api
):
    member, clock = clocked_member
    stripe = stripe_api()
    subscription_id = member_subscribes(member, tea_plan, card=DECLINES_RENEWALS)
    advance(stripe, clock, to=period_end(stripe, subscription_id) + 3600)
    deliver_all(events_about(stripe, subscription_id))
    assert Subscription.objects.get().status == SubscriptionStatus.PAST_DUE
    member_client = Client()
    member_client.force_login(member)
    detail = reverse("subscriptions:detail", kwargs={"subscription_id": subscription_id})

    portal = member_client.post(reverse("subscriptions:portal", kwargs={"subscription_id": subscription_id}))
    portal_page = requests.get(portal.headers["Location"], timeout=10)
    assert f'href="http://testserver{detail}"' in portal_page.text
    updated = requests.post(
        portal.headers["Location"], data={"action": "update_card", "card": "4242424242424242"}, timeout=10
    )
    assert updated.status_code in (200, 303)
    deliver_all(events_about(stripe, subscription_id))

    record = Subscription.objects.get()
    assert (
        record.status == SubscriptionStatus.ACTIVE == stripe.v1.subscriptions.retrieve(subscription_id).status
    )
    assert "Payment overdue" not in member_client.get(detail).text


def test_a_renewal_that_asks_for_3d_secure_asks_the_customer_once_to_confirm_it(
    clocked_member, member_subscribes, tea_plan, stripe_api, mailoutbox
):
    member, clock = clocked_member
    stripe = stripe_api()
    # At checkout the card pays (and is saved); the renewal, off session, asks for 3-D Secure.
    subscription_id = member_subscribes(member, tea_plan, card=ASKS_FOR_3D_SECURE)
    deliver_all(events_about(stripe, subscription_id))
    mailoutbox.clear()

    advance(stripe, clock, to=period_end(stripe, subscription_id) + 3600)
    deliveries = events_about(stripe, subscription_id) * 2
    assert "invoice.payment_action_required" in {event["type"] for event in deliveries}
    random.Random(3).shuffle(deliveries)
    deliver_all(deliveries)

    record = Subscription.objects.get()
    assert record.status == SubscriptionStatus.PAST_DUE
    [email] = mailoutbox
    assert email.to == ["clocked@example.com"]
    assert "confirm your payment" in email.subject.lower()
    assert "$9.00" in email.body
    assert "payment failed" not in email.body.lower()
    # The link is Stripe's page of the invoice, where the customer confirms the payment.
    invoice = stripe.v1.invoices.retrieve(record.latest_invoice_id)
    assert invoice.hosted_invoice_url
    assert invoice.hosted_invoice_url in email.body
    assert "update your card" not in email.body.lower()
    [(html, _)] = email.alternatives
    assert f'href="{invoice.hosted_invoice_url}"' in html
    invoice_page = requests.get(invoice.hosted_invoice_url, timeout=10)
    assert "$9.00" in invoice_page.text
    paid = requests.post(invoice.hosted_invoice_url, data={"action": "pay"}, timeout=10)
    assert "Invoice paid." in paid.text
    deliver_all(events_about(stripe, subscription_id))
    record.refresh_from_db()
    assert record.status == SubscriptionStatus.ACTIVE
    assert stripe.v1.invoices.retrieve(invoice.id).status == "paid"

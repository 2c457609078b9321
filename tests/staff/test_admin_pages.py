"""Admin pages that must not puzzle staff: a refused page, the webhook log, expired carts."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User, UserRole
from cart.models import Cart, CartStatus
from payments.models import WebhookEvent
from tests import factories
from tests.admin.pages import change_url, changelist_url
from tests.staff.helpers import REFUSED_ROLES, STAFF_ROLES, is_login_redirect, messages_of

# --- A page the role does not open ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        changelist_url(User),
        reverse("admin:accounts_user_add"),
    ],
    ids=["users", "add user"],
)
def test_an_admin_opening_users_gets_the_admins_own_page_saying_why(client_as, settings, url):
    response = client_as(UserRole.ADMIN).get(url)

    assert response.status_code == 403
    assert f"{settings.SITE_NAME} admin" in response.text
    assert 'id="header"' in response.text
    assert "Only a super admin can open this page." in response.text
    assert "Ask a super admin if you need a change here." in response.text
    assert 'href="/admin/"' in response.text


def test_a_super_admin_still_opens_users(client_as):
    assert client_as(UserRole.SUPER_ADMIN).get(changelist_url(User)).status_code == 200


# --- The webhook log ----------------------------------------------------------------------------


def unprocessed_event(**fields):
    """An event of a type the shop has no handler for: processing it marks it processed."""
    return factories.WebhookEventFactory(
        type="balance.available", attempts=1, last_error="RuntimeError: database busy", **fields
    )


def retry_url(event):
    return reverse("admin:payments_webhookevent_retry", args=[event.pk])


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_an_event_page_is_read_only_with_a_retry_button_that_processes_it(client_as, role):
    client = client_as(role)
    event = unprocessed_event()

    page = client.get(change_url(event))

    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    assert 'name="_continue"' not in page.text
    assert "<textarea" not in page.text
    form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"[^>]*>.*?</form>', page.text, re.S)
    assert form is not None
    assert form[1] == retry_url(event)
    assert "csrfmiddlewaretoken" in form[0]
    assert ">Retry</button>" in form[0]

    retried = client.post(retry_url(event), follow=True)

    assert retried.redirect_chain[-1][0] == change_url(event)
    assert f"Processed {event.stripe_event_id}." in messages_of(retried)
    event.refresh_from_db()
    assert (event.processed, event.attempts) == (True, 2)


def test_a_processed_event_offers_no_retry(staff_client):
    event = factories.WebhookEventFactory(processed=True, processed_at=timezone.now(), attempts=1)

    page = staff_client.get(change_url(event))
    again = staff_client.post(retry_url(event), follow=True)

    assert ">Retry</button>" not in page.text
    assert "Processed; nothing to retry." in page.text
    assert f"{event.stripe_event_id} was already processed: nothing to retry." in messages_of(again)
    assert WebhookEvent.objects.get(pk=event.pk).attempts == 1


def test_an_event_that_fails_again_says_so_and_keeps_the_error(staff_client):
    # Stripe is unreachable in these tests: the handler re-reads the order's session from Stripe and fails.
    factories.OrderFactory(stripe_checkout_session_id="cs_test_unknown")
    event = factories.WebhookEventFactory(
        type="checkout.session.completed",
        attempts=1,
        payload={
            "id": "evt_1",
            "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_test_unknown", "object": "checkout.session"}},
        },
    )

    retried = staff_client.post(retry_url(event), follow=True)

    event.refresh_from_db()
    assert not event.processed
    assert event.attempts == 2
    [failure] = [message for message in messages_of(retried) if "failed again" in message]
    assert failure.startswith(f"{event.stripe_event_id} failed again: ")


def test_the_retry_button_only_answers_a_post(staff_client):
    event = unprocessed_event()

    assert staff_client.get(retry_url(event)).status_code == 405
    assert not WebhookEvent.objects.get(pk=event.pk).processed


def test_the_retry_button_needs_the_pages_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.AdminFactory())
    event = unprocessed_event()

    assert client.post(retry_url(event)).status_code == 403
    assert not WebhookEvent.objects.get(pk=event.pk).processed


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_shoppers_and_visitors_cannot_retry(client_as, role):
    event = unprocessed_event()

    response = client_as(role).post(retry_url(event))

    assert is_login_redirect(response)
    assert not WebhookEvent.objects.get(pk=event.pk).processed


def test_the_list_action_still_retries(staff_client):
    event = unprocessed_event()

    response = staff_client.post(
        changelist_url(WebhookEvent),
        {"action": "retry", "_selected_action": [str(event.pk)]},
        follow=True,
    )

    assert "Processed 1 event(s)." in messages_of(response)
    assert WebhookEvent.objects.get(pk=event.pk).processed


# --- Carts ----------------------------------------------------------------------------------------


def expiry_cell(page_text, cart):
    """Return the text of the cart's expiry column on the cart list."""
    row = page_text[page_text.index(change_url(cart)) :]
    return re.search(r'<td class="field-expiry">(.*?)</td>', row, re.S)[1].strip()


def test_a_cart_past_its_expiry_reads_expired_and_when(staff_client, settings, monkeypatch):
    settings.TIME_ZONE = "UTC"
    now = timezone.now()
    expiry = (now + datetime.timedelta(hours=1)).replace(second=0, microsecond=0)
    cart = factories.CartFactory(expires_at=expiry)
    # The embedded engine deletes a cart the moment its expiry passes: the clock moves instead.
    monkeypatch.setattr(timezone, "now", lambda: now + datetime.timedelta(hours=2))

    listing = staff_client.get(changelist_url(Cart)).text
    page = staff_client.get(change_url(cart)).text

    expired = f"Expired {expiry:%-d %b %Y, %H:%M}"
    assert expiry_cell(listing, cart) == expired
    assert expired in page
    assert "Expires" not in page


def test_a_cart_expired_by_staff_before_its_time_reads_expired_not_a_future_date(staff_client, settings):
    settings.TIME_ZONE = "UTC"
    cart = factories.CartFactory(expires_at=timezone.now() + datetime.timedelta(days=5))
    expired_at = timezone.now().replace(year=2026, month=5, day=4, hour=8, minute=0)
    Cart.objects.filter(pk=cart.pk).update(status=CartStatus.EXPIRED, updated_at=expired_at)

    listing = staff_client.get(changelist_url(Cart)).text
    page = staff_client.get(change_url(cart)).text

    assert expiry_cell(listing, cart) == "Expired 4 May 2026, 08:00"
    assert "Expires" not in page
    assert "Expired 4 May 2026, 08:00" in page


def test_open_carts_read_when_they_expire_or_that_they_never_do(staff_client, settings):
    settings.TIME_ZONE = "UTC"
    future = timezone.now().replace(year=2099, month=1, day=15, hour=12, minute=0)
    guest = factories.CartFactory(expires_at=future)
    member = factories.CartFactory(for_user=True)

    listing = staff_client.get(changelist_url(Cart)).text

    assert expiry_cell(listing, guest) == "Expires 15 Jan 2099, 12:00"
    assert expiry_cell(listing, member) == "Never (a signed-in shopper’s cart)"

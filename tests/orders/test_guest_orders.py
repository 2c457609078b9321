"""A guest's orders reach the account that proves their address, and a signed link shows one order."""

import re
import time

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.test import Client
from django.urls import reverse

from orders.emails import order_confirmation_send
from orders.models import Order
from orders.services import PaymentDetails, order_mark_paid
from payments.views import SESSION_ORDERS_KEY
from tests import factories
from tests.accounts.conftest import providers  # noqa: F401 (the fixture)
from tests.accounts.oauth import sign_in as provider_sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-Quite-long-Passphrase-42"
THIRTY_ONE_DAYS = 31 * 24 * 3600
PORTLAND = {
    "line1": "1 Harbour Street",
    "city": "Portland",
    "postal_code": "04101",
    "state": "ME",
    "country": "US",
}


def guest_order(email, **fields):
    order = factories.OrderFactory(user=None, customer_email=email, paid=True, **fields)
    factories.OrderItemFactory(order=order, product_name="Enamel Camp Mug", quantity=1)
    return order


def link_in(body):
    return re.search(rf"{re.escape(settings.SHOP_BASE_URL)}(/\S+)", body).group(1)


def order_link_in(message):
    """Return the path of the order link in an email's text."""
    return re.search(r"https?://[^/\s]+(/orders/\S+)", message.body).group(1)


def sign_up(client, email):
    client.post(
        reverse("account_signup"), {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )


def sign_in(client, email, password=NEW_PASSWORD):
    client.post(reverse("account_login"), {"login": email, "password": password})


def test_a_guest_who_signs_up_and_verifies_the_checkout_address_finds_the_order(client, mailoutbox):
    order = guest_order("Ada.Buyer@Example.com")
    someone_else = guest_order("lin@example.com")

    sign_up(client, "ada.buyer@example.com")
    # Signed up, not yet verified: whoever typed the address may not own it.
    assert Order.objects.get(pk=order.pk).user is None
    client.post(link_in(mailoutbox[-1].body))
    sign_in(client, "ada.buyer@example.com")

    page = client.get(reverse("orders:list"))
    assert order.number in page.text
    assert "You have no orders yet" not in page.text
    assert someone_else.number not in page.text
    detail = client.get(reverse("orders:detail", kwargs={"number": order.number}))
    assert detail.status_code == 200
    assert "Enamel Camp Mug" in detail.text
    assert client.get(reverse("orders:detail", kwargs={"number": someone_else.number})).status_code == 404


def test_an_unverified_second_address_attaches_nothing(client):
    member = factories.UserFactory(email="lin@example.com")
    EmailAddress.objects.create(user=member, email=member.email, primary=True, verified=True)
    order = guest_order("ada@example.com")
    client.force_login(member)

    client.post(reverse("account_email"), {"action_add": "", "email": "ada@example.com"})

    assert EmailAddress.objects.filter(user=member, email="ada@example.com", verified=False).exists()
    assert Order.objects.get(pk=order.pk).user is None
    assert order.number not in client.get(reverse("orders:list")).text


def test_a_provider_sign_up_with_a_verified_address_finds_the_guest_orders(client, providers):  # noqa: F811
    order = guest_order("ada@gmail.example")
    providers.google_signs_in(sub="108", email="ada@gmail.example", email_verified=True)

    provider_sign_in(client, "google")

    assert Order.objects.get(pk=order.pk).user.email == "ada@gmail.example"
    assert order.number in client.get(reverse("orders:list")).text


def test_a_password_reset_that_proves_the_address_finds_the_guest_orders(client, mailoutbox):
    member = factories.UserFactory(email="ada@example.com")
    EmailAddress.objects.create(user=member, email=member.email, primary=True, verified=False)
    order = guest_order("ada@example.com")

    client.post(reverse("account_reset_password"), {"email": "ada@example.com"})
    reset_url = client.get(link_in(mailoutbox[-1].body), follow=True).request["PATH_INFO"]
    client.post(reset_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert Order.objects.get(pk=order.pk).user == member


def test_a_guest_payment_with_a_members_verified_address_goes_to_that_member():
    member = factories.UserFactory(email="ada@example.com")
    EmailAddress.objects.create(user=member, email=member.email, primary=True, verified=True)
    order = factories.OrderFactory(user=None, customer_email="")
    details = PaymentDetails(
        currency="usd",
        amount_subtotal=3000,
        amount_discount=0,
        amount_tax=0,
        amount_shipping=0,
        amount_total=3000,
        customer_email="ADA@example.com",
        stripe_payment_intent_id="pi_test_member_address",
    )

    order_mark_paid(order=order, details=details, note="Paid")

    assert Order.objects.get(pk=order.pk).user == member


def test_the_confirmation_of_a_guest_order_links_to_a_private_page_of_that_order_only(mailoutbox):
    order = guest_order("ada@example.com", shipping_name="Ada Buyer", shipping_address=PORTLAND)
    other = guest_order("lin@example.com", shipping_name="Lin Other", shipping_address=PORTLAND)

    order_confirmation_send(order_id=order.pk)

    (message,) = mailoutbox
    path = order_link_in(message)
    assert path in message.alternatives[0][0]
    page = Client().get(path)
    assert page.status_code == 200
    assert order.number in page.text
    assert "Enamel Camp Mug" in page.text
    assert "Ada Buyer" in page.text
    assert other.number not in page.text
    assert "Lin Other" not in page.text
    assert set(page["Cache-Control"].split(", ")) == {"private", "no-store"}


def test_a_tampered_order_link_shows_no_order(mailoutbox):
    order = guest_order("ada@example.com")
    other = guest_order("lin@example.com")
    order_confirmation_send(order_id=order.pk)
    path = order_link_in(mailoutbox[0])
    tampered = path.replace(order.number, other.number)
    assert tampered != path

    page = Client().get(tampered)

    assert page.status_code == 404
    assert "This order link is not valid" in page.text
    assert order.number not in page.text
    assert other.number not in page.text
    assert "no-store" in page["Cache-Control"]


def test_an_order_link_expires_after_thirty_days(mailoutbox, monkeypatch):
    order = guest_order("ada@example.com")
    order_confirmation_send(order_id=order.pk)
    path = order_link_in(mailoutbox[0])
    real_time = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + THIRTY_ONE_DAYS)

    page = Client().get(path)

    assert page.status_code == 404
    assert "This order link has expired" in page.text
    assert order.number not in page.text


def test_the_confirmation_of_a_members_order_links_to_the_order_page_behind_sign_in(mailoutbox):
    member = factories.UserFactory(email="lin@example.com")
    order = factories.OrderFactory(user=member, paid=True)

    order_confirmation_send(order_id=order.pk)

    path = order_link_in(mailoutbox[0])
    assert path == reverse("orders:detail", kwargs={"number": order.number})
    signed_out = Client().get(path)
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith(reverse("account_login"))
    signed_in = Client()
    signed_in.force_login(member)
    assert order.number in signed_in.get(path).text


def test_the_success_page_links_a_guest_to_their_order(client):
    order = guest_order("ada@example.com")
    session = client.session
    session[SESSION_ORDERS_KEY] = [order.number]
    session.save()

    success = client.get(reverse("payments:success"), {"session_id": order.stripe_checkout_session_id})

    path = re.search(r'href="(/orders/[^"]+)"[^>]*>View your order', success.text).group(1)
    page = Client().get(path)
    assert page.status_code == 200
    assert order.number in page.text


def test_the_success_page_links_a_member_to_the_order_in_their_account(client):
    member = factories.UserFactory()
    order = factories.OrderFactory(user=member, paid=True)
    client.force_login(member)

    success = client.get(reverse("payments:success"), {"session_id": order.stripe_checkout_session_id})

    detail = reverse("orders:detail", kwargs={"number": order.number})
    assert re.search(rf'href="{re.escape(detail)}"[^>]*>View your order', success.text)

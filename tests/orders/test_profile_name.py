"""A member who never gave their name gets the one they paid with; a name they chose stays theirs."""

import pytest
from django.urls import reverse

from accounts.models import User
from orders.models import PaymentStatus
from orders.services import order_mark_paid
from tests import factories
from tests.orders.test_services import stripe_details

pytestmark = pytest.mark.django_db


def pay(order, **details):
    order_mark_paid(order=order, details=stripe_details(**details), note="Paid")


def test_the_profile_takes_the_name_the_member_paid_with(client):
    ada = factories.UserFactory(name="")
    neighbour = factories.UserFactory(name="")
    order = factories.OrderFactory(user=ada, customer_name="")

    pay(order, customer_name="Ada Lovelace")

    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID
    assert User.objects.get(pk=ada.pk).name == "Ada Lovelace"
    assert User.objects.get(pk=neighbour.pk).name == ""
    client.force_login(ada)
    page = client.get(reverse("accounts:profile")).text
    assert "<dt>Name</dt><dd>Ada Lovelace</dd>" in page


def test_a_name_the_member_chose_is_kept():
    grace = factories.UserFactory(name="Grace")
    order = factories.OrderFactory(user=grace, customer_name="Grace")

    pay(order, customer_name="G. B. M. Hopper")

    assert User.objects.get(pk=grace.pk).name == "Grace"

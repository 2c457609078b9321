"""Deleting a user removes their linked accounts, tokens and addresses, and keeps their orders."""

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.db import connection

from accounts.exceptions import LastSuperAdmin
from accounts.models import User
from accounts.services import user_delete
from tests import factories

pytestmark = pytest.mark.django_db


def documents(model, **query):
    """Read the collection itself, so nothing the ORM might hide goes unseen."""
    return list(connection.database[model._meta.db_table].find(query))


def test_deleting_a_user_cascades_to_their_accounts_tokens_and_addresses_and_keeps_orders():
    user = factories.UserFactory(email="leaving@example.com")
    bystander = factories.UserFactory()
    for person in (user, bystander):
        EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
        for provider in ("google", "github"):
            account = SocialAccount.objects.create(
                user=person, provider=provider, uid=f"{provider}-{person.pk}"
            )
            SocialToken.objects.create(account=account, token=f"token-{provider}-{person.pk}")
    account_ids = [account.pk for account in SocialAccount.objects.filter(user=user)]
    order = factories.OrderFactory(user=user, customer_email="leaving@example.com")
    factories.OrderItemFactory(order=order)

    user_delete(user=user)

    assert not documents(User, _id=user.pk)
    assert not documents(EmailAddress, user_id=user.pk)
    assert not documents(SocialAccount, user_id=user.pk)
    assert not documents(SocialToken, account_id={"$in": account_ids})
    (order_document,) = documents(type(order), _id=order.pk)
    assert order_document["user_id"] is None
    assert order_document["customer_email"] == "leaving@example.com"
    assert len(documents(type(order.items.get()), order_id=order.pk)) == 1
    assert len(documents(EmailAddress, user_id=bystander.pk)) == 1
    assert len(documents(SocialAccount, user_id=bystander.pk)) == 2
    assert len(documents(SocialToken)) == 2


def test_the_last_super_admin_is_not_deleted():
    super_admin = factories.SuperAdminFactory()

    with pytest.raises(LastSuperAdmin):
        user_delete(user=super_admin)

    assert User.objects.filter(pk=super_admin.pk).exists()

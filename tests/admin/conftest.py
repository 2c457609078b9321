import pytest

from tests import factories


@pytest.fixture
def super_admin(db):
    return factories.SuperAdminFactory()


@pytest.fixture
def super_admin_client(client, super_admin):
    client.force_login(super_admin)
    return client


@pytest.fixture
def admin_role_client(client, db):
    client.force_login(factories.AdminFactory())
    return client

import pytest
from bson import ObjectId

from tests import factories

ALL_FACTORIES = [
    factories.UserFactory,
    factories.ProductFactory,
    factories.PriceFactory,
    factories.CartFactory,
    factories.CartItemFactory,
    factories.OrderFactory,
    factories.OrderItemFactory,
    factories.RefundFactory,
    factories.WebhookEventFactory,
    factories.SubscriptionFactory,
]


@pytest.mark.parametrize("factory", ALL_FACTORIES, ids=lambda factory: factory._meta.model.__name__)
def test_every_factory_saves_a_valid_row_with_an_objectid_key(db, factory):
    instance = factory()
    instance.full_clean()
    assert isinstance(instance.pk, ObjectId)
    assert type(instance).objects.filter(pk=instance.pk).exists()

"""A transaction whose commit meets a write conflict leaves no trace and a usable connection.

The embedded engine detects conflicts only at commit; these tests force one with a write from
another thread between the transaction's first write and its commit. Real MongoDB reports
conflicts at the write instead (and would make that other write wait), so they run on the
embedded engine only.
"""

import os
import threading

import pytest
from django.db import connections
from pymongo.errors import PyMongoError

from catalog.models import Product
from payments.transactions import atomic, run_atomically
from tests import factories

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("MONGODB_URI")), reason="commit-time write conflicts are the embedded engine's"
)


def write_from_another_thread(product, name):
    def write():
        Product.objects.filter(pk=product.pk).update(name=name)

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()


def test_a_conflicting_commit_is_retried_from_fresh_rows(db):
    product = factories.ProductFactory(name="Mug", description="")
    attempts = []

    def rename():
        attempts.append(product.name)
        Product.objects.filter(pk=product.pk).update(description=f"seen as {product.name}")
        if len(attempts) == 1:
            write_from_another_thread(product, "Stoneware mug")
        return len(attempts)

    assert run_atomically(rename, refresh=[product]) == 2

    assert attempts == ["Mug", "Stoneware mug"]
    product.refresh_from_db()
    assert (product.name, product.description) == ("Stoneware mug", "seen as Stoneware mug")


def test_a_failed_commit_is_aborted_for_good_and_its_callbacks_dropped(db):
    product = factories.ProductFactory(name="Mug")
    callbacks = []

    def conflicting_transaction():
        with atomic():
            Product.objects.filter(pk=product.pk).update(description="from the failed transaction")
            connections["default"].on_commit(lambda: callbacks.append("sent"))
            write_from_another_thread(product, "Renamed meanwhile")

    with pytest.raises(PyMongoError, match="Write conflict"):
        conflicting_transaction()

    assert callbacks == []
    product.refresh_from_db()
    assert product.name == "Renamed meanwhile"
    assert product.description != "from the failed transaction"
    # The connection works normally afterwards, transactions included.
    with atomic():
        Product.objects.filter(pk=product.pk).update(description="later")
    assert Product.objects.get(pk=product.pk).description == "later"

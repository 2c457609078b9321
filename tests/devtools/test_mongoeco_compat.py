"""Each gap between mongoeco 4.11.0 and MongoDB: present upstream, closed by devtools.mongoeco_compat.

Every test first shows the gap on an upstream server (mongoeco as shipped, without install(),
in a subprocess), then shows the suite's server, which runs install(), behaving like MongoDB.
"""

import datetime
import inspect
import sqlite3
import subprocess
import sys
import threading
import time
from zoneinfo import ZoneInfo

import mongoeco
import pytest
from bson import Int64, ObjectId
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncDay, TruncWeek
from django.test.utils import CaptureQueriesContext
from mongoeco.compat import MONGODB_DIALECT_70
from mongoeco.core.query_plan import compile_filter
from mongoeco.engines._memory_collection import MemoryCollection
from mongoeco.engines.memory import MemoryEngine
from mongoeco.wire import executor as wire_executor
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from cart.models import Cart
from catalog.models import Price, Product
from devtools import mongoeco_compat
from devtools.embedded_mongodb import start_server_process, stop_server_process
from orders.models import Order
from tests import factories

UTC = datetime.UTC
PARIS = ZoneInfo("Europe/Paris")

UPSTREAM_SERVER = """
import asyncio, signal
from mongoeco.engines.memory import MemoryEngine
from mongoeco.wire import AsyncMongoEcoProxyServer

async def main():
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with AsyncMongoEcoProxyServer(engine=MemoryEngine(), host="127.0.0.1", port=0) as server:
        print(server.address.port, flush=True)
        await stop.wait()

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def upstream():
    """A database on mongoeco exactly as shipped: no devtools.mongoeco_compat in that process."""
    command = [sys.executable, "-c", UPSTREAM_SERVER]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 -- a fixed command
    try:
        port = int(process.stdout.readline())
        client = MongoClient(
            f"mongodb://127.0.0.1:{port}/", directConnection=True, serverSelectionTimeoutMS=5000
        )
        yield client["upstream"]
        client.close()
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def ours(db):
    """A scratch database on the suite's server, which runs devtools.mongoeco_compat.install()."""
    client = connection.database.client
    yield client["compat_checks"]
    client.drop_database("compat_checks")


def _pipeline_of(captured):
    return " ".join(query["sql"] for query in captured.captured_queries)


# --- Gap 1: buildinfo -------------------------------------------------------------------------


def test_gap_1_server_info(upstream, ours):
    with pytest.raises(OperationFailure, match="unsupported wire command: buildinfo"):
        upstream.client.server_info()

    assert ours.client.server_info()["ok"] == 1


# --- Gap 2: $not ------------------------------------------------------------------------------

NOT_CASES = [
    ({"value": 0}, True),
    ({"value": None}, True),
    ({}, True),  # missing
    ({"value": False}, True),
    ({"value": 3}, False),
    ({"value": ""}, False),  # MongoDB: only false, null, missing and zero are false
    ({"value": []}, False),
]


def test_gap_2_not_expression(upstream, ours):
    stage = {"$project": {"_id": 0, "negated": {"$not": ["$value"]}}}
    upstream.numbers.insert_one({"value": 1})
    with pytest.raises(OperationFailure, match=r"Unrecognized expression '\$not'") as raised:
        list(upstream.numbers.aggregate([stage]))
    assert raised.value.code == 168

    ours.numbers.insert_many([{"order": index, **document} for index, (document, _) in enumerate(NOT_CASES)])
    for form in ({"$not": ["$value"]}, {"$not": "$value"}):
        pipeline = [{"$sort": {"order": 1}}, {"$project": {"_id": 0, "negated": form}}]
        assert [row["negated"] for row in ours.numbers.aggregate(pipeline)] == [
            expected for _, expected in NOT_CASES
        ]


def test_gap_2_django_aggregations_send_not(db):
    factories.OrderFactory(user=None, amount_total=1000, currency="usd")
    factories.OrderFactory(user=None, amount_total=500, currency="usd")
    factories.OrderFactory(user=None, amount_total=700, currency="eur")

    with CaptureQueriesContext(connection) as captured:
        totals = dict(Order.objects.values_list("currency").annotate(total=Sum("amount_total")).order_by())
        counted = Order.objects.aggregate(orders=Count("pk"))

    assert "'$not'" in _pipeline_of(captured)
    assert totals == {"usd": 1500, "eur": 700}
    assert counted == {"orders": 3}


# --- Gap 3: a plain and a partial unique index on one key -------------------------------------


def test_gap_3_allauth_email_indexes(upstream, db, django_user_model):
    from allauth.account.models import EmailAddress

    upstream.emails.create_index([("email", 1)])
    with pytest.raises(OperationFailure, match="Conflicting index definition"):
        upstream.emails.create_index(
            [("email", 1)],
            unique=True,
            partialFilterExpression={"verified": True},
            name="unique_verified_email",
        )

    indexes = connection.database["account_emailaddress"].index_information()
    keys = {name: index["key"] for name, index in indexes.items()}
    assert [("email", 1), ("verified", 1)] in keys.values()
    assert keys["unique_verified_email"] == [("email", 1)]
    assert indexes["unique_verified_email"]["unique"] is True
    assert dict(indexes["unique_verified_email"]["partialFilterExpression"])["verified"] == {"$eq": True}

    first, second, third = factories.UserFactory.create_batch(3)
    EmailAddress.objects.create(user=first, email="ada@example.com", verified=True)
    EmailAddress.objects.create(user=second, email="ada@example.com", verified=False)  # unverified: allowed
    with pytest.raises(IntegrityError):
        EmailAddress.objects.create(user=third, email="ada@example.com", verified=True)
    assert EmailAddress.objects.filter(email="ada@example.com", verified=True).count() == 1
    # The model state still matches allauth's models: no migration is pending.
    call_command("makemigrations", "account", "--check", "--dry-run", verbosity=0)


# --- Gaps 4 and 5: $dateTrunc with a time zone, and startOfWeek ----------------------------


def test_gap_4_date_trunc_with_a_time_zone(upstream, db):
    upstream.dates.insert_one({"at": datetime.datetime(2026, 3, 29, 12, 0)})
    day_in_paris = {"$dateTrunc": {"date": "$at", "unit": "day", "timezone": "Europe/Paris"}}
    with pytest.raises(OperationFailure, match="timezone is not supported"):
        list(upstream.dates.aggregate([{"$project": {"day": day_in_paris}}]))

    # Paris: CET (+1) until 2026-03-29 01:00 UTC, CEST (+2) until 2026-10-25 01:00 UTC.
    local_days = {
        datetime.datetime(2026, 3, 28, 22, 30, tzinfo=UTC): datetime.date(2026, 3, 28),  # 23:30 CET
        datetime.datetime(2026, 3, 28, 23, 30, tzinfo=UTC): datetime.date(2026, 3, 29),  # 00:30 CET
        datetime.datetime(2026, 3, 29, 21, 30, tzinfo=UTC): datetime.date(2026, 3, 29),  # 23:30 CEST
        datetime.datetime(2026, 3, 29, 22, 30, tzinfo=UTC): datetime.date(2026, 3, 30),  # 00:30 CEST
        datetime.datetime(2026, 10, 24, 22, 30, tzinfo=UTC): datetime.date(2026, 10, 25),  # 00:30 CEST
        datetime.datetime(2026, 10, 25, 22, 30, tzinfo=UTC): datetime.date(2026, 10, 25),  # 23:30 CET
        datetime.datetime(2026, 10, 25, 23, 30, tzinfo=UTC): datetime.date(2026, 10, 26),  # 00:30 CET
    }
    for created_at in local_days:
        factories.OrderFactory(user=None, created_at=created_at)

    rows = Order.objects.annotate(day=TruncDay("created_at", tzinfo=PARIS)).values_list("created_at", "day")

    truncated = dict(rows)
    for created_at, local_day in local_days.items():
        expected = datetime.datetime.combine(local_day, datetime.time(), tzinfo=PARIS)
        assert truncated[created_at] == expected, created_at
        assert truncated[created_at].utcoffset() == expected.utcoffset()


def test_gap_5_trunc_week_starts_on_monday(upstream, db):
    upstream.dates.insert_one({"at": datetime.datetime(2026, 3, 29, 12, 0)})
    week = {"$dateTrunc": {"date": "$at", "unit": "week", "startOfWeek": "mon"}}
    with pytest.raises(OperationFailure, match="startOfWeek is invalid"):
        list(upstream.dates.aggregate([{"$project": {"week": week}}]))

    weeks = {
        datetime.datetime(2026, 3, 29, 12, 0, tzinfo=UTC): datetime.datetime(
            2026, 3, 23, tzinfo=UTC
        ),  # Sunday
        datetime.datetime(2026, 3, 30, 0, 0, tzinfo=UTC): datetime.datetime(
            2026, 3, 30, tzinfo=UTC
        ),  # Monday
        datetime.datetime(2027, 1, 1, 9, 0, tzinfo=UTC): datetime.datetime(
            2026, 12, 28, tzinfo=UTC
        ),  # year end
    }
    for created_at in weeks:
        factories.OrderFactory(user=None, created_at=created_at)

    rows = dict(Order.objects.annotate(week=TruncWeek("created_at")).values_list("created_at", "week"))

    assert rows == weeks


def test_gap_5_trunc_week_in_a_time_zone(db):
    # 22:30 UTC on Sunday 29 March 2026 is already 00:30 on Monday 30 March in Paris.
    order = factories.OrderFactory(user=None, created_at=datetime.datetime(2026, 3, 29, 22, 30, tzinfo=UTC))

    week = Order.objects.annotate(week=TruncWeek("created_at", tzinfo=PARIS)).get(pk=order.pk).week

    assert week == datetime.datetime(2026, 3, 30, tzinfo=PARIS)
    assert week.utcoffset() == datetime.timedelta(hours=2)


# --- Gap 6: the empty $lookup pipeline ----------------------------------------------------------


def _lookup(**extra):
    return {
        "$lookup": {
            "from": "catalog_product",
            "localField": "product_id",
            "foreignField": "_id",
            "as": "p",
            **extra,
        }
    }


def test_gap_6_drop_empty_lookup_pipelines_rewrites_only_empty_equality_pipelines():
    correlated = {"$lookup": {"from": "b", "let": {"x": "$x"}, "pipeline": [], "as": "b"}}
    filtered = _lookup(pipeline=[{"$match": {"active": True}}])
    pipeline = [
        {"$match": {"active": True}},
        _lookup(pipeline=[]),
        correlated,
        filtered,
        {"$lookup": {"from": "c", "let": {}, "pipeline": [_lookup(pipeline=[])], "as": "c"}},
        {"$facet": {"page": [_lookup(pipeline=[])], "count": [{"$count": "n"}]}},
        {"$unionWith": {"coll": "d", "pipeline": [_lookup(pipeline=[])]}},
    ]
    original = repr(pipeline)

    rewritten = mongoeco_compat.drop_empty_lookup_pipelines(pipeline)

    assert rewritten == [
        {"$match": {"active": True}},
        _lookup(),
        correlated,  # without localField/foreignField the pipeline is the join itself
        filtered,
        {"$lookup": {"from": "c", "let": {}, "pipeline": [_lookup()], "as": "c"}},
        {"$facet": {"page": [_lookup()], "count": [{"$count": "n"}]}},
        {"$unionWith": {"coll": "d", "pipeline": [_lookup()]}},
    ]
    assert repr(pipeline) == original  # the command document is not mutated


def _lookup_strategy(database, stage):
    plan = database.command("explain", {"aggregate": "catalog_price", "pipeline": [stage], "cursor": {}})
    return plan["pushdown"]["lookupPlans"][0]["strategy"]


def test_gap_6_joins_take_the_hash_path(upstream, ours):
    assert _lookup_strategy(upstream, _lookup(pipeline=[])) == "nested-loop"
    assert _lookup_strategy(upstream, _lookup()) == "bounded-hash-candidate"

    assert _lookup_strategy(ours, _lookup(pipeline=[])) == "bounded-hash-candidate"


def test_gap_6_select_related_over_hundreds_of_rows(db):
    products = Product.objects.bulk_create(
        Product(name=f"Product {number:03d}", slug=f"product-{number:03d}") for number in range(300)
    )
    Price.objects.bulk_create(
        Price(product=product, unit_amount=100 + index) for index, product in enumerate(products)
    )

    with CaptureQueriesContext(connection) as captured:
        prices = list(Price.objects.select_related("product"))

    assert "'pipeline': []" in _pipeline_of(captured)  # what the backend sends for every join
    assert len(prices) == 300
    assert all(price.product.name == f"Product {price.unit_amount - 100:03d}" for price in prices)


# --- Gap 8: a sub-document in $project --------------------------------------------------------


def test_gap_8_nested_projection(upstream, ours):
    document = {"user": {"email": "ada@example.com", "name": "Ada"}, "total": 5}
    projection = {"$project": {"_id": 0, "user": {"email": 1}, "total": 1}}
    upstream.nested.insert_one(dict(document))
    assert list(upstream.nested.aggregate([projection])) == [{"total": 5, "user": {"email": 1}}]

    ours.nested.insert_one(dict(document))
    assert list(ours.nested.aggregate([projection])) == [{"user": {"email": "ada@example.com"}, "total": 5}]


def test_gap_8_flatten_nested_projections():
    pipeline = [
        {"$project": {"a": {"b": 1, "c": {"d": True}}, "n": {"$ifNull": ["$n", 0]}, "e": {}, "f": 1}},
        {"$lookup": {"from": "x", "let": {}, "pipeline": [{"$project": {"u": {"v": 1}}}], "as": "x"}},
        {"$addFields": {"a": {"b": 1}}},
    ]

    assert mongoeco_compat.flatten_nested_projections(pipeline) == [
        {"$project": {"a.b": 1, "a.c.d": True, "n": {"$ifNull": ["$n", 0]}, "e": {}, "f": 1}},
        {"$lookup": {"from": "x", "let": {}, "pipeline": [{"$project": {"u.v": 1}}], "as": "x"}},
        {"$addFields": {"a": {"b": 1}}},  # only $project reads sub-documents as projections
    ]


def test_gap_8_select_related_with_an_aggregate_annotation(db):
    cart = factories.CartFactory(for_user=True, user__email="ada@example.com")
    factories.CartItemFactory.create_batch(2, cart=cart)
    guest_cart = factories.CartFactory()

    with CaptureQueriesContext(connection) as captured:
        carts = {c.pk: c for c in Cart.objects.select_related("user").annotate(item_count=Count("items"))}

    assert "'accounts_user': {" in _pipeline_of(captured).split("'$project'")[-1]
    assert carts[cart.pk].user.email == "ada@example.com"
    assert carts[cart.pk].item_count == 2
    assert carts[cart.pk].created_at == Cart.objects.get(pk=cart.pk).created_at
    assert carts[guest_cart.pk].user is None
    assert carts[guest_cart.pk].item_count == 0


# --- The version pin --------------------------------------------------------------------------


# --- Gap 10: `_id: {"$in": [...]}` scans the collection ----------------------------------------


def test_gap_10_a_list_of_ids_reads_only_their_documents():
    engine = MemoryEngine()
    stored = MemoryCollection((engine._storage_key(f"key-{number}"), {"n": number}) for number in range(500))
    plan = compile_filter({"_id": {"$in": ["key-7", "key-3", "missing"]}, "n": {"$gt": 0}})
    options = {"dialect": MONGODB_DIALECT_70, "indexes": [], "index_data": {}, "collation": None}
    as_shipped = inspect.unwrap(MemoryEngine._candidate_items_for_plan_locked)

    assert len(as_shipped(engine, stored, plan, **options)) == 500
    narrowed = mongoeco_compat.narrow_id_in_scans(as_shipped)(engine, stored, plan, **options)
    assert [document for _key, document in narrowed] == [{"n": 3}, {"n": 7}]  # in natural order


def test_gap_10_a_list_of_ids_finds_what_mongodb_finds(upstream, ours):
    ids = [ObjectId()]
    documents = [
        {"_id": ids[0], "n": 0},
        *({"_id": f"key-{n}", "n": n} for n in range(1, 6)),
        {"_id": 7, "n": 7},
    ]
    for database in (upstream, ours):
        database.ids.drop()
        database.ids.insert_many(documents)
    filters = [
        {"_id": {"$in": ["key-4", "key-2", "nowhere"]}},
        {"_id": {"$in": [ids[0], "key-1"]}},
        {"_id": {"$in": ["key-1", "key-2", "key-3"]}, "n": {"$gte": 2}},
        {"_id": {"$in": [7, 7.0, "key-5"]}},  # numbers: left to the engine's own scan
        {"_id": {"$in": []}},
    ]

    for query in filters:
        assert list(ours.ids.find(query)) == list(upstream.ids.find(query)), query
    assert [document["n"] for document in ours.ids.find(filters[2])] == [2, 3]


def test_install_refuses_another_mongoeco_version(monkeypatch):
    monkeypatch.setattr(mongoeco, "__version__", "4.12.0")
    build_request_context = wire_executor.build_request_context

    with pytest.raises(
        mongoeco_compat.UnsupportedMongoecoVersion, match=r"supports mongoeco 4\.11\.0 only, found 4\.12\.0"
    ):
        mongoeco_compat.install()

    assert wire_executor.build_request_context is build_request_context


# --- Gap 9: the SQLite engine refuses other sessions during a transaction ---------------------

UPSTREAM_SQLITE_SERVER = (
    UPSTREAM_SERVER.replace("import asyncio,", "import sys, asyncio,")
    .replace("engines.memory import MemoryEngine", "engines.sqlite import SQLiteEngine")
    .replace("engine=MemoryEngine()", "engine=SQLiteEngine(sys.argv[1])")
)


def _read_during_a_transaction(port):
    """Read from a second client while a first one holds a transaction; commit after 0.2 s."""
    url = f"mongodb://127.0.0.1:{port}/"
    owner, other = MongoClient(url, directConnection=True), MongoClient(url, directConnection=True)
    owner.shop.carts.insert_one({"_id": 1, "items": 0})
    outcome = []
    with owner.start_session() as session:
        session.start_transaction()
        owner.shop.carts.update_one({"_id": 1}, {"$inc": {"items": 1}}, session=session)

        def read():
            try:
                outcome.append(other.shop.carts.find_one({"_id": 1}))
            except OperationFailure as error:
                outcome.append(error)

        reader = threading.Thread(target=read)
        reader.start()
        time.sleep(0.2)
        session.commit_transaction()
        reader.join(15)
    owner.close()
    other.close()
    return outcome[0]


def test_gap_9_other_sessions_wait_for_a_transaction_on_sqlite_storage(tmp_path):
    upstream_process = subprocess.Popen(  # noqa: S603 -- a fixed command
        [sys.executable, "-c", UPSTREAM_SQLITE_SERVER, str(tmp_path / "upstream.sqlite3")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        upstream_outcome = _read_during_a_transaction(int(upstream_process.stdout.readline()))
    finally:
        upstream_process.terminate()
        upstream_process.wait(10)
    assert isinstance(upstream_outcome, OperationFailure)
    assert "active transaction bound to another session" in str(upstream_outcome)

    process, port = start_server_process(path=tmp_path / "ours.sqlite3")
    try:
        # The reader waited for the commit and saw the committed document, as on MongoDB.
        assert _read_during_a_transaction(port) == {"_id": 1, "items": 1}
    finally:
        stop_server_process(process)


# --- Gap 11: a long plus an int gives an int, which SQLite storage never matches to a long -----


def _count_after_an_add(port):
    """Add to and subtract from longs as django-mongodb-backend's F() updates do, then filter on the
    result as a long."""
    client = MongoClient(f"mongodb://127.0.0.1:{port}/", directConnection=True)
    counters = client.shop.counters
    counters.insert_many(
        [{"_id": 1, "sold": Int64(4)}, {"_id": 2, "sold": Int64(6)}, {"_id": 3, "sold": Int64(8)}]
    )
    counters.update_one({"_id": 1}, [{"$set": {"sold": {"$add": ["$sold", Int64(2)]}}}])
    counters.update_one({"_id": 3}, [{"$set": {"sold": {"$subtract": ["$sold", Int64(2)]}}}])
    found = sorted(document["_id"] for document in counters.find({"sold": Int64(6)}))
    client.close()
    return found


def test_gap_11_a_counter_added_to_is_found_by_its_value_on_sqlite_storage(tmp_path):
    upstream_process = subprocess.Popen(  # noqa: S603 -- a fixed command
        [sys.executable, "-c", UPSTREAM_SQLITE_SERVER, str(tmp_path / "upstream.sqlite3")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert _count_after_an_add(int(upstream_process.stdout.readline())) == [2]
    finally:
        upstream_process.terminate()
        upstream_process.wait(10)

    process, port = start_server_process(path=tmp_path / "ours.sqlite3")
    try:
        # As on MongoDB: the three counters hold 6, and all three are found.
        assert _count_after_an_add(port) == [1, 2, 3]
    finally:
        stop_server_process(process)


# --- Gap 12: SQLite's "database is locked" inside a transaction --------------------------------


def _write_after_another_connection_committed(port, path):
    """In a transaction, read, let another connection of the file commit, then write; return the
    error, and whether running the whole transaction again then succeeds."""
    client = MongoClient(f"mongodb://127.0.0.1:{port}/", directConnection=True)
    carts = client.shop.carts
    carts.insert_many([{"_id": 1, "items": 0}, {"_id": 2, "items": 0}])

    def transaction(*, meanwhile=None):
        with client.start_session() as session, session.start_transaction():
            carts.find_one({"_id": 1}, session=session)
            if meanwhile:
                meanwhile()
            carts.update_one({"_id": 1}, {"$inc": {"items": 1}}, session=session)

    def another_connection_commits():
        # As the engine's own other connections may (its change-stream outbox, say).
        outside = sqlite3.connect(path)
        outside.execute("CREATE TABLE IF NOT EXISTS outside (a)")
        outside.execute("INSERT INTO outside VALUES (1)")
        outside.commit()
        outside.close()

    try:
        transaction(meanwhile=another_connection_commits)
    except OperationFailure as error:
        failure = error
    transaction()
    result = (failure, carts.find_one({"_id": 1})["items"], carts.find_one({"_id": 2})["items"])
    client.close()
    return result


def test_gap_12_a_locked_sqlite_write_in_a_transaction_is_a_write_conflict_to_retry(tmp_path):
    upstream_path = tmp_path / "upstream.sqlite3"
    upstream_process = subprocess.Popen(  # noqa: S603 -- a fixed command
        [sys.executable, "-c", UPSTREAM_SQLITE_SERVER, str(upstream_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        upstream_failure, *_ = _write_after_another_connection_committed(
            int(upstream_process.stdout.readline()), upstream_path
        )
    finally:
        upstream_process.terminate()
        upstream_process.wait(10)
    assert (upstream_failure.code, upstream_failure.details["errmsg"]) == (None, "database is locked")
    assert not upstream_failure.has_error_label("TransientTransactionError")

    path = tmp_path / "ours.sqlite3"
    process, port = start_server_process(path=path)
    try:
        failure, items, neighbour_items = _write_after_another_connection_committed(port, path)
    finally:
        stop_server_process(process)
    # As MongoDB answers a write conflict: the client runs the transaction again, which succeeds.
    assert (failure.code, failure.has_error_label("TransientTransactionError")) == (112, True)
    assert (items, neighbour_items) == (1, 0)

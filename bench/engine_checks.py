"""Two measurements of the embedded engine itself, over the wire, that explain the page numbers.

- `$in` on _id: match M documents against a list of their M ids (what the catalog page sends).
- insert_one into a collection that already holds N documents (what every new session, cart,
  order and webhook event does).
"""

import time

import bson
from pymongo import MongoClient

IN_SIZES = (250, 500, 1000)
INSERT_SIZES = (0, 1000, 5000)
INSERTS_TIMED = 20


def run_engine_checks(database, work_dir):
    """Return {"in_seconds": {M: s}, "insert_ms": {N: ms}} measured on `database` (a DatabaseServer)."""
    # The server answers nothing else while it computes: a long heartbeat timeout keeps the
    # driver from cancelling a slow command.
    client = MongoClient(database.uri, connectTimeoutMS=120_000, socketTimeoutMS=120_000)
    try:
        db = client["engine_checks"]
        in_seconds = {}
        for size in IN_SIZES:
            ids = [bson.ObjectId() for _ in range(size)]
            _seed(database, work_dir, f"in_{size}", [{"_id": oid, "active": True} for oid in ids])
            began = time.perf_counter()
            list(db[f"in_{size}"].aggregate([{"$match": {"_id": {"$in": ids}}}, {"$count": "n"}]))
            in_seconds[size] = time.perf_counter() - began
        insert_ms = {}
        for size in INSERT_SIZES:
            collection = db[f"insert_{size}"]
            if size:
                _seed(database, work_dir, f"insert_{size}", [{"n": n} for n in range(size)])
            began = time.perf_counter()
            for n in range(INSERTS_TIMED):
                collection.insert_one({"n": -n})
            insert_ms[size] = (time.perf_counter() - began) * 1000 / INSERTS_TIMED
        return {"in_seconds": in_seconds, "insert_ms": insert_ms}
    finally:
        client.close()


def _seed(database, work_dir, collection, documents):
    path = work_dir / f"{collection}.bson"
    path.write_bytes(b"".join(bson.encode(document) for document in documents))
    database.seed(collection, path, database_name="engine_checks")

"""Close the gaps between mongoeco 4.11.0 and what django-mongodb-backend sends to MongoDB.

The embedded server (devtools/embedded_mongodb.py) calls install() before it starts serving. Each
gap is numbered as in docs/embedded-mongodb.md and has a test in tests/devtools/test_mongoeco_compat.py.
Gaps 1, 6, 8, 9, 10 and 11 wrap private mongoeco internals, so any other mongoeco version is refused.
Gap 3 (a second index on one key pattern) is closed in the regenerated allauth migration
shop/mongo_migrations/account/0001_initial.py, not here.
"""

import asyncio
import copy
import datetime
import functools
import re
import zoneinfo

import mongoeco
from bson import ObjectId
from mongoeco.core import bson_scalars, update_scalar_operators
from mongoeco.core.aggregation import (
    accumulators,
    compiled_aggregation,
    numeric_expressions,
    register_aggregation_expression_operator,
)
from mongoeco.core.query_plan import AndCondition, InCondition
from mongoeco.engines._memory_collection import MemoryCollection
from mongoeco.engines.memory import MemoryEngine
from mongoeco.errors import OperationFailure
from mongoeco.wire import executor as wire_executor

SUPPORTED_MONGOECO_VERSION = "4.11.0"
# Gap 9: how long a command waits for another session's transaction before giving up.
TRANSACTION_WAIT_SECONDS = 10.0

_installed = False


class UnsupportedMongoecoVersion(RuntimeError):
    pass


def install():
    """Apply every fix once; refuse to run on a mongoeco version they were not made for."""
    global _installed
    if mongoeco.__version__ != SUPPORTED_MONGOECO_VERSION:
        raise UnsupportedMongoecoVersion(
            f"devtools.mongoeco_compat supports mongoeco {SUPPORTED_MONGOECO_VERSION} only, "
            f"found {mongoeco.__version__}; re-check every gap before changing the pin."
        )
    if _installed:
        return
    wire_executor.build_request_context = _normalize_request(wire_executor.build_request_context)
    executor_class = wire_executor.WireCommandExecutor
    executor_class.execute_prepared = _wait_for_other_transactions(executor_class.execute_prepared)
    executor_class.error_document = staticmethod(_locked_is_a_write_conflict(executor_class.error_document))
    register_aggregation_expression_operator("$not", _not_expression)
    register_aggregation_expression_operator("$dateTrunc", _date_trunc_expression)
    MemoryEngine._candidate_items_for_plan_locked = narrow_id_in_scans(
        MemoryEngine._candidate_items_for_plan_locked
    )
    # Gap 11, in every module that computes with them.
    for name, modules in {
        "bson_add": (numeric_expressions, accumulators, compiled_aggregation),
        "bson_subtract": (numeric_expressions,),
        "bson_multiply": (numeric_expressions, compiled_aggregation, update_scalar_operators),
    }.items():
        arithmetic = longs_stay_long(getattr(bson_scalars, name))
        for module in modules:
            setattr(module, name, arithmetic)
    _installed = True


# --- Gap 11: a long and an int add, subtract or multiply to an int -----------------------


def longs_stay_long(arithmetic):
    """MongoDB's sum, difference or product of a long and an int is a long; mongoeco's is an int
    when it fits. On SQLite storage an int never equals a long, and django-mongodb-backend stores
    and queries every IntegerField as a long, so a counter written by an F() update (`$add`,
    `$subtract`) was found by no filter afterwards."""

    @functools.wraps(arithmetic)
    def wrapper(left, right):
        result = arithmetic(left, right)
        if isinstance(result, bson_scalars.BsonInt32) and (
            isinstance(left, bson_scalars.BsonInt64) or isinstance(right, bson_scalars.BsonInt64)
        ):
            return bson_scalars.BsonInt64(result.value)
        return result

    return wrapper


# --- Gap 10: `_id: {"$in": [...]}` scans every document of the collection --------------------


def narrow_id_in_scans(candidate_items):
    """Serve `_id: {"$in": ids}` from the collection's keys, as the engine serves `_id: id`.

    The memory engine finds a document by `_id` directly only for an equality; a list of ids
    (Django's in_bulk() and the ORM's `pk__in`, the cache's get_many()) reads every document of the
    collection. The candidates are then filtered by the whole query, as after an equality. Only ids
    of one BSON type per value (strings, ObjectIds) are narrowed, where the stored key is the value.
    """

    @functools.wraps(candidate_items)
    def wrapper(self, coll, query_plan, **kwargs):
        ids = id_in_values(query_plan)
        if ids is None:
            return candidate_items(self, coll, query_plan, **kwargs)
        keys = {self._storage_key(value) for value in ids}
        if isinstance(coll, MemoryCollection):
            ordered = coll.ordered_keys(keys)
        else:
            ordered = [key for key in coll if key in keys]
        return [(key, coll[key]) for key in ordered]

    return wrapper


def id_in_values(query_plan):
    """Return the ids of the query's `_id: {"$in": ids}` (alone or in an `$and`), or None."""
    clauses = query_plan.clauses if isinstance(query_plan, AndCondition) else (query_plan,)
    for clause in clauses:
        if (
            isinstance(clause, InCondition)
            and clause.field == "_id"
            and all(isinstance(value, str | ObjectId) for value in clause.values)
        ):
            return clause.values
    return None


# --- Gap 9: the SQLite engine refuses every other session while a transaction is open -------

_TRANSACTION_BUSY = "active transaction bound to another session"


def _wait_for_other_transactions(execute_prepared):
    """Make a command wait for another session's transaction instead of failing at once.

    MongoDB lets other sessions read and write (snapshot isolation) while a transaction is
    open; mongoeco's SQLite engine answers them "has an active transaction bound to another
    session" before doing any work, so running the command again once the transaction has
    ended is safe. Waiting serialises them, which is the closest this engine can come.
    """

    @functools.wraps(execute_prepared)
    async def wrapper(self, context):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TRANSACTION_WAIT_SECONDS
        delay = 0.001
        while True:
            try:
                return await execute_prepared(self, context)
            except Exception as error:
                if _TRANSACTION_BUSY not in str(error) or loop.time() > deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.02)

    return wrapper


# --- Gap 12: SQLite's "database is locked" inside a transaction --------------------------------

_SQLITE_LOCKED = "database is locked"
# MongoDB's answer when a transaction's write meets another's: the client runs the whole
# transaction again (pymongo's with_transaction, shop.transactions.run_atomically).
_WRITE_CONFLICT = {"code": 112, "codeName": "WriteConflict", "errorLabels": ["TransientTransactionError"]}


def _locked_is_a_write_conflict(error_document):
    """Answer SQLite's "database is locked" as MongoDB answers a write conflict.

    On SQLite storage a transaction's first write after another connection of the engine has
    committed fails at once with "database is locked" (its read snapshot is stale), with no code
    or label, so no client retries it. Only a new transaction can succeed, which is what the
    write conflict's TransientTransactionError label asks of the client.
    """

    @functools.wraps(error_document)
    def wrapper(exc):
        document = error_document(exc)
        if document.get("errmsg") == _SQLITE_LOCKED and "code" not in document:
            document.update(copy.deepcopy(_WRITE_CONFLICT))
        return document

    return wrapper


# --- Gaps 1, 6 and 8: rewrite the wire request before mongoeco validates it -----------------


def _normalize_request(build_request_context):
    @functools.wraps(build_request_context)
    def wrapper(body, **kwargs):
        return build_request_context(normalize_command(body), **kwargs)

    return wrapper


def normalize_command(body):
    """Return the command document as real MongoDB would understand it."""
    first_key = next(iter(body), None)
    if first_key == "buildinfo":
        # Gap 1: MongoDB matches command names case-insensitively for buildInfo; pymongo's
        # server_info() sends the lowercase spelling.
        body = {("buildInfo" if key == "buildinfo" else key): value for key, value in body.items()}
    if first_key == "aggregate" and isinstance(body.get("pipeline"), list):
        pipeline = flatten_nested_projections(drop_empty_lookup_pipelines(body["pipeline"]))
        body = {**body, "pipeline": pipeline}
    if first_key == "explain" and isinstance(body.get("explain"), dict):
        # So that explain describes the pipeline that really runs.
        body = {**body, "explain": normalize_command(body["explain"])}
    return body


def drop_empty_lookup_pipelines(pipeline):
    """Gap 6: an equality $lookup with an empty `pipeline` takes mongoeco's nested-loop path.

    django-mongodb-backend adds `pipeline: []` to every join; without it mongoeco hashes the
    foreign side (2,000 x 2,000 rows: 28.6 s -> 0.16 s) and the results are identical.
    """
    return _rewrite_stages(pipeline, _drop_empty_lookup_pipeline)


def _drop_empty_lookup_pipeline(stage):
    lookup = stage.get("$lookup")
    if (
        isinstance(lookup, dict)
        and lookup.get("pipeline") == []
        and "localField" in lookup
        and "foreignField" in lookup
    ):
        return {"$lookup": {key: value for key, value in lookup.items() if key != "pipeline"}}
    return stage


def flatten_nested_projections(pipeline):
    """Gap 8: mongoeco reads a sub-document in $project ({"user": {"email": 1}}) as a literal.

    MongoDB reads it as a nested projection, the same as {"user.email": 1}; the backend sends
    that form after a $group (select_related together with an aggregate annotation), and
    mongoeco returned {"email": 1} as the user's data. Dotted paths mean the same to both.
    """
    return _rewrite_stages(pipeline, _flatten_projection_stage)


def _flatten_projection_stage(stage):
    projection = stage.get("$project")
    if isinstance(projection, dict):
        return {"$project": dict(_flatten_projection(projection, prefix=""))}
    return stage


def _flatten_projection(projection, *, prefix):
    for key, value in projection.items():
        path = f"{prefix}{key}"
        # An object with no operator key is a sub-projection in $project, never a literal.
        if isinstance(value, dict) and value and not any(str(name).startswith("$") for name in value):
            yield from _flatten_projection(value, prefix=f"{path}.")
        else:
            yield path, value


def _rewrite_stages(pipeline, rewrite_stage):
    """Return a copy of `pipeline` with rewrite_stage applied to every stage, nested pipelines included."""
    rewritten = []
    for stage in pipeline:
        if isinstance(stage, dict) and len(stage) == 1:
            ((operator, spec),) = stage.items()
            if operator in ("$lookup", "$unionWith") and isinstance(spec, dict):
                if isinstance(spec.get("pipeline"), list):
                    spec = {**spec, "pipeline": _rewrite_stages(spec["pipeline"], rewrite_stage)}
            elif operator == "$facet" and isinstance(spec, dict):
                spec = {name: _rewrite_stages(branch, rewrite_stage) for name, branch in spec.items()}
            stage = rewrite_stage({operator: spec})
        rewritten.append(stage)
    return rewritten


# --- Gap 2: the $not aggregation expression -------------------------------------------------


def _not_expression(document, spec, variables, dialect, context):
    # Like MongoDB, accept both {$not: [expr]} and {$not: expr}.
    (argument,) = context.require_expression_args("$not", spec, 1, 1) if isinstance(spec, list) else (spec,)
    value = context.evaluate_expression_with_missing(document, argument, variables)
    return not _is_truthy(value, context.missing_sentinel)


def _is_truthy(value, missing):
    """Apply MongoDB's aggregation truthiness: false, null, missing and zero are false."""
    if value is missing or value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    return True


# --- Gaps 4 and 5: $dateTrunc with a timezone and MongoDB's startOfWeek abbreviations --------

_WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_UNITS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond")
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})?$")


def _date_trunc_expression(document, spec, variables, dialect, context):
    if not isinstance(spec, dict) or "date" not in spec or "unit" not in spec:
        raise OperationFailure("$dateTrunc requires date and unit")

    def argument(name, default=None):
        return context.evaluate_expression(document, spec[name], variables) if name in spec else default

    value = argument("date")
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        raise OperationFailure("$dateTrunc requires a datetime value")
    unit = argument("unit")
    if unit not in _UNITS:
        raise OperationFailure(f"$dateTrunc unit is invalid: {unit!r}")
    bin_size = argument("binSize", 1)
    if not isinstance(bin_size, int) or isinstance(bin_size, bool) or bin_size < 1:
        raise OperationFailure("$dateTrunc binSize must be a positive integer")
    zone = parse_timezone(argument("timezone", "UTC"))
    week_start = parse_start_of_week(argument("startOfWeek", "sunday"))
    return truncate_date(value, unit, bin_size=bin_size, zone=zone, week_start=week_start)


def parse_timezone(name):
    """Return a tzinfo for an Olson name, "UTC" or an offset such as "+05:30"."""
    if name in (None, "UTC", "GMT", "Z"):
        return datetime.UTC
    if not isinstance(name, str):
        raise OperationFailure("$dateTrunc timezone must be a string")
    if match := _OFFSET.match(name):
        sign, hours, minutes = match.groups()
        delta = datetime.timedelta(hours=int(hours), minutes=int(minutes or 0))
        return datetime.timezone(-delta if sign == "-" else delta)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise OperationFailure(f"unrecognized time zone identifier: {name!r}") from error


def parse_start_of_week(name):
    """Accept full day names and MongoDB's three-letter abbreviations, any case."""
    if isinstance(name, str):
        lowered = name.lower()
        for day, index in _WEEKDAYS.items():
            if lowered in (day, day[:3]):
                return index
    raise OperationFailure(f"$dateTrunc startOfWeek is invalid: {name!r}")


def truncate_date(value, unit, *, bin_size, zone, week_start):
    """Truncate in the wall-clock time of `zone` and return the UTC instant, as MongoDB does."""
    was_naive = value.tzinfo is None
    instant = value.replace(tzinfo=datetime.UTC) if was_naive else value.astimezone(datetime.UTC)
    local = instant.astimezone(zone).replace(tzinfo=None)
    truncated = _truncate_wall_clock(local, unit, bin_size, week_start)
    if isinstance(zone, zoneinfo.ZoneInfo):
        # A wall-clock time that falls in a DST gap or fold: MongoDB takes the earlier offset.
        result = truncated.replace(tzinfo=zone, fold=0).astimezone(datetime.UTC)
    else:
        result = truncated.replace(tzinfo=zone).astimezone(datetime.UTC)
    return result.replace(tzinfo=None) if was_naive else result


def _truncate_wall_clock(local, unit, bin_size, week_start):
    epoch = datetime.datetime(2000, 1, 1)  # MongoDB's reference for bins: 2000-01-01
    if unit == "year":
        return local.replace(
            year=local.year - (local.year - 2000) % bin_size,
            month=1,
            day=1,
            hour=0,
            minute=0,
            second=0,
            microsecond=0,
        )
    if unit in ("quarter", "month"):
        months_per_unit = 3 if unit == "quarter" else 1
        months = (local.year - 2000) * 12 + local.month - 1
        months -= months % (months_per_unit * bin_size)
        return datetime.datetime(2000 + months // 12, months % 12 + 1, 1)
    if unit == "week":
        # The reference week starts on the first `week_start` day on or after 2000-01-01.
        anchor = epoch + datetime.timedelta(days=(week_start - epoch.weekday()) % 7)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        weeks = (day - anchor).days // 7
        return anchor + datetime.timedelta(weeks=weeks - weeks % bin_size)
    step = {
        "day": datetime.timedelta(days=1),
        "hour": datetime.timedelta(hours=1),
        "minute": datetime.timedelta(minutes=1),
        "second": datetime.timedelta(seconds=1),
        "millisecond": datetime.timedelta(milliseconds=1),
    }[unit] * bin_size
    return epoch + ((local - epoch) // step) * step

"""Which index of a collection serves a read command's filter and sort (MongoDB's ESR rule).

The embedded engine cannot answer this: its `explain` reports a Python scan for every query,
because mongoeco's memory engine only ever narrows a scan with a single-field equality index.
So the benchmark derives the answer from the query's shape and the collection's index list, the
way MongoDB's planner would pick an index: equality fields first, then the sort, in key order.
"""

RANGE_OPERATORS = {"$gt", "$gte", "$lt", "$lte"}
EQUALITY_OPERATORS = {"$eq", "$in"}


def query_shape(command):
    """Return {"equality": {field: value}, "range": [...], "sort": [[field, 1|-1]], "other": [...]}.

    `command` is a find, count or aggregate command document; for an aggregate the leading
    $match stages are its filter and the first $sort its sort.
    """
    name = next(iter(command))
    shape = {"equality": {}, "range": [], "sort": [], "other": []}
    if name == "aggregate":
        for stage in command.get("pipeline", []):
            operator = next(iter(stage))
            if operator == "$match":
                _add_filter(stage["$match"], shape)
            elif operator == "$sort":
                shape["sort"] = [[field, direction] for field, direction in stage["$sort"].items()]
                break
            elif operator not in {"$addFields", "$project"}:
                break
    else:
        _add_filter(command.get("filter") or command.get("query") or {}, shape)
        shape["sort"] = [[field, direction] for field, direction in (command.get("sort") or {}).items()]
    return shape


def _add_filter(condition, shape):
    for key, value in condition.items():
        if key == "$and":
            for clause in value:
                _add_filter(clause, shape)
        elif key == "$or" and _single_field_branches(value):
            # {$or: [{f: {$exists: false}}, {f: null}]}: "f is null or missing", one index range on f.
            shape["equality"].setdefault(next(iter(value[0])), None)
        elif key == "$expr" and isinstance(value, dict) and _is_field_equality(value):
            field, constant = value["$eq"]
            shape["equality"][field.removeprefix("$")] = constant
        elif key.startswith("$"):
            shape["other"].append(key)
        elif isinstance(value, dict) and value and all(operator.startswith("$") for operator in value):
            operators = set(value)
            if operators <= EQUALITY_OPERATORS | {"$exists"}:
                shape["equality"][key] = value.get("$eq", value.get("$in"))
            elif operators <= RANGE_OPERATORS:
                shape["range"].append(key)
            else:
                shape["other"].append(key)
        else:
            shape["equality"][key] = value


def _single_field_branches(branches):
    fields = {field for branch in branches for field in branch}
    return (
        len(fields) == 1
        and all(len(branch) == 1 for branch in branches)
        and not next(iter(fields)).startswith("$")
    )


def _is_field_equality(expression):
    operands = expression.get("$eq")
    return (
        len(expression) == 1
        and isinstance(operands, list)
        and len(operands) == 2
        and isinstance(operands[0], str)
        and operands[0].startswith("$")
        and not (isinstance(operands[1], str) and operands[1].startswith("$"))
    )


def index_for_query(shape, indexes):
    """Return the index that best serves the shape, or None, with what it covers.

    `indexes` is pymongo's index_information(). An index serves the equality fields that form a
    prefix of its key, then the sort if the next key fields are the sort fields in order, all in
    the same or all in the opposite direction. A partial index counts only when the query implies
    its filter. Preferred, in order: one that serves the sort, a unique index whose whole key is
    matched (at most one document per value), the most equality fields served.
    """
    equality = shape["equality"]
    sort = [(field, direction) for field, direction in shape["sort"] if field not in equality]
    best = None
    for name, info in indexes.items():
        keys = [(field, direction) for field, direction in info["key"]]
        partial = info.get("partialFilterExpression")
        if partial and not _implies(equality, partial):
            continue
        prefix = 0
        while prefix < len(keys) and keys[prefix][0] in equality:
            prefix += 1
        following = keys[prefix : prefix + len(sort)]
        reversed_sort = [(field, -direction) for field, direction in sort]
        sort_covered = bool(sort) and following in (sort, reversed_sort)
        covered = [field for field, _ in keys[:prefix]]
        if not covered and not sort_covered:
            continue
        unique_match = (bool(info.get("unique")) or name == "_id_") and prefix == len(keys)
        score = (sort_covered or not sort, unique_match, len(covered), -len(keys))
        if best is None or score > best[0]:
            best = (score, name, keys, covered, sort_covered)
    if best is None:
        return None
    _, name, keys, covered, sort_covered = best
    return {
        "name": name,
        "key": keys,
        "equality_covered": covered,
        "equality_not_covered": [field for field in equality if field not in covered],
        "sort_covered": sort_covered or not sort,
    }


def _implies(equality, partial):
    """Return whether equalities imply a partial index filter such as {field: {"$gte": ""}}."""
    for field, condition in partial.items():
        if field not in equality or equality[field] is None:
            return False
        value = equality[field]
        if isinstance(condition, dict):
            for operator, bound in condition.items():
                if operator == "$exists" and bool(bound):
                    continue
                if operator in RANGE_OPERATORS and type(value) is type(bound):
                    holds = {
                        "$gt": value > bound,
                        "$gte": value >= bound,
                        "$lt": value < bound,
                        "$lte": value <= bound,
                    }[operator]
                    if holds:
                        continue
                return False
        elif condition != value:
            return False
    return True

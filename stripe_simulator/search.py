"""Stripe's search query language (``product:'prod_1' AND metadata['sku']:'M1'``) and its
paginated ``search_result`` answers."""

import re
from collections.abc import Callable

from .errors import StripeError
from .params import Params

_CLAUSE = re.compile(
    r"""^(?P<negated>-)?(?P<field>[a-z_]+)(?:\[(?P<quote>['"])(?P<key>[^'"]+)(?P=quote)\])?"""
    r""":(?P<value_quote>['"])(?P<value>[^'"]*)(?P=value_quote)$"""
)


def search_query(query: str, fields: tuple[str, ...]) -> Callable[[dict], bool]:
    """A predicate for the objects `query` matches; clauses joined by all ``AND`` or all ``OR``
    (Stripe refuses a mix), each ``field:'value'``, ``metadata['key']:'value'`` or negated
    with a leading ``-``."""
    joiners = set(re.findall(r"\s+(AND|OR)\s+", query))
    if len(joiners) > 1:
        raise _invalid(query, "AND and OR cannot be combined")
    clauses = [_clause(text, fields, query) for text in re.split(r"\s+(?:AND|OR)\s+", query.strip())]
    combine = any if joiners == {"OR"} else all
    return lambda obj: combine(clause(obj) for clause in clauses)


def _clause(text: str, fields: tuple[str, ...], query: str) -> Callable[[dict], bool]:
    match = _CLAUSE.match(text)
    if not match or match["field"] not in fields or (match["key"] is None) == (match["field"] == "metadata"):
        raise _invalid(query, f"cannot search by {text!r}")
    field, key, wanted, negated = match["field"], match["key"], match["value"], bool(match["negated"])

    def value(obj: dict) -> str | None:
        found = obj["metadata"].get(key) if key else obj.get(field)
        return str(found).lower() if isinstance(found, bool) else found

    return lambda obj: (value(obj) == wanted) != negated


def _invalid(query: str, reason: str) -> StripeError:
    return StripeError(f"Invalid search query: {query!r} ({reason}).", param="query")


def search_result(items: list[dict], params: Params, url: str) -> dict:
    """One page of `items`; ``page`` is the cursor of the previous answer's ``next_page``."""
    limit = params.integer("limit", minimum=1) or 10
    if limit > 100:
        raise StripeError(
            "This value must be less than or equal to 100.", code="parameter_invalid_integer", param="limit"
        )
    start = 0
    if cursor := params.string("page"):
        ids = [item["id"] for item in items]
        if cursor not in ids:
            raise StripeError(f"Invalid page: {cursor}", param="page")
        start = ids.index(cursor) + 1
    page = items[start : start + limit]
    has_more = start + limit < len(items)
    return {
        "object": "search_result",
        "data": page,
        "has_more": has_more,
        "next_page": page[-1]["id"] if has_more else None,
        "url": url,
    }

"""Stripe's response contract as the pinned stripe-python declares it.

stripe-python is generated from Stripe's OpenAPI spec for the API version it pins: every field of
every object is a class annotation. `violations` compares raw JSON with those annotations:

- a key the SDK does not declare for that object is an error (a field Stripe no longer sends);
- every declared field of a resource must be there, null where unset, as Stripe sends every field
  of an object, except the ones listed as sometimes absent below; in the hashes nested inside a
  resource, every field the SDK declares non-optional;
- an `ExpandableField[...]` is an id unless the request expanded it;
- values have the declared types and, for `Literal[...]` enums, one of the declared values.

The SDK cannot say which fields Stripe leaves out by default, so those are named here: a
resource's `Optional[ListObject[...]]` fields (Stripe's "includable" lists, such as
`charge.refunds` and `checkout.session.line_items`), `SOMETIMES_ABSENT`, and, inside a hash with
a `type`, the sub-hashes named after the other types (`payment_method.card` only when `type` is
`card`).
"""

import ast
import decimal
import importlib
import inspect
import re
import types
import typing
from functools import cache

from stripe._list_object import ListObject
from stripe._object_classes import OBJECT_CLASSES
from stripe._stripe_object import StripeObject, UntypedStripeObject

# (class, field): left out of Stripe's answers unless asked for or relevant.
SOMETIMES_ABSENT = {
    # Includable with `expand[]`, not sent by default.
    ("Customer", "cash_balance"),
    ("Customer", "invoice_credit_balance"),
    ("Customer", "tax"),
    ("Price", "currency_options"),
    ("Price", "tiers"),
    ("LineItem", "discounts"),
    ("LineItem", "taxes"),
    ("Plan", "tiers"),
    # Only on deleted objects.
    ("Coupon", "deleted"),
    ("Customer", "deleted"),
    ("Invoice", "deleted"),
    ("TestClock", "deleted"),
    ("SubscriptionItem", "deleted"),
    ("Plan", "deleted"),
    ("Product", "deleted"),
    ("Price", "deleted"),
    # Only on events of connected accounts.
    ("Event", "account"),
    ("Event", "context"),
    # Only on `*.updated` events.
    ("Data", "previous_attributes"),
}


def resource_class(object_name: str) -> type:
    module, name = OBJECT_CLASSES[object_name]
    return getattr(importlib.import_module(module), name)


def violations(value: object, cls: type, *, expand: tuple[str, ...] = (), path: str = "") -> list[str]:
    """What is wrong with `value`, a JSON object answered as an instance of `cls` to a request
    with these ``expand[]`` paths (``data.refunds`` on a list)."""
    path = path or getattr(cls, "OBJECT_NAME", cls.__name__)
    return _check_object(value, cls, frozenset(f"{_unindexed(path)}.{e}" for e in expand), path)


def _check_object(value: object, cls: type, expanded: frozenset[str], path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: {value!r} is not a {cls.__name__} object"]
    if value.get("deleted") is True:
        expected = {"id", "object", "deleted"}
        return [f"{path}: deleted object has keys {sorted(value)}"] if set(value) != expected else []
    fields = declared_fields(cls)
    is_resource = hasattr(cls, "OBJECT_NAME")
    problems = [
        f"{path}.{key}: not declared by stripe {_qualname(cls)}" for key in value if key not in fields
    ]
    for name, annotation in fields.items():
        field_path = f"{path}.{name}"
        if name not in value:
            if not _may_be_absent(cls, name, annotation, value, is_resource, expanded, field_path):
                problems.append(f"{field_path}: missing (declared by stripe {_qualname(cls)})")
            continue
        if is_resource and _is_includable(annotation) and _unindexed(field_path) not in expanded:
            problems.append(f"{field_path}: included although not expanded")
        problems += _check_value(value[name], annotation, expanded, field_path)
    return problems


def _may_be_absent(cls, name, annotation, value, is_resource, expanded, path) -> bool:
    if (cls.__name__, name) in SOMETIMES_ABSENT:
        return True
    if is_resource and _is_includable(annotation):
        return _unindexed(path) not in expanded
    if _is_type_sub_hash(cls, name, annotation):
        return value.get("type") != name
    # Inside a resource Stripe leaves out optional fields that do not apply.
    return not is_resource and type(None) in _arms(annotation)


def _is_type_sub_hash(cls, name, annotation) -> bool:
    """An optional hash named after one of the values of the object's `type` field
    (`payment_method.card` when `type` is ``card``)."""
    kind = declared_fields(cls).get("type")
    if kind is None or type(None) not in _arms(annotation):
        return False
    types_named = [
        v for arm in _arms(kind) if typing.get_origin(arm) is typing.Literal for v in typing.get_args(arm)
    ]
    return name in types_named and any(_is_stripe_class(arm) for arm in _arms(annotation))


def _is_includable(annotation) -> bool:
    arms = _arms(annotation)
    return type(None) in arms and any(typing.get_origin(arm) is ListObject for arm in arms)


def _check_value(value, annotation, expanded, path) -> list[str]:
    arms = _arms(annotation)
    if value is None:
        return [] if type(None) in arms or annotation is typing.Any else [f"{path}: null but not optional"]
    arms = [arm for arm in arms if arm is not type(None)]
    literals = [v for arm in arms if typing.get_origin(arm) is typing.Literal for v in typing.get_args(arm)]
    objects = [arm for arm in arms if _is_stripe_class(arm)]
    if literals:
        # `Union[Literal[...], str]` leaves room for future values; the simulator sends known ones.
        return [] if value in literals else [f"{path}: {value!r} not one of {literals}"]
    if objects and str in arms:
        if _unindexed(path) in expanded:
            return _check_one_of(value, objects, expanded, path)
        return [] if isinstance(value, str) else [f"{path}: expandable, sent expanded without expand[]"]
    if len(arms) > 1 and not objects:
        return (
            []
            if any(not _check_value(value, arm, expanded, path) for arm in arms)
            else [f"{path}: {value!r} matches none of {arms}"]
        )
    if objects:
        return _check_one_of(value, objects, expanded, path)
    return _check_plain(value, arms[0], expanded, path)


def _check_one_of(value, classes, expanded, path) -> list[str]:
    if len(classes) == 1:
        return _check_object(value, classes[0], expanded, path)
    by_name = {getattr(cls, "OBJECT_NAME", None): cls for cls in classes}
    if not isinstance(value, dict) or value.get("object") not in by_name:
        return [f"{path}: not one of {sorted(n for n in by_name if n)}"]
    return _check_object(value, by_name[value["object"]], expanded, path)


def _check_plain(value, annotation, expanded, path) -> list[str]:
    origin = typing.get_origin(annotation)
    if annotation is typing.Any:
        return []
    if origin in (list, list):
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not a list"]
        (item,) = typing.get_args(annotation)
        return [p for i, v in enumerate(value) for p in _check_value(v, item, expanded, f"{path}[{i}]")]
    if origin is ListObject:
        return _check_list_object(value, typing.get_args(annotation)[0], expanded, path)
    if origin in (dict, dict, UntypedStripeObject):
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not a hash"]
        item = typing.get_args(annotation)[-1]
        return [p for k, v in value.items() for p in _check_value(v, item, expanded, f"{path}.{k}")]
    if annotation is decimal.Decimal:
        try:
            decimal.Decimal(value)
        except (TypeError, decimal.InvalidOperation):
            return [f"{path}: {value!r} is not a decimal string"]
        return [] if isinstance(value, str) else [f"{path}: {value!r} is not a decimal string"]
    if annotation is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not a number"]
    if annotation is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not an integer"]
    if annotation in (str, bool):
        return [] if isinstance(value, annotation) else [f"{path}: {value!r} is not {annotation.__name__}"]
    raise TypeError(f"{path}: the contract does not know the annotation {annotation!r}")


def _check_list_object(value, item, expanded, path) -> list[str]:
    if not isinstance(value, dict) or value.get("object") != "list":
        return [f"{path}: not a list object"]
    problems = [f"{path}.{key}: not declared by stripe ListObject" for key in value if key not in _LIST_KEYS]
    problems += [f"{path}.{key}: missing" for key in _LIST_KEYS if key not in value]
    problems += _check_plain(value.get("has_more"), bool, expanded, f"{path}.has_more")
    problems += _check_plain(value.get("url"), str, expanded, f"{path}.url")
    problems += _check_plain(value.get("data"), list[item], expanded, f"{path}.data")
    return problems


def _unindexed(path: str) -> str:
    """``list.data[3].refunds`` as the ``expand[]`` path that names it, ``list.data.refunds``."""
    return re.sub(r"\[\d+\]", "", path)


_LIST_KEYS = ("object", "data", "has_more", "url")


# Reading the SDK's annotations


@cache
def declared_fields(cls: type) -> dict[str, object]:
    """The fields `cls` declares, forward references resolved, without class-level constants."""
    namespace = _type_checking_names(cls.__module__)
    fields = {}
    for klass in reversed(cls.__mro__):
        if klass in (object, StripeObject) or not issubclass(klass, StripeObject):
            continue
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if name.startswith("_") or typing.get_origin(annotation) is typing.ClassVar:
                continue
            fields[name] = _resolve(annotation, namespace)
    return fields


@cache
def _type_checking_names(module_name: str) -> dict[str, object]:
    """The names a generated module imports under ``if TYPE_CHECKING:`` (its forward references)."""
    module = importlib.import_module(module_name)
    namespace = dict(vars(module))
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            code = compile(ast.Module(body=node.body, type_ignores=[]), module_name, "exec")
            exec(code, namespace)  # noqa: S102 (the SDK's own import lines)
    return namespace


def _resolve(annotation, namespace):
    if isinstance(annotation, typing.ForwardRef):
        return namespace[annotation.__forward_arg__]
    if isinstance(annotation, str):
        return namespace[annotation]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is None or origin is typing.Literal or not args:
        return annotation
    resolved = tuple(_resolve(arg, namespace) for arg in args)
    if origin in (typing.Union, types.UnionType):
        return typing.Union[resolved]  # noqa: UP007 (built from a tuple)
    if origin is list:
        return list[resolved[0]]
    if origin is dict:
        return dict[resolved]
    return origin[resolved if len(resolved) > 1 else resolved[0]]


def _arms(annotation) -> tuple:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _is_stripe_class(annotation) -> bool:
    return (
        isinstance(annotation, type)
        and issubclass(annotation, StripeObject)
        and not issubclass(annotation, ListObject | UntypedStripeObject)
    )


def _qualname(cls: type) -> str:
    return cls.__qualname__

"""Stripe's form encoding: parsing and typed access.

The SDK flattens nested params into keys such as ``line_items[0][price]``,
``metadata[order]`` and ``expand[]`` (or ``expand[0]``). `parse_form` rebuilds
the nesting; arrays sent with explicit indexes stay dicts keyed by the index
and `Params.array` orders them, so a metadata key that happens to be ``"0"``
is never mistaken for an array.
"""

import re
from urllib.parse import parse_qsl

from .errors import StripeError, invalid_integer, parameter_missing, parameter_unknown

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_INTEGER = re.compile(r"^-?\d+$")
_MAX_METADATA_KEYS = 50


def parse_form(encoded: str) -> dict:
    """Decode a form-encoded query string or body into nested dicts and lists."""
    root: dict = {}
    for key, value in parse_qsl(encoded, keep_blank_values=True):
        match = _KEY.match(key)
        if not match:
            raise StripeError(f"Invalid parameter name: {key}", param=key)
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        _assign(root, path, value, key)
    return root


def _assign(container: dict | list, path: list[str], value: str, key: str) -> None:
    head, rest = path[0], path[1:]
    if isinstance(container, list):
        if head != "" or rest:
            # `a[][b]` cannot say which element it belongs to.
            raise StripeError(f"Invalid array parameter: {key}", param=key)
        container.append(value)
        return
    if not rest:
        container[head] = value
        return
    child = container.get(head)
    expected = list if rest[0] == "" else dict
    if child is None:
        child = container[head] = expected()
    elif not isinstance(child, expected):
        raise StripeError(f"Invalid parameter: {key} mixes value types", param=key)
    _assign(child, rest, value, key)


class Params:
    """Read-only view of parsed params that raises Stripe's validation errors.

    `prefix` is the bracketed path of a nested view, so errors name the exact
    param (``line_items[1][quantity]``) like Stripe does.
    """

    def __init__(self, data: dict, prefix: str = ""):
        self._data = data
        self._prefix = prefix

    def path(self, name: str) -> str:
        return f"{self._prefix}[{name}]" if self._prefix else name

    def has(self, name: str) -> bool:
        return name in self._data

    def names(self) -> set[str]:
        """The params given."""
        return set(self._data)

    def one_of(self, first: str, second: str) -> str:
        """Return which of the two params is given; exactly one must be, as Stripe requires."""
        if self.has(first) == self.has(second):
            raise StripeError(
                f"You must specify exactly one of {self.path(first)} or {self.path(second)}.",
                param=self.path(first),
            )
        return first if self.has(first) else second

    def data(self) -> dict:
        """The params as parsed, to pass on to another endpoint's handler."""
        return dict(self._data)

    def without(self, *names: str) -> "Params":
        """The params but `names`, for the part of a request another service answers."""
        return Params({k: v for k, v in self._data.items() if k not in names}, self._prefix)

    def allow(self, *names: str) -> "Params":
        """Reject any param not listed (``expand`` is always accepted)."""
        for name in self._data:
            if name not in names and not (name == "expand" and not self._prefix):
                raise parameter_unknown(self.path(name))
        return self

    def string(self, name: str, *, required: bool = False, choices: tuple = ()) -> str | None:
        value = self._data.get(name)
        if value is None or value == "":
            if required:
                raise parameter_missing(self.path(name))
            return None
        if not isinstance(value, str):
            raise StripeError(f"Invalid string: {self.path(name)}", param=self.path(name))
        if choices and value not in choices:
            raise StripeError(
                f"Invalid {self.path(name)}: must be one of {', '.join(choices)}",
                param=self.path(name),
            )
        return value

    def integer(self, name: str, *, required: bool = False, minimum: int | None = None) -> int | None:
        raw = self.string(name, required=required)
        if raw is None:
            return None
        if not _INTEGER.match(raw):
            raise invalid_integer(self.path(name), raw)
        value = int(raw)
        if minimum is not None and value < minimum:
            raise StripeError(
                f"This value must be greater than or equal to {minimum}.",
                code="parameter_invalid_integer",
                param=self.path(name),
            )
        return value

    def boolean(self, name: str) -> bool | None:
        raw = self.string(name)
        if raw is None:
            return None
        if raw not in ("true", "false"):
            raise StripeError(f"Invalid boolean: {raw}", param=self.path(name))
        return raw == "true"

    def is_hash(self, name: str) -> bool:
        """Whether `name` was sent as a hash (``created[gte]=...``) rather than a value."""
        return isinstance(self._data.get(name), dict)

    def hash(self, name: str) -> "Params | None":
        """A sub-hash such as ``recurring[...]``; None when absent."""
        value = self._data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise StripeError(f"Invalid hash: {self.path(name)}", param=self.path(name))
        return Params(value, self.path(name))

    def array(self, name: str) -> list:
        """An array sent either as ``a[]=...`` or with explicit ``a[0]=...`` indexes."""
        value = self._data.get(name)
        if value is None or value == "":
            return []
        if isinstance(value, list):
            return value
        if isinstance(value, dict) and all(_INTEGER.match(k) for k in value):
            return [value[k] for k in sorted(value, key=int)]
        raise StripeError(f"Invalid array: {self.path(name)}", param=self.path(name))

    def hashes(self, name: str) -> list["Params"]:
        """An array of hashes, each viewed as Params named ``name[i]``."""
        items = []
        for index, item in enumerate(self.array(name)):
            item_path = f"{self.path(name)}[{index}]"
            if not isinstance(item, dict):
                raise StripeError(f"Invalid hash: {item_path}", param=item_path)
            items.append(Params(item, item_path))
        return items

    def strings(self, name: str) -> list[str]:
        values = self.array(name)
        if not all(isinstance(v, str) for v in values):
            raise StripeError(f"Invalid array: {self.path(name)}", param=self.path(name))
        return values

    def expand(self) -> list[str]:
        return self.strings("expand")

    def metadata(self, current: dict | None = None) -> dict:
        """`current` metadata with this request's changes applied, as Stripe merges it:
        keys set to ``""`` are removed and ``metadata=""`` clears everything."""
        merged = dict(current or {})
        value = self._data.get("metadata")
        if value is None:
            return merged
        if value == "":
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise StripeError("Invalid metadata: must be a hash of strings", param=self.path("metadata"))
        for key, item in value.items():
            if item == "":
                merged.pop(key, None)
            else:
                merged[key] = item
        if len(merged) > _MAX_METADATA_KEYS:
            raise StripeError(
                f"Invalid metadata: cannot have more than {_MAX_METADATA_KEYS} keys",
                param=self.path("metadata"),
            )
        return merged

"""Rego values as plain Python values.

Rego's value types map onto Python directly so policies evaluate on the caller's data without
a conversion pass: ``null``→``None``, booleans→``bool``, numbers→``int``/``float``, strings→
``str``, arrays→``list`` or ``tuple``, objects→``dict``, sets→:class:`RegoSet` (a frozenset of
hashable values).  Arrays and objects that must be hashed (set members, object keys) are frozen
into ``tuple`` and :class:`FrozenDict`; both still behave as arrays and objects.

Python conflates ``True`` with ``1`` (and ``False`` with ``0``): they are equal and hash alike,
so a set or dict would merge them.  Rego keeps them apart, so :func:`freeze` turns the numbers
0 and 1 (``0``, ``1``, ``0.0``, ``1.0``) into :class:`NumKey` wherever they become set members or
object keys, and lookups freeze their probe the same way.  :func:`eq` and :func:`compare` keep
booleans and numbers apart everywhere else.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable
from typing import Any


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<undefined>"

    def __bool__(self) -> bool:
        return False


UNDEF: Any = _Undefined()


def _deep_hash(v: Any) -> int:
    """Structural hash for values JSON cannot encode (sets, non-string keys)."""
    if isinstance(v, dict):
        return hash(("o", frozenset((_deep_hash(k), _deep_hash(x)) for k, x in v.items())))
    if isinstance(v, (list, tuple)):
        return hash(("a", tuple(_deep_hash(x) for x in v)))
    if isinstance(v, frozenset):
        return hash(("s", frozenset(_deep_hash(x) for x in v)))
    if type(v) is bool:
        return hash(("b", v))
    return hash(v)


class NumKey(int):
    """The number 0 or 1 as a set member or object key.

    It is an ``int`` everywhere (arithmetic, ordering, JSON), but it hashes apart from the
    booleans and never equals one, so ``{true, 1}`` and ``{0: "a", false: "b"}`` keep both.
    """

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(("rego-number", int(self)))

    def __eq__(self, other: object) -> bool:
        if type(other) is bool:
            return False
        return int(self) == other

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __repr__ = int.__repr__
    __str__ = int.__repr__


_NUM_KEYS: dict[Any, NumKey] = {0: NumKey(0), 1: NumKey(1)}

_SCALAR_TYPES = frozenset({str, int, float, type(None)})


def _shallow(x: Any) -> Any:
    """A hashable stand-in for a member: scalars themselves (booleans tagged apart from 0 and
    1), composites by kind and size."""
    if type(x) in _SCALAR_TYPES:
        return x
    if type(x) is bool:
        return ("b", x)
    if type(x) is NumKey:
        return int(x)
    if isinstance(x, dict):
        return ("o", len(x))
    if isinstance(x, (list, tuple)):
        return ("a", len(x))
    if isinstance(x, frozenset):
        return ("s", len(x))
    return ("?", 0)


def _value_hash(v: Any) -> int:
    """A hash consistent with equality that looks only one level deep (cheap; equality
    settles collisions, and equal values always share keys, scalars and sizes)."""
    if isinstance(v, dict):
        return hash(frozenset([(k, x if type(x) is str else _shallow(x)) for k, x in v.items()]))
    return hash(tuple([x if type(x) is str else _shallow(x) for x in v]))


class FrozenDict(dict[Any, Any]):
    """A hashable object value (set member or object key).

    Freezing is shallow: nested values stay as they are; the hash (cached) looks one level
    deep and equality compares the whole structure.
    """

    __slots__ = ("_h",)
    _h: int

    def __hash__(self) -> int:  # type: ignore[override]
        try:
            return self._h
        except AttributeError:
            h = _value_hash(self)
            self._h = h
            return h

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dict):
            return eq(self, other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        r = self.__eq__(other)
        return r if r is NotImplemented else not r


class FrozenList(tuple[Any, ...]):
    """A hashable array value; compares equal to lists with the same items."""

    __slots__ = ()

    def __hash__(self) -> int:
        return _value_hash(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple)):
            return eq(self, other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        r = self.__eq__(other)
        return r if r is NotImplemented else not r


class RegoSet(frozenset[Any]):
    """A Rego set; members are frozen (hashable) values (frozen on construction)."""

    __slots__ = ()

    def __new__(cls, items: Iterable[Any] = ()) -> RegoSet:
        return frozenset.__new__(cls, map(freeze, items))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (set, frozenset)) and not isinstance(other, RegoSet):
            other = RegoSet(other)
        return frozenset.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = frozenset.__hash__

    def __repr__(self) -> str:
        return "RegoSet(" + repr(sorted_values(self)) + ")"


def freeze(v: Any) -> Any:
    """A hashable form of ``v`` with the same Rego meaning (shallow for arrays/objects)."""
    t = type(v)
    if t is str or t is bool or v is None:
        return v
    if t is int or t is float:
        return _NUM_KEYS[v] if (v == 0 or v == 1) else v
    if t is FrozenDict or t is FrozenList or t is RegoSet or t is NumKey:
        return v
    if t is dict:
        return FrozenDict(v)
    if t is list or t is tuple:
        return FrozenList(v)
    if isinstance(v, frozenset):
        return v if isinstance(v, RegoSet) else RegoSet(freeze(x) for x in v)
    if isinstance(v, set):
        return RegoSet(freeze(x) for x in v)
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, (int, float)):
        return freeze(int(v) if isinstance(v, int) else float(v))
    if isinstance(v, str):
        return str(v)
    if isinstance(v, (list, tuple)):
        return FrozenList(v)
    if isinstance(v, dict):
        return FrozenDict(v)
    raise TypeError(f"not a Rego value: {type(v).__name__}")


EMPTY_SET = RegoSet()


#: A Rego set of members that are frozen already (the engine's fast path; a C-level call).
frozen_set: Callable[[Iterable[Any]], RegoSet] = functools.partial(frozenset.__new__, RegoSet)


def make_set(items: Iterable[Any]) -> RegoSet:
    """A Rego set of ``items`` (frozen as needed)."""
    return RegoSet(items)


# Type ranks for Rego's total order: null < boolean < number < string < array < object < set.
def type_rank(v: Any) -> int:
    """Position of ``v``'s type in Rego's ordering."""
    t = type(v)
    if t is str:
        return 3
    if t is bool:
        return 1
    if t is int or t is float:
        return 2
    if v is None:
        return 0
    if t is list or t is tuple:
        return 4
    if isinstance(v, dict):
        return 5
    if isinstance(v, frozenset):
        return 6
    if isinstance(v, bool):
        return 1
    if isinstance(v, (int, float)):
        return 2
    if isinstance(v, str):
        return 3
    if isinstance(v, (list, tuple)):
        return 4
    return 7


def type_name(v: Any) -> str:
    """Rego's name of the type of ``v`` (as ``type_name`` returns it)."""
    return ("null", "boolean", "number", "string", "array", "object", "set", "unknown")[
        type_rank(v)
    ]


def is_number(v: Any) -> bool:
    """True for Rego numbers (never booleans)."""
    t = type(v)
    return t is int or t is float or (isinstance(v, (int, float)) and not isinstance(v, bool))


def eq(a: Any, b: Any) -> bool:
    """Rego equality: numbers compare by value, booleans never equal numbers."""
    if a is b:
        return True
    ta = type(a)
    tb = type(b)
    if ta is str:
        return tb is str and a == b
    ra = type_rank(a)
    if ra != type_rank(b):
        return False
    if ra <= 3:
        return a == b  # type: ignore[no-any-return]
    if ra == 4:
        if len(a) != len(b):
            return False
        return all(eq(x, y) for x, y in zip(a, b, strict=True))
    if ra == 5:
        if len(a) != len(b):
            return False
        for k, x in a.items():
            if k not in b:
                return False
            if not eq(x, b[k]):
                return False
        return True
    if ra == 6:
        return a == b  # type: ignore[no-any-return]
    return False


def _cmp(a: Any, b: Any) -> int:
    return -1 if a < b else (1 if a > b else 0)


def compare(a: Any, b: Any) -> int:
    """Rego's total order: -1, 0 or 1."""
    ra = type_rank(a)
    rb = type_rank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra == 0:
        return 0
    if ra <= 3:
        return _cmp(a, b)
    if ra == 4:
        for x, y in zip(a, b, strict=False):
            c = compare(x, y)
            if c:
                return c
        return _cmp(len(a), len(b))
    if ra == 5:
        ka = sorted_values(a.keys())
        kb = sorted_values(b.keys())
        for x, y in zip(ka, kb, strict=False):
            c = compare(x, y)
            if c:
                return c
            c = compare(a[x], b[y])
            if c:
                return c
        return _cmp(len(ka), len(kb))
    if ra == 6:
        sa = sorted_values(a)
        sb = sorted_values(b)
        for x, y in zip(sa, sb, strict=False):
            c = compare(x, y)
            if c:
                return c
        return _cmp(len(sa), len(sb))
    return 0


class _Key:
    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Key) -> bool:
        return compare(self.v, other.v) < 0


def sort_key(v: Any) -> Any:
    """A key for ``sorted`` that follows Rego's order."""
    return _Key(v)


def sorted_values(values: Iterable[Any]) -> list[Any]:
    """``values`` sorted in Rego order (fast path for homogeneous strings and numbers)."""
    vals = list(values)
    if not vals:
        return vals
    t = type(vals[0])
    if t is str and all(type(x) is str for x in vals):
        return sorted(vals)
    if (t is int or t is float or t is NumKey) and all(type(x) in _NUMBER_TYPES for x in vals):
        return sorted(vals)
    return sorted(vals, key=_Key)


_NUMBER_TYPES = (int, float, NumKey)


def set_members(s: frozenset[Any]) -> Any:
    """A set's members in iteration order: Rego order for sets of scalars (cheap to sort, and
    what OPA yields); composite members (objects, arrays) keep the set's own order, which
    sorting would make costly on every iteration."""
    if len(s) < 2:
        return s
    first = type(next(iter(s)))
    if first is str and all(type(x) is str for x in s):
        return sorted(s)
    if first in _NUMBER_TYPES and all(type(x) in _NUMBER_TYPES for x in s):
        return sorted(s)
    if first in _SCALAR_KEY_TYPES and all(type(x) in _SCALAR_KEY_TYPES for x in s):
        return sorted_values(s)
    return s


_SCALAR_KEY_TYPES = frozenset({str, int, float, bool, NumKey, type(None)})


def to_json(v: Any) -> Any:
    """A JSON-compatible copy of ``v``: sets become sorted arrays, keys become strings."""
    t = type(v)
    if t is str or t is int or t is bool or v is None:
        return v
    if t is float:
        if v.is_integer() and abs(v) < 1e18:
            return int(v)
        return v
    if t is NumKey:
        return int(v)
    if isinstance(v, frozenset):
        return [to_json(x) for x in sorted_values(v)]
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        out: dict[str, Any] = {}
        for k in sorted_values(v.keys()):
            key = k if type(k) is str else json.dumps(to_json(k), separators=(",", ":"))
            out[key] = to_json(v[k])
        return out
    return v


def from_json(v: Any) -> Any:
    """Accept JSON-ish data (sets given as Python sets) as a Rego value."""
    if isinstance(v, (set, frozenset)) and not isinstance(v, RegoSet):
        return make_set(from_json(x) for x in v)
    return v


def format_number(v: Any) -> str:
    """A number as Rego prints it."""
    if type(v) is float:
        if math.isinf(v) or math.isnan(v):
            return str(v)
        if v.is_integer() and abs(v) < 1e21:
            return str(int(v))
        return repr(v)
    return str(v)


def to_string(v: Any) -> str:
    """A compact Rego/JSON rendering of ``v`` (as ``sprintf("%v")`` and ``print`` produce)."""
    if type(v) is str:
        return json.dumps(v, ensure_ascii=False)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if is_number(v):
        return format_number(v)
    if isinstance(v, frozenset):
        if not v:
            return "set()"
        return "{" + ", ".join(to_string(x) for x in sorted_values(v)) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(to_string(x) for x in v) + "]"
    if isinstance(v, dict):
        return (
            "{"
            + ", ".join(f"{to_string(k)}: {to_string(v[k])}" for k in sorted_values(v.keys()))
            + "}"
        )
    return str(v)

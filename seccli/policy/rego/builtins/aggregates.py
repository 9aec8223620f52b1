"""Aggregates (count, sum, max, sort...) and type predicates."""

from __future__ import annotations

from typing import Any

from seccli.policy.rego.budget import LOOP_MASK, check_deadline, check_int
from seccli.policy.rego.builtins.base import builtin, norm_num, table, type_err
from seccli.policy.rego.values import RegoSet, is_number, sorted_values, type_name


def _count(v: Any) -> int:
    if isinstance(v, (str, list, tuple, dict, frozenset)):
        return len(v)
    raise type_err(1, "one of {array, object, set, string}", v)


def _coll(v: Any) -> list[Any]:
    if isinstance(v, (list, tuple)):
        return list(v)
    if isinstance(v, frozenset):
        return list(v)
    raise type_err(1, "one of {array, set}", v)


def _sum(v: Any) -> Any:
    total: int | float = 0
    for x in _coll(v):
        if not is_number(x):
            raise type_err(1, "one of {array, set} of numbers", v)
        total += x
    return norm_num(total) if isinstance(total, float) else check_int(total)


def _product(v: Any) -> Any:
    total: int | float = 1
    for i, x in enumerate(_coll(v)):
        if not is_number(x):
            raise type_err(1, "one of {array, set} of numbers", v)
        total *= x
        if type(total) is int and not -(2**62) < total < 2**62:
            check_int(total)  # each step stays below the digit limit: no quadratic blow-up
        if not i & LOOP_MASK:
            check_deadline()
    return norm_num(total) if isinstance(total, float) else total


def _max(v: Any) -> Any:
    items = _coll(v)
    if not items:
        from seccli.policy.rego.values import UNDEF

        return UNDEF
    return sorted_values(items)[-1]


def _min(v: Any) -> Any:
    items = _coll(v)
    if not items:
        from seccli.policy.rego.values import UNDEF

        return UNDEF
    return sorted_values(items)[0]


def _sort(v: Any) -> Any:
    return sorted_values(_coll(v))


def _pred(t: str) -> Any:
    return lambda v: type_name(v) == t


def _type_name(v: Any) -> str:
    return type_name(v)


def _is_set(v: Any) -> bool:
    return isinstance(v, (RegoSet, frozenset))


def _any(v: Any) -> bool:
    if isinstance(v, (list, tuple, frozenset)):
        return any(x is True for x in v)
    raise type_err(1, "one of {array, set}", v)


def _all(v: Any) -> bool:
    if isinstance(v, (list, tuple, frozenset)):
        return all(x is True for x in v)
    raise type_err(1, "one of {array, set}", v)


def _cast_array(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return list(v)
    if isinstance(v, frozenset):
        return sorted_values(v)
    raise type_err(1, "one of {array, set}", v)


def _cast_set(v: Any) -> Any:
    from seccli.policy.rego.values import freeze

    if isinstance(v, frozenset):
        return v
    if isinstance(v, (list, tuple)):
        return RegoSet(freeze(x) for x in v)
    raise type_err(1, "one of {array, set}", v)


def _set_diff(a: Any, c: Any) -> Any:
    if not isinstance(a, frozenset):
        raise type_err(1, "set", a)
    if not isinstance(c, frozenset):
        raise type_err(2, "set", c)
    return RegoSet(a - c)


def _cast_of(want: str) -> Any:
    def cast(v: Any) -> Any:
        if type_name(v) != want:
            raise type_err(1, want, v)
        return v

    return cast


TABLE = table(
    # deprecated builtins still found in published Gatekeeper templates
    builtin("any", _any, 1),
    builtin("all", _all, 1),
    builtin("cast_array", _cast_array, 1),
    builtin("cast_set", _cast_set, 1),
    builtin("set_diff", _set_diff, 2),
    builtin("cast_string", _cast_of("string"), 1),
    builtin("cast_boolean", _cast_of("boolean"), 1),
    builtin("cast_null", _cast_of("null"), 1),
    builtin("cast_object", _cast_of("object"), 1),
    builtin("count", _count, 1),
    builtin("sum", _sum, 1),
    builtin("product", _product, 1),
    builtin("max", _max, 1),
    builtin("min", _min, 1),
    builtin("sort", _sort, 1),
    builtin("type_name", _type_name, 1),
    builtin("is_number", _pred("number"), 1),
    builtin("is_string", _pred("string"), 1),
    builtin("is_boolean", _pred("boolean"), 1),
    builtin("is_array", _pred("array"), 1),
    builtin("is_set", _is_set, 1),
    builtin("is_object", _pred("object"), 1),
    builtin("is_null", _pred("null"), 1),
)

"""Comparison, arithmetic, set operators, rounding, bit operations and ranges."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from seccli.policy.rego.budget import MAX_ELEMENTS, check_int, int_of_text, refuse_size
from seccli.policy.rego.builtins.base import (
    builtin,
    fail,
    integer,
    norm_num,
    num,
    rset,
    string,
    table,
    type_err,
)
from seccli.policy.rego.errors import BUILTIN as BUILTIN_ERR
from seccli.policy.rego.errors import BuiltinError
from seccli.policy.rego.values import RegoSet, compare, eq, is_number

MAX_RANGE = MAX_ELEMENTS
_BIG = 2**62  # integer results beyond this are checked against the digit limit


def _equal(a: Any, c: Any) -> bool:
    return eq(a, c)


def _neq(a: Any, c: Any) -> bool:
    return not eq(a, c)


def _lt(a: Any, c: Any) -> bool:
    return compare(a, c) < 0


def _lte(a: Any, c: Any) -> bool:
    return compare(a, c) <= 0


def _gt(a: Any, c: Any) -> bool:
    return compare(a, c) > 0


def _gte(a: Any, c: Any) -> bool:
    return compare(a, c) >= 0


def _plus(a: Any, c: Any) -> Any:
    if isinstance(a, float) or isinstance(c, float):
        return norm_num(num(a, 1) + num(c, 2))
    r = num(a, 1) + num(c, 2)
    return r if -_BIG < r < _BIG else check_int(int(r))


def _minus(a: Any, c: Any) -> Any:
    if isinstance(a, frozenset) and isinstance(c, frozenset):
        return RegoSet(a - c)
    if isinstance(a, frozenset) or isinstance(c, frozenset):
        if not isinstance(a, frozenset):
            raise type_err(1, "set", a)
        raise type_err(2, "set", c)
    r = num(a, 1) - num(c, 2)
    if isinstance(r, float):
        return norm_num(r)
    return r if -_BIG < r < _BIG else check_int(r)


def _mul(a: Any, c: Any) -> Any:
    r = num(a, 1) * num(c, 2)
    if isinstance(r, float):
        return norm_num(r)
    return r if -_BIG < r < _BIG else check_int(r)


def _div(a: Any, c: Any) -> Any:
    x = num(a, 1)
    y = num(c, 2)
    if y == 0:
        raise BuiltinError("divide by zero", BUILTIN_ERR)
    if isinstance(x, int) and isinstance(y, int):
        if x % y == 0:
            return x // y
        return x / y
    return norm_num(x / y)


def _rem(a: Any, c: Any) -> Any:
    x = num(a, 1)
    y = num(c, 2)
    if isinstance(x, float) and not x.is_integer() or isinstance(y, float) and not y.is_integer():
        raise BuiltinError("modulo on floating-point number", BUILTIN_ERR)
    x, y = int(x), int(y)
    if y == 0:
        raise BuiltinError("modulo by zero", BUILTIN_ERR)
    r = abs(x) % abs(y)
    return -r if x < 0 else r


def _and(a: Any, c: Any) -> Any:
    return RegoSet(rset(a, 1) & rset(c, 2))


def _or(a: Any, c: Any) -> Any:
    return RegoSet(rset(a, 1) | rset(c, 2))


def _abs(a: Any) -> Any:
    return abs(num(a, 1))


def _ceil(a: Any) -> Any:
    return math.ceil(num(a, 1))


def _floor(a: Any) -> Any:
    return math.floor(num(a, 1))


def _round(a: Any) -> Any:
    x = num(a, 1)
    if isinstance(x, int):
        return x
    return int(Decimal(repr(x)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _range_size(x: int, y: int, step: int) -> int:
    return abs(y - x) // step + 1


def _range(a: Any, c: Any) -> Any:
    x = integer(a, 1)
    y = integer(c, 2)
    refuse_size(_range_size(x, y, 1), MAX_RANGE, "result elements")
    if x <= y:
        return list(range(x, y + 1))
    return list(range(x, y - 1, -1))


def _range_step(a: Any, c: Any, s: Any) -> Any:
    x = integer(a, 1)
    y = integer(c, 2)
    st = integer(s, 3)
    if st <= 0:
        raise fail("numbers.range_step: step must be a positive number above zero")
    refuse_size(_range_size(x, y, st), MAX_RANGE, "result elements")
    if x <= y:
        return list(range(x, y + 1, st))
    return list(range(x, y - 1, -st))


def _to_number(a: Any) -> Any:
    if a is None:
        return 0
    if a is True:
        return 1
    if a is False:
        return 0
    if is_number(a):
        return a
    s = string(a, 1) if type(a) is str else None
    if s is None:
        raise type_err(1, "one of {boolean, null, number, string}", a)
    t = s.strip()
    if t != s or not t or t.lower() in ("inf", "+inf", "-inf", "infinity", "nan") or "_" in t:
        raise fail(f"invalid syntax: {s!r}")
    try:
        return int_of_text(t)
    except ValueError:
        pass
    try:
        if t.lower().startswith(("0x", "-0x")):
            raise ValueError
        return norm_num(float(t))
    except ValueError:
        raise fail(f'strconv.ParseFloat: parsing "{s}": invalid syntax') from None


def _bits_and(a: Any, c: Any) -> Any:
    return integer(a, 1) & integer(c, 2)


def _bits_or(a: Any, c: Any) -> Any:
    return integer(a, 1) | integer(c, 2)


def _bits_xor(a: Any, c: Any) -> Any:
    return integer(a, 1) ^ integer(c, 2)


def _bits_neg(a: Any) -> Any:
    return ~integer(a, 1)


def _bits_lsh(a: Any, c: Any) -> Any:
    n = integer(c, 2)
    if n < 0:
        raise type_err(2, "unsigned integer", c)
    refuse_size(n, 4096, "shift")
    return check_int(integer(a, 1) << n)


def _bits_rsh(a: Any, c: Any) -> Any:
    n = integer(c, 2)
    if n < 0:
        raise type_err(2, "unsigned integer", c)
    return integer(a, 1) >> n


def _intn(ctx: Any, s: Any, n: Any) -> Any:
    string(s, 1)
    m = integer(n, 2)
    if m == 0:
        return 0
    key = ("rand.intn", s, m)
    cache = ctx.extra.setdefault("rand", {})
    if key not in cache:
        import random

        cache[key] = random.SystemRandom().randrange(abs(m))
    return cache[key]


TABLE = table(
    builtin("equal", _equal, 2),
    builtin("neq", _neq, 2),
    builtin("lt", _lt, 2),
    builtin("lte", _lte, 2),
    builtin("gt", _gt, 2),
    builtin("gte", _gte, 2),
    builtin("plus", _plus, 2),
    builtin("minus", _minus, 2),
    builtin("mul", _mul, 2),
    builtin("div", _div, 2),
    builtin("rem", _rem, 2),
    builtin("and", _and, 2),
    builtin("or", _or, 2),
    builtin("abs", _abs, 1),
    builtin("ceil", _ceil, 1),
    builtin("floor", _floor, 1),
    builtin("round", _round, 1),
    builtin("numbers.range", _range, 2),
    builtin("numbers.range_step", _range_step, 3),
    builtin("to_number", _to_number, 1),
    builtin("bits.and", _bits_and, 2),
    builtin("bits.or", _bits_or, 2),
    builtin("bits.xor", _bits_xor, 2),
    builtin("bits.negate", _bits_neg, 1),
    builtin("bits.lsh", _bits_lsh, 2),
    builtin("bits.rsh", _bits_rsh, 2),
    builtin("rand.intn", _intn, 2, needs_ctx=True, pure=False),
)

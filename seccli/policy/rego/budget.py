"""The budget of the running evaluation as builtins see it: its deadline and output caps.

Builtins are plain functions without the evaluation context, so :meth:`Policy.eval` publishes
its deadline in a thread-local while it runs.  A builtin whose cost grows with its operands
calls :func:`check_deadline` (the compiled call does so before every such builtin, and the
builtin again every few thousand iterations of its loops), and checks the size of what it
would build with :func:`refuse_size` *before* allocating it.  Both raise
:class:`EvaluationAborted`, which non-strict evaluation never turns into undefined.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from seccli.policy.rego.errors import (
    ABORT_LIMIT,
    ABORT_NUMBER,
    ABORT_TIMEOUT,
    EvaluationAborted,
)
from seccli.policy.rego.values import to_string

#: Elements of one array, set or object a builtin call builds.
MAX_ELEMENTS = 1_000_000
#: Characters of one string a builtin call builds (and its serialised output).
MAX_STRING = 16 * 1024 * 1024
#: Digits of an integer (CPython's int/str conversion limit).
MAX_INT_DIGITS = 4300
#: Characters of YAML text ``yaml.unmarshal``/``yaml.is_valid`` parse (a pure-Python parser).
MAX_YAML = 2 * 1024 * 1024
#: A builtin's loop checks the deadline when ``i & LOOP_MASK == 0``.
LOOP_MASK = 0xFFF

_INT_BOUND = 10**MAX_INT_DIGITS


class _Budget(threading.local):
    """Per thread: ``(deadline, timeout)`` of the evaluation running on it (none: infinity)."""

    current: tuple[float, float] = (float("inf"), 0.0)


#: This thread's budget; :meth:`Policy.eval` sets ``state.current`` and restores it after.
state = _Budget()


def timed_out(timeout: float) -> EvaluationAborted:
    """The abort for a passed deadline."""
    return EvaluationAborted(ABORT_TIMEOUT, f"evaluation timed out (deadline {timeout:g} s)")


def check_deadline() -> None:
    """Abort when the running evaluation is past its deadline (no-op outside an evaluation)."""
    deadline, timeout = state.current
    if time.monotonic() > deadline:
        raise timed_out(timeout)


def refuse_size(size: int, limit: int, what: str) -> None:
    """Abort when ``size`` (computed before allocating anything) is over ``limit``; ``what``
    names what was counted (the builtin's name is added where the call is known)."""
    if size > limit:
        raise EvaluationAborted(ABORT_LIMIT, f"{what} ({size}) over the limit of {limit}")


def number_too_large(digits: int | None = None) -> EvaluationAborted:
    """The abort for an integer with more than :data:`MAX_INT_DIGITS` digits."""
    has = f" ({digits} digits)" if digits is not None else ""
    return EvaluationAborted(
        ABORT_NUMBER, f"number too large{has}: at most {MAX_INT_DIGITS} digits are supported"
    )


def check_int(n: int) -> int:
    """``n`` if it has at most :data:`MAX_INT_DIGITS` digits, else abort."""
    if -_INT_BOUND < n < _INT_BOUND:
        return n
    raise number_too_large()


def int_of_text(text: str) -> int:
    """``int(text)`` for decimal digits with an optional sign; abort when too many digits."""
    if len(text) > MAX_INT_DIGITS:
        digits = len(text.lstrip("+-").lstrip("0"))
        if digits > MAX_INT_DIGITS:
            raise number_too_large(digits)
    return int(text)


def json_loads(text: str) -> Any:
    """``json.loads`` whose integers are bounded (a huge one aborts, it is not invalid JSON)."""
    return json.loads(text, parse_int=int_of_text)


class _Over(Exception):
    pass


def logical_size(value: Any, limit: int) -> int:
    """The approximate serialised size of ``value``, counting shared parts every time they
    occur (as JSON output would), computed in time linear in the distinct parts; abort when it
    is over ``limit``."""
    total = _flat_size(value)
    if total is None:
        try:
            total = _deep_size(value, limit)
        except _Over:
            total = limit + 1
    if total > limit:
        raise EvaluationAborted(
            ABORT_LIMIT, f"value too large to serialise: over the limit of {limit} characters"
        )
    return total


def _flat_size(v: Any) -> int | None:
    """The size of a scalar or of a collection of scalars; ``None`` for nested collections
    (the common case, kept cheap: no memo, no recursion)."""
    t = type(v)
    if t is str:
        return len(v) + 2
    if not isinstance(v, (dict, list, tuple, frozenset)):
        return 8
    n = 2
    items: Any = v
    if isinstance(v, dict):
        items = [*v.keys(), *v.values()]
    for x in items:
        tx = type(x)
        if tx is str:
            n += len(x) + 3
        elif tx is int or tx is float or tx is bool or x is None:
            n += 9
        else:
            return None
    return n


def _deep_size(value: Any, limit: int) -> int:
    memo: dict[int, int] = {}

    def size(v: Any) -> int:
        t = type(v)
        if t is str:
            return len(v) + 2
        if v is None or t is bool or t is int or t is float:
            return 8
        key = id(v)
        known = memo.get(key)
        if known is not None:
            return known
        n = 2
        if isinstance(v, dict):
            for k, x in v.items():
                n += size(k) + size(x) + 2
                if n > limit:
                    raise _Over
        elif isinstance(v, (list, tuple, frozenset)):
            for x in v:
                n += size(x) + 1
                if n > limit:
                    raise _Over
        memo[key] = n
        return n

    return size(value)


def nesting_depth(value: Any) -> int:
    """How deeply arrays, objects and sets nest in ``value`` (shared parts counted once)."""
    memo: dict[int, int] = {}

    def depth(v: Any) -> int:
        if not isinstance(v, (dict, list, tuple, frozenset)):
            return 0
        known = memo.get(id(v))
        if known is not None:
            return known
        items = v.values() if isinstance(v, dict) else v
        d = 1 + max((depth(x) for x in items), default=0)
        memo[id(v)] = d
        return d

    return depth(value)


def bounded_to_string(value: Any) -> str:
    """``to_string(value)`` (as ``sprintf("%v")`` renders it), refused when too large."""
    if isinstance(value, (dict, list, tuple, frozenset)):
        logical_size(value, MAX_STRING)
    return to_string(value)

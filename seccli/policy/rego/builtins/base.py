"""Shared pieces of builtin implementations: the ``Builtin`` record and operand checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seccli.policy.rego.errors import BUILTIN, EVAL_TYPE, BuiltinError
from seccli.policy.rego.values import RegoSet, is_number, type_name


@dataclass(frozen=True, slots=True)
class Builtin:
    """One builtin: implementation, arity and calling convention.

    ``cheap`` builtins do constant work whatever their operands; every other builtin call
    checks the evaluation's deadline first.
    """

    name: str
    fn: Callable[..., Any]
    arity: int
    variadic: bool = False
    needs_ctx: bool = False
    pure: bool = True
    relation: bool = False
    cheap: bool = False


def table(*items: Builtin) -> dict[str, Builtin]:
    """A name-indexed table of builtins."""
    return {b.name: b for b in items}


def builtin(name: str, fn: Callable[..., Any], arity: int, **kw: Any) -> Builtin:
    """Shorthand constructor."""
    return Builtin(name, fn, arity, **kw)


_NAMES = {
    "number": "number",
    "string": "string",
    "array": "array",
    "object": "object",
    "set": "set",
    "boolean": "boolean",
}


def type_err(pos: int, want: str, got: Any) -> BuiltinError:
    """OPA's operand type error message."""
    return BuiltinError(f"operand {pos} must be {want} but got {type_name(got)}", EVAL_TYPE)


def fail(msg: str) -> BuiltinError:
    """A value error (undefined unless strict builtin errors are on)."""
    return BuiltinError(msg, BUILTIN)


def num(v: Any, pos: int) -> int | float:
    if not is_number(v):
        raise type_err(pos, "number", v)
    return v  # type: ignore[no-any-return]


def integer(v: Any, pos: int) -> int:
    n = num(v, pos)
    if isinstance(n, float):
        if not n.is_integer():
            raise BuiltinError(
                f"operand {pos} must be integer number but got floating-point number",
                EVAL_TYPE,
                static=False,
            )
        return int(n)
    return n


def string(v: Any, pos: int) -> str:
    if type(v) is not str:
        if isinstance(v, str):
            return str(v)
        raise type_err(pos, "string", v)
    return v


def boolean(v: Any, pos: int) -> bool:
    if type(v) is not bool:
        raise type_err(pos, "boolean", v)
    return v


def array(v: Any, pos: int) -> list[Any] | tuple[Any, ...]:
    if not isinstance(v, (list, tuple)):
        raise type_err(pos, "array", v)
    return v


def obj(v: Any, pos: int) -> dict[Any, Any]:
    if not isinstance(v, dict):
        raise type_err(pos, "object", v)
    return v


def rset(v: Any, pos: int) -> RegoSet:
    if not isinstance(v, frozenset):
        raise type_err(pos, "set", v)
    return v  # type: ignore[return-value]


def norm_num(v: int | float) -> int | float:
    """Integral floats become ints (OPA prints them without a fraction)."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**63:
        return int(v)
    return v

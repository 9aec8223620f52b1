"""Evaluation-time state and the small value helpers the compiled closures call."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from seccli.policy.rego.budget import timed_out
from seccli.policy.rego.errors import ABORT_LIMIT, EvaluationAborted
from seccli.policy.rego.values import (
    UNDEF,
    FrozenDict,
    FrozenList,
    NumKey,
    RegoSet,
    freeze,
    set_members,
    sorted_values,
)

DEFAULT_MAX_STEPS = 5_000_000
DEFAULT_TIMEOUT = 10.0


class Limits:
    """Evaluation budget: iteration steps and wall-clock seconds per evaluation."""

    __slots__ = ("max_steps", "timeout")

    def __init__(
        self, max_steps: int = DEFAULT_MAX_STEPS, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.max_steps = max_steps
        self.timeout = timeout


_DEFAULT_LIMITS = Limits()


class Ctx:
    """Per-evaluation state: input, base data, memo cache, ``with`` overrides and limits."""

    __slots__ = (
        "input",
        "data",
        "cache",
        "overrides",
        "mocks",
        "strict",
        "prints",
        "steps",
        "max_steps",
        "deadline",
        "timeout",
        "now_ns",
        "depth",
        "extra",
    )

    def __init__(
        self,
        input: Any,
        data: Any,
        *,
        strict: bool = False,
        limits: Limits | None = None,
    ) -> None:
        lim = limits or _DEFAULT_LIMITS
        self.input = input
        self.data = data
        self.cache: dict[Any, Any] = {}
        self.overrides: tuple[tuple[tuple[Any, ...], Any], ...] = ()
        self.mocks: dict[str, Any] = {}
        self.strict = strict
        self.prints: list[str] = []
        self.steps = 0
        self.max_steps = lim.max_steps
        self.deadline = time.monotonic() + lim.timeout
        self.timeout = lim.timeout
        self.now_ns: int | None = None
        self.depth = 0
        self.extra: dict[str, Any] = {}

    def derive(self) -> Ctx:
        """A copy for a ``with`` scope: same budget, fresh cache."""
        c = Ctx.__new__(Ctx)
        c.input = self.input
        c.data = self.data
        c.cache = {}
        c.overrides = self.overrides
        c.mocks = self.mocks
        c.strict = self.strict
        c.prints = self.prints
        c.steps = self.steps
        c.max_steps = self.max_steps
        c.deadline = self.deadline
        c.timeout = self.timeout
        c.now_ns = self.now_ns
        c.depth = self.depth
        c.extra = self.extra
        return c

    def tick(self) -> None:
        """Charge one iteration step; abort the evaluation when over its step or time budget
        (the clock is read every 256 steps; builtins that can be slow read it themselves)."""
        self.steps += 1
        if self.steps > self.max_steps:
            raise EvaluationAborted(ABORT_LIMIT, f"evaluation exceeded {self.max_steps} steps")
        if not self.steps & 0xFF and time.monotonic() > self.deadline:
            raise timed_out(self.timeout)


def plain_number_key(coll: dict[Any, Any], key: NumKey) -> Any:
    """``coll[key]`` for a 0 or 1 the caller stored as a plain number (a dict built outside the
    engine, e.g. from YAML or Python), never matching a boolean key; UNDEF when absent."""
    for k in coll:
        t = type(k)
        if (t is int or t is float) and k == key:
            return coll[k]
    return UNDEF


def index(coll: Any, key: Any) -> Any:
    """``coll[key]`` with Rego semantics, UNDEF when absent or not indexable."""
    t = type(coll)
    if t is dict or t is FrozenDict:
        if type(key) is str:
            return coll.get(key, UNDEF)
        fk = freeze(key)
        got = coll.get(fk, UNDEF)
        if got is UNDEF and type(fk) is NumKey:
            return plain_number_key(coll, fk)
        return got
    if t is list or t is tuple or t is FrozenList:
        kt = type(key)
        if kt is int or kt is NumKey:
            if 0 <= key < len(coll):
                return coll[key]
            return UNDEF
        if kt is float and key.is_integer():
            k = int(key)
            if 0 <= k < len(coll):
                return coll[k]
        return UNDEF
    if isinstance(coll, RegoSet):
        fk = key if type(key) is str else freeze(key)
        return fk if fk in coll else UNDEF
    if isinstance(coll, dict):
        fk = key if type(key) is str else freeze(key)
        got = coll.get(fk, UNDEF)
        if got is UNDEF and type(fk) is NumKey:
            return plain_number_key(coll, fk)
        return got
    if isinstance(coll, (list, tuple)) and type(key) is int:
        return coll[key] if 0 <= key < len(coll) else UNDEF
    return UNDEF


def sorted_items(d: dict[Any, Any]) -> list[tuple[Any, Any]]:
    """An object's items in Rego key order (OPA iterates objects sorted by key)."""
    if len(d) < 2:
        return list(d.items())
    keys = list(d)
    try:
        if all(type(k) is str for k in keys):
            keys.sort()
        else:
            keys = sorted_values(keys)
    except TypeError:
        keys = sorted_values(keys)
    return [(k, d[k]) for k in keys]


def iterate(coll: Any) -> Iterator[tuple[Any, Any]]:
    """(key, value) pairs of a collection; nothing for scalars."""
    t = type(coll)
    if t is dict or t is FrozenDict:
        return iter(sorted_items(coll))
    if t is list or t is tuple or t is FrozenList:
        return enumerate(coll)
    if isinstance(coll, frozenset):
        # OPA iterates a set in sorted order (hash order would also split 1 from true)
        return ((x, x) for x in set_members(coll))
    if isinstance(coll, dict):
        return iter(sorted_items(coll))
    if isinstance(coll, (list, tuple)):
        return enumerate(coll)
    return iter(())


Cont = Callable[[], bool]

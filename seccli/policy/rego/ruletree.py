"""The virtual document tree: rule sets, their evaluation, and ``data`` lookups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import seccli.policy.rego.ast as syntax
from seccli.policy.rego.closures import (
    Det,
    Run,
)
from seccli.policy.rego.errors import (
    ABORT_LIMIT,
    CONFLICT,
    RECURSION,
    TYPE,
    EvaluationAborted,
    RegoEvalError,
)
from seccli.policy.rego.runtime import Ctx, index
from seccli.policy.rego.values import UNDEF, eq, freeze, frozen_set

MAX_CALL_DEPTH = 400


@dataclass(eq=False)
class DefC:
    """One compiled definition (body + head terms), with optional else chain."""

    nslots: int
    body: Run
    key: Det | None  # set member / object key path producer
    value: Det | None
    keypath: list[Det] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)  # pattern closures for functions
    orelse: DefC | None = None
    line: int = 0
    file: str = ""
    set_leaf: bool = False
    early: bool = False  # constant head value: the first solution decides
    early_partial: bool = False  # constant key/value of a partial rule: likewise


class RuleSet:
    """All definitions sharing one data path (or one function name)."""

    def __init__(self, path: tuple[str, ...], kind: str) -> None:
        self.path = path
        self.kind = kind
        self.rules: list[syntax.Rule] = []
        self.defs: list[DefC] = []
        self.default: Det | None = None
        self.object_defaults: list[tuple[list[Det], Det]] = []
        self.arity = -1
        self.compiled = False
        self.compiling = False
        self.deps: set[RuleSet] = set()
        self.modules: list[ModuleInfo] = []

    def __repr__(self) -> str:
        return f"RuleSet({'.'.join(self.path)}, {self.kind})"

    # -- evaluation --------------------------------------------------------------------------
    def value(self, ctx: Ctx) -> Any:
        cache = ctx.cache
        v = cache.get(self, _MISSING)
        if v is not _MISSING:
            if v is _BUSY:
                raise RegoEvalError(RECURSION, f"rule data.{'.'.join(self.path)} is recursive")
            return v
        cache[self] = _BUSY
        try:
            v = self._eval(ctx)
        finally:
            cache.pop(self, None)
        cache[self] = v
        return v

    def _eval(self, ctx: Ctx) -> Any:
        kind = self.kind
        if kind == "complete":
            return self._eval_complete(ctx)
        if kind == "set":
            out: set[Any] = set()
            for d in self.defs:
                env = [UNDEF] * d.nslots
                key = d.key
                assert key is not None

                def k(d: DefC = d, env: list[Any] = env, key: Det = key) -> bool:
                    v = key(ctx, env)
                    if v is not UNDEF:
                        out.add(freeze(v))
                        return d.early_partial
                    return False

                d.body(ctx, env, k)
            return frozen_set(out)
        if kind == "object":
            obj: dict[Any, Any] = {}
            for d in self.defs:
                env = [UNDEF] * d.nslots

                def ko(d: DefC = d, env: list[Any] = env) -> bool:
                    keys = []
                    for kf in d.keypath:
                        kv = kf(ctx, env)
                        if kv is UNDEF:
                            return False
                        keys.append(freeze(kv))
                    val = d.value(ctx, env) if d.value is not None else True
                    if val is UNDEF:
                        return False
                    if d.set_leaf:
                        _merge_set_leaf(obj, keys, val, self, d)
                        return d.early_partial
                    _merge_path(obj, keys, val, self, d)
                    return d.early_partial

                d.body(ctx, env, ko)
            for key_dets, value_det in self.object_defaults:
                cur = obj
                keys = [freeze(kd(ctx, [])) for kd in key_dets]
                for kk in keys[:-1]:
                    nxt = cur.get(kk)
                    if not isinstance(nxt, dict):
                        nxt = {}
                        cur[kk] = nxt
                    cur = nxt
                if keys[-1] not in cur:
                    cur[keys[-1]] = value_det(ctx, [])
            if any(d.set_leaf for d in self.defs):
                return _thaw_obj(obj)
            return obj
        raise RegoEvalError(TYPE, f"function {'.'.join(self.path)} used as a value")

    def _eval_complete(self, ctx: Ctx) -> Any:
        result = UNDEF
        for d in self.defs:
            v = _eval_def_chain(ctx, d, None)
            if v is UNDEF:
                continue
            if result is UNDEF:
                result = v
            elif not eq(result, v):
                raise RegoEvalError(
                    CONFLICT,
                    f"complete rules must not produce multiple outputs "
                    f"(data.{'.'.join(self.path)})",
                    file=d.file,
                    line=d.line,
                )
        if result is UNDEF and self.default is not None:
            return self.default(ctx, [])
        return result

    def call(self, ctx: Ctx, args: list[Any]) -> Any:
        ctx.depth += 1
        if ctx.depth > MAX_CALL_DEPTH:
            ctx.depth -= 1
            raise EvaluationAborted(
                ABORT_LIMIT,
                f"function call depth exceeded {MAX_CALL_DEPTH} in data.{'.'.join(self.path)}",
            )
        try:
            result = UNDEF
            for d in self.defs:
                v = _eval_def_chain(ctx, d, args)
                if v is UNDEF:
                    continue
                if result is UNDEF:
                    result = v
                elif not eq(result, v):
                    raise RegoEvalError(
                        CONFLICT,
                        "functions must not produce multiple outputs for same inputs",
                        file=d.file,
                        line=d.line,
                    )
            if result is UNDEF and self.default is not None:
                return self.default(ctx, [])
            return result
        finally:
            ctx.depth -= 1


_MISSING = object()
_BUSY = object()


def _eval_def_chain(ctx: Ctx, d: DefC | None, args: list[Any] | None) -> Any:
    while d is not None:
        v = _eval_def(ctx, d, args)
        if v is not _NOSOL:
            return v
        d = d.orelse
    return UNDEF


_NOSOL = object()


def _eval_def(ctx: Ctx, d: DefC, args: list[Any] | None) -> Any:
    env = [UNDEF] * d.nslots
    found: list[Any] = []
    value = d.value
    early = d.early

    def k() -> bool:
        v = value(ctx, env) if value is not None else True
        if v is UNDEF:
            return False
        if found and not eq(found[0], v):
            raise RegoEvalError(
                CONFLICT,
                "complete rules must not produce multiple outputs"
                if args is None
                else "functions must not produce multiple outputs for same inputs",
                file=d.file,
                line=d.line,
            )
        if not found:
            found.append(v)
        return early

    if args is None:
        d.body(ctx, env, k)
    else:
        pats = d.args
        if len(pats) != len(args):
            return _NOSOL

        def bind(i: int) -> bool:
            if i == len(pats):
                return d.body(ctx, env, k)
            return pats[i](ctx, env, args[i], lambda: bind(i + 1))  # type: ignore[no-any-return]

        bind(0)
    if not found:
        return _NOSOL
    return found[0]


def _merge_path(obj: dict[Any, Any], keys: list[Any], val: Any, rs: RuleSet, d: DefC) -> None:
    cur = obj
    for kk in keys[:-1]:
        nxt = cur.get(kk, UNDEF)
        if nxt is UNDEF:
            nxt = {}
            cur[kk] = nxt
        elif not isinstance(nxt, dict):
            raise RegoEvalError(
                CONFLICT,
                f"object keys must be unique (data.{'.'.join(rs.path)})",
                file=d.file,
                line=d.line,
            )
        cur = nxt
    last = keys[-1]
    old = cur.get(last, UNDEF)
    if old is not UNDEF and not eq(old, val):
        if isinstance(old, dict) and isinstance(val, dict) and len(keys) > 1:
            pass
        raise RegoEvalError(
            CONFLICT,
            f"object keys must be unique (data.{'.'.join(rs.path)})",
            file=d.file,
            line=d.line,
        )
    cur[last] = val


def _merge_set_leaf(obj: dict[Any, Any], keys: list[Any], val: Any, rs: RuleSet, d: DefC) -> None:
    cur = obj
    for kk in keys:
        nxt = cur.get(kk, UNDEF)
        if nxt is UNDEF:
            nxt = {}
            cur[kk] = nxt
        cur = nxt
    # leaves are collected as dict-of-members then frozen into a set at the end
    cur[freeze(val)] = _SETMARK


_SETMARK = object()


def _thaw_obj(obj: dict[Any, Any]) -> Any:
    """Turn set-leaf accumulators into sets."""
    vals = list(obj.values())
    if vals and all(v is _SETMARK for v in vals):
        return frozen_set(obj.keys())
    for k, v in obj.items():
        if isinstance(v, dict) and type(v) is dict:
            obj[k] = _thaw_obj(v)
    return obj


class Node:
    """A node of the virtual document tree: packages and rule paths."""

    __slots__ = ("children", "ruleset", "funcs")

    def __init__(self) -> None:
        self.children: dict[str, Node] = {}
        self.ruleset: RuleSet | None = None

    def child(self, key: str) -> Node:
        n = self.children.get(key)
        if n is None:
            n = Node()
            self.children[key] = n
        return n

    def rulesets(self) -> list[RuleSet]:
        out: list[RuleSet] = []
        if self.ruleset is not None:
            out.append(self.ruleset)
        for c in self.children.values():
            out.extend(c.rulesets())
        return out


@dataclass
class ModuleInfo:
    module: syntax.Module
    package: tuple[str, ...]
    imports: dict[str, list[str]]
    rule_names: set[str]


# ------------------------------------------------------------------------------------------
# Data access with overrides
# ------------------------------------------------------------------------------------------
def data_at(ctx: Ctx, root: Node, path: tuple[Any, ...]) -> Any:
    """The value of ``data.<path>``: overrides, then rules, then base documents."""
    if ctx.overrides:
        for opath, oval in reversed(ctx.overrides):
            n = len(opath)
            if n <= len(path) and path[:n] == opath:
                v = oval
                for key in path[n:]:
                    v = index(v, key)
                    if v is UNDEF:
                        return UNDEF
                return v
        deeper = [(o, v) for o, v in ctx.overrides if len(o) > len(path) and o[: len(path)] == path]
        v = _data_at(ctx, root, path)
        if deeper:
            v = _patch_overrides(v, len(path), deeper)
        return v
    return _data_at(ctx, root, path)


def _patch_overrides(v: Any, n: int, deeper: list[tuple[tuple[Any, ...], Any]]) -> Any:
    out: dict[Any, Any] = dict(v) if isinstance(v, dict) else {}
    for opath, oval in deeper:
        cur = out
        for key in opath[n:-1]:
            nxt = cur.get(key)
            nxt = {} if not isinstance(nxt, dict) else dict(nxt)
            cur[key] = nxt
            cur = nxt
        cur[opath[-1]] = oval
    return out


def _base_index(doc: Any, key: Any) -> Any:
    """``doc[key]`` in base data: as OPA's storage paths, a number also finds a string key."""
    v = index(doc, key)
    if v is UNDEF and type(key) in (int, float) and isinstance(doc, dict):
        return doc.get(str(key), UNDEF)
    return v


def _data_at(ctx: Ctx, root: Node, path: tuple[Any, ...]) -> Any:
    node: Node | None = root
    i = 0
    while node is not None and i < len(path):
        if node.ruleset is not None:
            break
        key = path[i]
        node = node.children.get(key) if type(key) is str else None
        if node is not None:
            i += 1
    if node is not None and node.ruleset is not None:
        rs = node.ruleset
        if rs.kind == "func":
            return rs.call(ctx, []) if rs.arity == 0 else UNDEF
        v = rs.value(ctx)
        for key in path[i:]:
            if v is UNDEF:
                return UNDEF
            v = index(v, key)
        return v
    base = ctx.data
    for key in path:
        base = _base_index(base, key)
        if base is UNDEF:
            break
    if node is None:
        return base
    # path ends at an inner node: merge base data with the virtual documents below it
    out: dict[Any, Any] = dict(base) if isinstance(base, dict) else {}
    if base is not UNDEF and not isinstance(base, dict):
        return base
    for key in node.children:
        v = data_at(ctx, root, (*path, key))
        if v is not UNDEF:
            out[key] = v
    return out

"""Compiles parsed Rego modules into Python closures and evaluates them.

Every body literal becomes a closure ``run(ctx, env, k) -> bool`` in continuation-passing
style: it calls ``k()`` once per solution (variables bound in the ``env`` list) and returns
True when the caller asked to stop early.  Terms become either a deterministic closure
``det(ctx, env) -> value | UNDEF`` or a generator closure ``gen(ctx, env, kv) -> bool``.
Variable binding order is decided at compile time (OPA's safety reordering), so no
unification work is repeated per evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from time import monotonic
from typing import Any

from seccli.policy.rego import ast as A
from seccli.policy.rego.budget import bounded_to_string, timed_out
from seccli.policy.rego.builtins import BUILTINS, Builtin
from seccli.policy.rego.errors import (
    ABORT_LIMIT,
    ABORT_MEMORY,
    ABORT_NUMBER,
    BUILTIN,
    COMPILE,
    CONFLICT,
    EVAL_TYPE,
    RECURSION,
    TYPE,
    UNSAFE,
    BuiltinError,
    EvaluationAborted,
    RegoCompileError,
    RegoError,
    RegoEvalError,
    is_int_conversion_limit,
)
from seccli.policy.rego.runtime import Ctx, index, iterate, sorted_items
from seccli.policy.rego.values import (
    UNDEF,
    FrozenDict,
    FrozenList,
    RegoSet,
    eq,
    freeze,
)

Det = Callable[[Ctx, list[Any]], Any]
KV = Callable[[Any], bool]
Gen = Callable[[Ctx, list[Any], KV], bool]
K = Callable[[], bool]
Run = Callable[[Ctx, list[Any], K], bool]

MAX_CALL_DEPTH = 400
DEPRECATED = frozenset(
    {
        "any",
        "all",
        "cast_array",
        "cast_set",
        "cast_string",
        "cast_boolean",
        "cast_null",
        "cast_object",
        "set_diff",
        "re_match",
        "net.cidr_overlap",
    }
)


class Unsafe(Exception):
    """A variable is used before anything binds it (drives safety reordering)."""

    def __init__(self, name: str, node: A.Node) -> None:
        super().__init__(name)
        self.name = name
        self.node = node


@dataclass(slots=True)
class CT:
    """A compiled term: a deterministic closure when possible, always a generator."""

    gen: Gen
    det: Det | None = None
    const: Any = UNDEF


def ct_det(f: Det) -> CT:
    def gen(ctx: Ctx, env: list[Any], kv: KV) -> bool:
        v = f(ctx, env)
        if v is UNDEF:
            return False
        return kv(v)

    return CT(gen, f)


def ct_const(v: Any) -> CT:
    def det(ctx: Ctx, env: list[Any]) -> Any:
        return v

    def gen(ctx: Ctx, env: list[Any], kv: KV) -> bool:
        return kv(v)

    return CT(gen, det, v)


# ------------------------------------------------------------------------------------------
# Scopes and frames
# ------------------------------------------------------------------------------------------
class Frame:
    """Slot allocation for one rule or function activation."""

    def __init__(self) -> None:
        self.n = 0

    def alloc(self) -> int:
        self.n += 1
        return self.n - 1


class Scope:
    """Name resolution for one body (comprehensions and ``every`` nest scopes)."""

    def __init__(self, parent: Scope | None, frame: Frame, body_vars: set[str]) -> None:
        self.parent = parent
        self.frame = frame
        self.declared: dict[str, int] = {}
        self.implicit: dict[str, int] = {}
        self.body_vars = body_vars

    def declare(self, name: str, node: A.Node, strict: bool = True) -> int:
        if name in self.declared and strict and not name.startswith("_$"):
            raise RegoCompileError(
                COMPILE, f"var {name} assigned above", line=node.line, column=node.col
            )
        s = self.frame.alloc()
        self.declared[name] = s
        return s

    def lookup_declared(self, name: str) -> int | None:
        sc: Scope | None = self
        while sc is not None:
            if name in sc.declared:
                return sc.declared[name]
            if name in sc.implicit:
                return sc.implicit[name]
            sc = sc.parent
        return None

    def implicit_slot(self, name: str) -> int:
        sc: Scope | None = self
        while sc is not None:
            if name in sc.body_vars:
                if name not in sc.implicit:
                    sc.implicit[name] = sc.frame.alloc()
                return sc.implicit[name]
            sc = sc.parent
        self.implicit[name] = self.frame.alloc()
        return self.implicit[name]


# ------------------------------------------------------------------------------------------
# Rules, functions and the virtual document tree
# ------------------------------------------------------------------------------------------
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


def _pkg(m: A.Module) -> tuple[str, ...]:
    return tuple(m.package[1:]) if m.package and m.package[0] == "data" else tuple(m.package)


def _static_prefix(ref: list[A.Term]) -> list[str]:
    out: list[str] = []
    for t in ref:
        if isinstance(t, A.Scalar) and isinstance(t.value, str):
            out.append(t.value)
        else:
            break
    return out


class RuleSet:
    """All definitions sharing one data path (or one function name)."""

    def __init__(self, path: tuple[str, ...], kind: str) -> None:
        self.path = path
        self.kind = kind
        self.rules: list[A.Rule] = []
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
            return RegoSet(out)
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
        return RegoSet(obj.keys())
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
    module: A.Module
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
        base = index(base, key)
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


# ------------------------------------------------------------------------------------------
# The compiler
# ------------------------------------------------------------------------------------------
def _walk_vars(t: Any, out: set[str], into_bodies: bool = False) -> None:
    """Names of variables appearing in a term/expression (not inside nested bodies)."""
    if isinstance(t, A.Var):
        out.add(t.name)
    elif isinstance(t, A.Ref):
        _walk_vars(t.head, out, into_bodies)
        for p in t.path:
            _walk_vars(p, out, into_bodies)
    elif isinstance(t, (A.ArrayTerm, A.SetTerm)):
        for x in t.items:
            _walk_vars(x, out, into_bodies)
    elif isinstance(t, A.ObjectTerm):
        for kk, v in t.items:
            _walk_vars(kk, out, into_bodies)
            _walk_vars(v, out, into_bodies)
    elif isinstance(t, A.Call):
        if isinstance(t.fref, A.Var) and t.fref.name not in BUILTINS:
            pass
        for x in t.args:
            _walk_vars(x, out, into_bodies)
    elif isinstance(t, A.Membership):
        if t.key is not None:
            _walk_vars(t.key, out, into_bodies)
        _walk_vars(t.value, out, into_bodies)
        _walk_vars(t.collection, out, into_bodies)
    elif isinstance(t, (A.Unify, A.Assign)):
        _walk_vars(t.left, out, into_bodies)
        _walk_vars(t.right, out, into_bodies)
    elif isinstance(t, A.SomeIn):
        _walk_vars(t.collection, out, into_bodies)
    elif isinstance(t, A.Every):
        _walk_vars(t.domain, out, into_bodies)
    elif isinstance(t, A.Literal):
        _walk_vars(t.expr, out, into_bodies)
        for w in t.withs:
            _walk_vars(w.value, out, into_bodies)
    elif into_bodies and isinstance(t, (A.ArrayCompr, A.SetCompr)):
        _walk_vars(t.term, out, into_bodies)
        for lit in t.body:
            _walk_vars(lit, out, into_bodies)
    elif into_bodies and isinstance(t, A.ObjectCompr):
        _walk_vars(t.key, out, into_bodies)
        _walk_vars(t.value, out, into_bodies)
        for lit in t.body:
            _walk_vars(lit, out, into_bodies)
    elif into_bodies and isinstance(t, A.Every):
        _walk_vars(t.domain, out, into_bodies)
        for lit in t.body:
            _walk_vars(lit, out, into_bodies)


def _body_vars(body: list[A.Literal]) -> set[str]:
    out: set[str] = set()
    for lit in body:
        if isinstance(lit.expr, A.Assign):
            # assigned names are declared, not implicit
            rhs: set[str] = set()
            _walk_vars(lit.expr.right, rhs)
            out |= rhs
            continue
        if isinstance(lit.expr, A.SomeDecl):
            continue
        _walk_vars(lit, out)
    return out


def _pattern_vars(t: A.Term, sc: Scope, bound: set[str], comp: Compiler) -> set[str]:
    """Unbound local variables in binding positions of ``t``."""
    out: set[str] = set()
    if isinstance(t, A.Var):
        if comp.is_local_name(t.name, sc) and t.name not in bound:
            out.add(t.name)
    elif isinstance(t, A.ArrayTerm):
        for x in t.items:
            out |= _pattern_vars(x, sc, bound, comp)
    elif isinstance(t, A.ObjectTerm):
        for _, v in t.items:
            out |= _pattern_vars(v, sc, bound, comp)
    return out


class Compiler:
    """Turns modules into a virtual document tree of compiled rule sets."""

    def __init__(self, modules: list[A.Module], *, strict: bool = False) -> None:
        self.root = Node()
        self.modules: list[ModuleInfo] = []
        self.strict = strict
        self.current: RuleSet | None = None
        self.mi: ModuleInfo | None = None
        self.hoisted = 0
        self.obj_prefixes: set[tuple[str, ...]] = set()
        self.pkg_names: dict[tuple[str, ...], set[str]] = {}
        for m in modules:
            pkg = _pkg(m)
            for r in m.rules:
                first = r.ref[0]
                if isinstance(first, A.Scalar):
                    self.pkg_names.setdefault(pkg, set()).add(str(first.value))
                    if first.value in ("input", "data") and m.v1:
                        raise RegoCompileError(
                            COMPILE,
                            f"rules must not shadow {first.value} ({first.value} cannot be "
                            "shadowed)",
                            file=m.file,
                            line=r.line,
                            column=r.col,
                        )
                static = _static_prefix(r.ref)
                if len(static) < len(r.ref) and r.kind in ("object", "set", "complete"):
                    self.obj_prefixes.add(pkg + tuple(static))
        for m in modules:
            self._add_module(m)

    # -- registration ----------------------------------------------------------------------
    def _add_module(self, m: A.Module) -> None:
        pkg = tuple(m.package[1:]) if m.package and m.package[0] == "data" else tuple(m.package)
        imports: dict[str, list[str]] = {}
        for imp in m.imports:
            if imp.path[0] in ("future", "rego"):
                continue
            alias = imp.alias or imp.path[-1]
            if len(imp.path) == 1 and imp.alias is None:
                continue
            if alias in imports and imports[alias] != imp.path:
                raise RegoCompileError(
                    COMPILE, f"import must not shadow import {alias}", file=m.file, line=imp.line
                )
            imports[alias] = imp.path
        names: set[str] = self.pkg_names.setdefault(pkg, set())
        mi = ModuleInfo(m, pkg, imports, names)
        self.modules.append(mi)
        node = self.root
        for p in pkg:
            node = node.child(p)
            if node.ruleset is not None:
                raise RegoCompileError(
                    COMPILE, f"package {'.'.join(pkg)} conflicts with a rule", file=m.file, line=1
                )
        for r in m.rules:
            first = r.ref[0]
            assert isinstance(first, A.Scalar)
            names.add(str(first.value))
            static = _static_prefix(r.ref)
            if r.kind in ("complete", "set", "object") and not r.default:
                for cut in range(1, len(r.ref)):
                    if cut <= len(static) and pkg + tuple(static[:cut]) in self.obj_prefixes:
                        if r.kind == "set":
                            r.set_leaf = True
                            r.value = r.key
                        r.kind = "object"
                        r.split = cut
                        static = static[:cut]
                        break
            if r.kind == "object":
                if r.split < 0:
                    r.split = len(static)
                static = static[: r.split]
            elif r.kind == "set" and len(static) != len(r.ref):
                raise RegoCompileError(
                    COMPILE,
                    "partial set rule heads must be static references",
                    file=m.file,
                    line=r.line,
                    column=r.col,
                )
            n = node
            for p in static:
                if n.ruleset is not None and r.kind != "object":
                    raise RegoCompileError(
                        TYPE,
                        f"rule data.{'.'.join(pkg + tuple(static))} conflicts with "
                        f"rule data.{'.'.join(n.ruleset.path)}",
                        file=m.file,
                        line=r.line,
                    )
                n = n.child(p)
            path = pkg + tuple(static)
            kind = r.kind
            if n.ruleset is None:
                if n.children and kind != "object":
                    raise RegoCompileError(
                        TYPE,
                        f"rule data.{'.'.join(path)} conflicts with rules below it",
                        file=m.file,
                        line=r.line,
                    )
                n.ruleset = RuleSet(path, kind)
            rs = n.ruleset
            if rs.kind != kind:
                # a complete default next to object rules etc. is a conflict
                raise RegoCompileError(
                    TYPE,
                    f"conflicting rules data.{'.'.join(path)} found",
                    file=m.file,
                    line=r.line,
                    column=r.col,
                )
            if kind == "func":
                arity = len(r.args or [])
                if rs.arity not in (-1, arity):
                    raise RegoCompileError(
                        TYPE,
                        f"conflicting rules data.{'.'.join(path)} found "
                        "(functions with different arity)",
                        file=m.file,
                        line=r.line,
                    )
                rs.arity = arity
            if r.default and kind != "object" and any(x.default for x in rs.rules):
                raise RegoCompileError(
                    TYPE,
                    f"multiple default rules data.{'.'.join(path)} found",
                    file=m.file,
                    line=r.line,
                )
            rs.rules.append(r)
            rs.modules.append(mi)

    def compile_all(self) -> None:
        for rs in self.root.rulesets():
            self.ensure(rs)
        self._check_recursion()

    def ensure(self, rs: RuleSet) -> None:
        if rs.compiled or rs.compiling:
            return
        rs.compiling = True
        saved = (self.current, self.mi)
        try:
            self.current = rs
            for r, mi in zip(rs.rules, rs.modules, strict=True):
                self.mi = mi
                if r.default and rs.kind == "object":
                    keys = [
                        self._compile_default(
                            A.Rule(
                                t.line,
                                t.col,
                                r.ref,
                                "complete",
                                None,
                                None,
                                t,
                                [],
                                None,
                                True,
                                r.file,
                            )
                        )
                        for t in r.ref[r.split :]
                    ]
                    rs.object_defaults.append((keys, self._compile_default(r)))
                elif r.default:
                    rs.default = self._compile_default(r)
                else:
                    rs.defs.append(self._compile_rule(r, rs))
        finally:
            self.current, self.mi = saved
            rs.compiling = False
        rs.compiled = True

    def _check_recursion(self) -> None:
        state: dict[RuleSet, int] = {}

        def visit(rs: RuleSet, stack: list[RuleSet]) -> None:
            st = state.get(rs, 0)
            if st == 2:
                return
            if st == 1:
                cyc = stack[stack.index(rs) :] + [rs]
                r0 = rs.rules[0]
                raise RegoCompileError(
                    RECURSION,
                    "rule data."
                    + ".".join(rs.path)
                    + " is recursive: "
                    + " -> ".join("data." + ".".join(x.path) for x in cyc),
                    file=r0.file,
                    line=r0.line,
                    column=r0.col,
                )
            state[rs] = 1
            stack.append(rs)
            for d in rs.deps:
                visit(d, stack)
            stack.pop()
            state[rs] = 2

        for rs in self.root.rulesets():
            visit(rs, [])

    # -- rules -----------------------------------------------------------------------------
    def _compile_default(self, r: A.Rule) -> Det:
        frame = Frame()
        sc = Scope(None, frame, set())
        assert r.value is not None
        bad = _non_constant(r.value)
        if bad is not None:
            raise RegoCompileError(
                TYPE,
                f"default rule value cannot contain {bad}",
                file=r.file,
                line=r.value.line,
                column=r.value.col,
            )
        ct = self.term(r.value, sc, set())
        if ct.det is None:
            raise RegoCompileError(
                COMPILE, "default rule value must be a constant", file=r.file, line=r.line
            )
        det = ct.det
        n = frame.n
        return lambda ctx, env: det(ctx, [UNDEF] * n)

    def _compile_rule(self, r: A.Rule, rs: RuleSet) -> DefC:
        frame = Frame()
        bvars = _body_vars(r.body)
        head_vars: set[str] = set()
        for t in (r.key, r.value, *r.ref[1:]):
            if t is not None:
                _walk_vars(t, head_vars)
        sc = Scope(None, frame, bvars | head_vars)
        bound: set[str] = set()
        arg_pats: list[Any] = []
        if r.args is not None:
            arg_pats.extend(self.arg_pattern(a, sc, bound) for a in r.args)
        arg_declared = dict(sc.declared)
        try:
            body = self.body(r.body, sc, bound)
            key = value = None
            kp: list[Det] = []
            if r.kind == "set":
                assert r.key is not None
                key = self.det_term(r.key, sc, bound)
            elif r.kind == "object":
                kp = [self.det_term(t, sc, bound) for t in r.ref[r.split :]]
                value = self.det_term(r.value, sc, bound) if r.value is not None else None
            else:
                value = self.det_term(r.value, sc, bound) if r.value is not None else None
            d = DefC(0, body, key, value, kp, arg_pats, None, r.line, r.file, r.set_leaf)
            d.early = r.kind in ("complete", "func") and (
                r.value is None or _is_ground_literal(r.value)
            )
            if r.kind == "set" and r.key is not None:
                early_partial = _is_ground_literal(r.key)
            elif r.kind == "object":
                early_partial = all(_is_ground_literal(t) for t in r.ref[r.split :]) and (
                    r.value is None or _is_ground_literal(r.value)
                )
            else:
                early_partial = False
            d.early_partial = early_partial
            # else chain
            tail = d
            eb = r.orelse
            while eb is not None:
                ebound = set(bound_after_args(r, sc, self))
                esc = Scope(None, frame, _body_vars(eb.body) | head_vars)
                esc.declared = dict(arg_declared)
                ebody = self.body(eb.body, esc, ebound)
                evalue: Det | None
                if eb.value is not None:
                    evalue = self.det_term(eb.value, esc, ebound)
                else:
                    evalue = value if r.value is not None else None
                    if r.value is not None:
                        evalue = self.det_term(r.value, esc, ebound)
                nd = DefC(0, ebody, None, evalue, [], arg_pats, None, eb.line, r.file)
                vt = eb.value if eb.value is not None else r.value
                nd.early = vt is None or _is_ground_literal(vt)
                tail.orelse = nd
                tail = nd
                eb = eb.orelse
        except Unsafe as u:
            raise RegoCompileError(
                UNSAFE, f"var {u.name} is unsafe", file=r.file, line=u.node.line, column=u.node.col
            ) from None
        n = frame.n
        x: DefC | None = d
        while x is not None:
            x.nslots = n
            x = x.orelse
        return d

    def arg_pattern(self, a: A.Term, sc: Scope, bound: set[str]) -> Any:
        """Function argument: declare its variables and build a unifier."""
        names: set[str] = set()
        _walk_vars(a, names)
        for nm in names:
            if sc.lookup_declared(nm) is None:
                sc.declare(nm, a)
        return self.pattern(a, sc, bound)

    # -- name resolution -------------------------------------------------------------------
    def is_local_name(self, name: str, sc: Scope) -> bool:
        if sc.lookup_declared(name) is not None:
            return True
        if name in ("input", "data"):
            return False
        mi = self.mi
        return not (mi is not None and (name in mi.rule_names or name in mi.imports))

    def local_slot(self, name: str, sc: Scope) -> int | None:
        s = sc.lookup_declared(name)
        if s is not None:
            return s
        if not self.is_local_name(name, sc):
            return None
        return sc.implicit_slot(name)

    def global_path(self, name: str) -> list[Any] | None:
        """``data``/``input`` rooted path of a non-local name."""
        if name in ("input", "data"):
            return [name]
        mi = self.mi
        if mi is None:
            return None
        if name in mi.rule_names:
            return ["data", *mi.package, name]
        if name in mi.imports:
            return list(mi.imports[name])
        return None

    # -- bodies ----------------------------------------------------------------------------
    def body(self, lits: list[A.Literal], sc: Scope, bound: set[str]) -> Run:
        pending = list(lits)
        compiled: list[tuple[str, Any]] = []
        while pending:
            progress = False
            first_err: Unsafe | None = None
            for i, lit in enumerate(pending):
                trial = set(bound)
                saved_decl = dict(sc.declared)
                saved_impl = dict(sc.implicit)
                try:
                    self._check_negation_order(lit, sc, trial, pending, i)
                    c = self.literal(lit, sc, trial)
                except Unsafe as u:
                    sc.declared = saved_decl
                    sc.implicit = saved_impl
                    if first_err is None:
                        first_err = u
                    continue
                bound |= trial
                compiled.append(c)
                pending.pop(i)
                progress = True
                break
            if not progress:
                assert first_err is not None
                raise first_err
        return _sequence(compiled)

    def _check_negation_order(
        self, lit: A.Literal, sc: Scope, bound: set[str], pending: list[A.Literal], i: int
    ) -> None:
        """Negations, comprehensions and every wait for variables others can bind."""
        if len(pending) <= 1:
            return
        mine: set[str] = set()
        if lit.negated:
            _walk_vars(lit, mine, into_bodies=True)
        elif _has_closure(lit.expr):
            _closure_vars(lit.expr, mine)
        else:
            return
        mine = {v for v in mine if v not in bound and self.is_local_name(v, sc)}
        if not mine:
            return
        others: set[str] = set()
        for j, o in enumerate(pending):
            if j != i and not o.negated:
                _walk_vars(o, others)
                if isinstance(o.expr, A.Assign):
                    _walk_vars(o.expr.left, others)
                if isinstance(o.expr, A.SomeIn):
                    if o.expr.key is not None:
                        _walk_vars(o.expr.key, others)
                    _walk_vars(o.expr.value, others)
        for v in sorted(mine & others):
            raise Unsafe(v, lit)

    def literal(self, lit: A.Literal, sc: Scope, bound: set[str]) -> tuple[str, Any]:
        if lit.negated and not isinstance(lit.expr, (A.SomeDecl, A.SomeIn, A.Every, A.Assign)):
            pre, expr = self._hoist(lit.expr, sc)
            if pre:
                # OPA evaluates dynamic operands (refs, calls, comprehensions) of a negated
                # expression before the negation: `not f(input.missing)` is undefined.
                lits = [
                    A.Literal(
                        t.line,
                        t.col,
                        A.Unify(t.line, t.col, A.Var(t.line, t.col, n), t),
                        False,
                        lit.withs,
                    )
                    for n, t in pre
                ]
                lits.append(A.Literal(lit.line, lit.col, expr, True, lit.withs))
                return ("gen", _sequence([self.literal(x, sc, bound) for x in lits]))
        if lit.withs:
            return ("gen", self._with(lit, sc, bound))
        if lit.negated:
            inner = self._expr(lit.expr, sc, set(bound), negated=True)
            run = _as_run(inner)

            def neg(ctx: Ctx, env: list[Any], k: K) -> bool:
                if run(ctx, env, _stop):
                    return False
                return k()

            if inner[0] == "test":
                t = inner[1]
                return ("test", lambda ctx, env: not t(ctx, env))
            return ("gen", neg)
        return self._expr(lit.expr, sc, bound)

    def _hoist(self, e: A.Expr, sc: Scope) -> tuple[list[tuple[str, A.Term]], A.Expr]:
        """Split dynamic operands out of an expression (OPA's expandExpr/rewriteDynamics).

        Refs, calls and comprehensions used as call operands (and ref keys) are evaluated
        before a negation in OPA, so ``not startswith(input.missing, "x")`` is undefined while
        ``not input.missing == false`` (rewritten to unification) is true.
        """
        pre: list[tuple[str, A.Term]] = []

        def extract(t: A.Term) -> A.Term:
            self.hoisted += 1
            name = f"$h{self.hoisted}"
            pre.append((name, t))
            return A.Var(t.line, t.col, name)

        def one(t: A.Term) -> A.Term:
            if isinstance(t, A.Var):
                if self.is_local_name(t.name, sc):
                    return t
                return extract(t)
            if isinstance(t, A.Ref):
                head = t.head
                if not isinstance(head, A.Var):
                    head = one(head)
                return extract(A.Ref(t.line, t.col, head, [one(p) for p in t.path]))
            if isinstance(t, A.Call):
                return extract(A.Call(t.line, t.col, t.name, t.fref, [one(a) for a in t.args]))
            if isinstance(t, A.Membership):
                key = one(t.key) if t.key is not None else None
                return extract(A.Membership(t.line, t.col, key, one(t.value), one(t.collection)))
            if isinstance(t, A.ArrayTerm):
                return A.ArrayTerm(t.line, t.col, [one(x) for x in t.items])
            if isinstance(t, A.SetTerm):
                return A.SetTerm(t.line, t.col, [one(x) for x in t.items])
            if isinstance(t, A.ObjectTerm):
                return A.ObjectTerm(t.line, t.col, [(one(k), one(v)) for k, v in t.items])
            if isinstance(t, (A.ArrayCompr, A.SetCompr, A.ObjectCompr)):
                return extract(t)
            return t

        def in_term(t: A.Term) -> A.Term:
            if isinstance(t, A.Ref):
                head = t.head
                if isinstance(head, A.Call):
                    head = one(head)
                return A.Ref(t.line, t.col, head, [one(p) for p in t.path])
            if isinstance(t, A.Call):
                return one(t)  # a call on either side of `=` is evaluated first
            if isinstance(t, (A.Var, A.ArrayCompr, A.SetCompr, A.ObjectCompr, A.Scalar)):
                return t
            return one(t)

        if isinstance(e, A.Call) and e.name == "equal" and len(e.args) == 2:
            # OPA rewrites `a == b` into unification before this step: only nested
            # operands (ref keys, calls) are evaluated first, so `not x.missing == v` is true.
            left, right = in_term(e.args[0]), in_term(e.args[1])
            return pre, A.Call(e.line, e.col, e.name, e.fref, [left, right])
        if isinstance(e, A.Call):
            return pre, A.Call(e.line, e.col, e.name, e.fref, [one(a) for a in e.args])
        if isinstance(e, A.Membership):
            key = one(e.key) if e.key is not None else None
            return pre, A.Membership(e.line, e.col, key, one(e.value), one(e.collection))
        if isinstance(e, A.Unify):
            return pre, A.Unify(e.line, e.col, in_term(e.left), in_term(e.right))
        if isinstance(e, (A.SomeDecl, A.SomeIn, A.Every, A.Assign)):
            return pre, e
        return pre, in_term(e)

    def _with(self, lit: A.Literal, sc: Scope, bound: set[str]) -> Run:
        mods: list[tuple[str, Any, Det]] = []
        for w in lit.withs:
            target = w.target
            fpath = self._func_target(target, sc)
            if fpath is not None:
                mods.append(("data", fpath, self._mock_value(w.value, sc, bound)))
                continue
            path = _static_ref(target)
            if path is None:
                raise RegoCompileError(
                    COMPILE, "with target must be a reference", file=self._file(), line=w.line
                )
            root = path[0]
            if root == "input":
                vct = self.det_term_or_unsafe(w.value, sc, bound)
                mods.append(("input", tuple(path[1:]), vct))
            elif root == "data":
                vct = self.det_term_or_unsafe(w.value, sc, bound)
                mods.append(("data", tuple(path[1:]), vct))
            else:
                # function mock: builtin name or data function reference by local name
                gp = self.global_path(root)
                if gp is not None and gp[0] == "data":
                    vct = self.det_term_or_unsafe(w.value, sc, bound)
                    mods.append(("data", tuple(gp[1:] + path[1:]), vct))
                else:
                    name = ".".join(path)
                    if name not in BUILTINS:
                        raise RegoCompileError(
                            COMPILE,
                            f"with keyword target {name} must reference input, data or a function",
                            file=self._file(),
                            line=w.line,
                        )
                    mocker = self._mock_value(w.value, sc, bound)
                    mods.append(("mock", name, mocker))
        inner_bound = set(bound)
        inner = self._expr(lit.expr, sc, inner_bound, negated=lit.negated)
        inner_run = _as_run(inner)
        negated = lit.negated
        # with-bound output vars become bound after the literal
        bound |= inner_bound

        def run(ctx: Ctx, env: list[Any], k: K) -> bool:
            nctx = ctx.derive()
            for kind, target, vf in mods:
                v = vf(ctx, env)
                if v is UNDEF:
                    return False
                if kind == "input":
                    if target:
                        base = nctx.input
                        nctx.input = _patch(base, list(target), v)
                    else:
                        nctx.input = v
                elif kind == "data":
                    nctx.overrides = (*nctx.overrides, (target, v))
                else:
                    m = dict(nctx.mocks)
                    m[target] = v
                    nctx.mocks = m
            if negated:
                if inner_run(nctx, env, _stop):
                    ctx.steps = nctx.steps
                    return False
                ctx.steps = nctx.steps
                return k()
            return inner_run(nctx, env, k)

        return run

    def _func_target(self, t: A.Term, sc: Scope) -> tuple[str, ...] | None:
        """The data path of a ``with`` target naming a user function, if it does."""
        path = _static_ref(t)
        if path is None or self.is_local_name(path[0], sc) and path[0] not in ("data",):
            return None
        gp = ["data"] if path[0] == "data" else self.global_path(path[0])
        if gp is None or gp[0] != "data":
            return None
        full = [*gp[1:], *path[1:]]
        node = self._node_at(full)
        if node is not None and node.ruleset is not None and node.ruleset.kind == "func":
            return tuple(full)
        return None

    def _mock_value(self, t: A.Term, sc: Scope, bound: set[str]) -> Det:
        """A mock for a builtin: either a function reference or a value."""
        path = _static_ref(t)
        if path is not None:
            name = ".".join(path)
            gp = None if self.is_local_name(path[0], sc) else self.global_path(path[0])
            if gp is not None and gp[0] == "data":
                node = self._node_at([*gp[1:], *path[1:]])
                if node is not None and node.ruleset is not None and node.ruleset.kind == "func":
                    rs = node.ruleset
                    self.ensure(rs)
                    self._dep(rs)
                    return lambda ctx, env: ("__func__", rs)
            if name in BUILTINS and self.local_slot_if_declared(path[0], sc) is None:
                b = BUILTINS[name]
                return lambda ctx, env: ("__builtin__", b)
        return self.det_term_or_unsafe(t, sc, bound)

    def local_slot_if_declared(self, name: str, sc: Scope) -> int | None:
        return sc.lookup_declared(name)

    def _node_at(self, path: list[Any]) -> Node | None:
        n: Node | None = self.root
        for p in path:
            if n is None or not isinstance(p, str):
                return None
            n = n.children.get(p)
        return n

    def _file(self) -> str:
        return self.mi.module.file if self.mi else "<query>"

    # -- expressions -----------------------------------------------------------------------
    def _expr(
        self, e: A.Expr, sc: Scope, bound: set[str], negated: bool = False
    ) -> tuple[str, Any]:
        if isinstance(e, A.SomeDecl):
            for v in e.names:
                sc.declare(v.name, v, strict=False)
            return ("test", lambda ctx, env: True)
        if isinstance(e, A.Assign):
            return self._assign(e, sc, bound)
        if isinstance(e, A.Unify):
            return self._unify(e.left, e.right, sc, bound)
        if isinstance(e, A.SomeIn):
            return self._some_in(e, sc, bound)
        if isinstance(e, A.Every):
            return self._every(e, sc, bound)
        if isinstance(e, A.Call):
            extra = self._call_output_arg(e, sc, bound)
            if extra is not None:
                return extra
        ct = self.term(e, sc, bound)
        if ct.det is not None:
            det = ct.det

            def test(ctx: Ctx, env: list[Any]) -> bool:
                v = det(ctx, env)
                return v is not UNDEF and v is not False

            return ("test", test)
        gen = ct.gen

        def run(ctx: Ctx, env: list[Any], k: K) -> bool:
            def kv(v: Any) -> bool:
                if v is False:
                    return False
                return k()

            return gen(ctx, env, kv)

        return ("gen", run)

    def _call_output_arg(self, e: A.Call, sc: Scope, bound: set[str]) -> tuple[str, Any] | None:
        """``f(x, out)`` where ``out`` receives the result (one more arg than the arity)."""
        fn = self._resolve_func(e, sc)
        if fn is None or (isinstance(fn, Builtin) and fn.variadic):
            return None
        arity = fn.arity
        if len(e.args) != arity + 1:
            return None
        call = A.Call(e.line, e.col, e.name, e.fref, e.args[:-1])
        return self._unify(e.args[-1], call, sc, bound)

    def _arity(self, e: A.Call, sc: Scope) -> int | None:
        fn = self._resolve_func(e, sc)
        if fn is None:
            return None
        if isinstance(fn, RuleSet):
            return fn.arity
        return fn.arity

    def _assign(self, e: A.Assign, sc: Scope, bound: set[str]) -> tuple[str, Any]:
        names: set[str] = set()
        _walk_vars(e.left, names)
        if not isinstance(e.left, (A.Var, A.ArrayTerm, A.ObjectTerm)):
            raise RegoCompileError(
                COMPILE,
                "cannot assign to " + type(e.left).__name__.lower(),
                file=self._file(),
                line=e.line,
                column=e.col,
            )
        rhs = self.term(e.right, sc, bound)
        for nm in sorted(names):
            if nm.startswith("_$"):
                continue
            if sc.lookup_declared(nm) is not None and nm in sc.declared:
                raise RegoCompileError(
                    COMPILE,
                    f"var {nm} assigned above",
                    file=self._file(),
                    line=e.line,
                    column=e.col,
                )
            if nm in ("input", "data") and self.mi is not None and self.mi.module.v1:
                raise RegoCompileError(
                    COMPILE,
                    f"{nm} cannot be shadowed",
                    file=self._file(),
                    line=e.line,
                    column=e.col,
                )
            sc.declare(nm, e)
            bound.discard(nm)
        pat = self.pattern(e.left, sc, bound)
        return ("gen", _unify_run(rhs, pat))

    def _unify(self, a: A.Term, b: A.Term, sc: Scope, bound: set[str]) -> tuple[str, Any]:
        pa = _pattern_vars(a, sc, bound, self)
        pb = _pattern_vars(b, sc, bound, self)
        if (
            pa
            and pb
            and isinstance(a, A.ArrayTerm)
            and isinstance(b, A.ArrayTerm)
            and len(a.items) == len(b.items)
        ):
            parts = [self._unify(x, y, sc, bound) for x, y in zip(a.items, b.items, strict=True)]
            return ("gen", _sequence(parts))
        if pa and pb and isinstance(a, A.ObjectTerm) and isinstance(b, A.ObjectTerm):
            ka = [self.det_term_or_unsafe(k, sc, bound) for k, _ in a.items]
            kb = [self.det_term_or_unsafe(k, sc, bound) for k, _ in b.items]
            del ka, kb
            bmap = {repr(k): v for k, v in b.items}
            parts = []
            for kt, vt in a.items:
                other = bmap.get(repr(kt))
                if other is None or len(a.items) != len(b.items):
                    return ("test", lambda ctx, env: False)
                parts.append(self._unify(vt, other, sc, bound))
            return ("gen", _sequence(parts))
        if pa and not pb:
            ct = self.term(b, sc, bound)
            pat = self.pattern(a, sc, bound)
            return ("gen", _unify_run(ct, pat))
        if pb and not pa:
            ct = self.term(a, sc, bound)
            pat = self.pattern(b, sc, bound)
            return ("gen", _unify_run(ct, pat))
        if pa and pb:
            # e.g. x = y with both unbound: try evaluating one side (raises Unsafe otherwise)
            try:
                trial = set(bound)
                ct = self.term(b, sc, trial)
                bound |= trial
                pat = self.pattern(a, sc, bound)
                return ("gen", _unify_run(ct, pat))
            except Unsafe:
                ct = self.term(a, sc, bound)
                pat = self.pattern(b, sc, bound)
                return ("gen", _unify_run(ct, pat))
        ca = self.term(a, sc, bound)
        cb = self.term(b, sc, bound)
        if ca.det is not None and cb.det is not None:
            da, db = ca.det, cb.det

            def test(ctx: Ctx, env: list[Any]) -> bool:
                x = da(ctx, env)
                if x is UNDEF:
                    return False
                y = db(ctx, env)
                if y is UNDEF:
                    return False
                return eq(x, y)

            return ("test", test)
        ga, gb = ca.gen, cb.gen

        def run(ctx: Ctx, env: list[Any], k: K) -> bool:
            def kx(x: Any) -> bool:
                def ky(y: Any) -> bool:
                    if eq(x, y):
                        return k()
                    return False

                return gb(ctx, env, ky)

            return ga(ctx, env, kx)

        return ("gen", run)

    def _some_in(self, e: A.SomeIn, sc: Scope, bound: set[str]) -> tuple[str, Any]:
        coll = self.term(e.collection, sc, bound)
        for t in (e.key, e.value):
            if t is None:
                continue
            names: set[str] = set()
            _walk_vars(t, names)
            for nm in names:
                if not nm.startswith("_$") and (nm in sc.declared or nm in sc.implicit):
                    raise RegoCompileError(
                        COMPILE,
                        f"var {nm} used before definition below (some ... in declares it)",
                        file=self._file(),
                        line=e.line,
                        column=e.col,
                    )
                if isinstance(t, A.Var) or nm not in bound:
                    sc.declare(nm, t, strict=False)
                    bound.discard(nm)
        kpat = self.pattern(e.key, sc, bound) if e.key is not None else None
        vpat = self.pattern(e.value, sc, bound)

        def run(ctx: Ctx, env: list[Any], k: K) -> bool:
            def kc(c: Any) -> bool:
                for kk, vv in iterate(c):  # nothing for scalars
                    ctx.tick()
                    if kpat is not None:
                        if kpat(ctx, env, kk, lambda vv=vv: vpat(ctx, env, vv, k)):
                            return True
                    elif vpat(ctx, env, vv, k):
                        return True
                return False

            return coll.gen(ctx, env, kc)

        return ("gen", run)

    def _every(self, e: A.Every, sc: Scope, bound: set[str]) -> tuple[str, Any]:
        dom = self.term(e.domain, sc, bound)
        inner = Scope(sc, sc.frame, _body_vars(e.body))
        ib = set(bound)
        kslot = inner.declare(e.key.name, e.key) if isinstance(e.key, A.Var) else None
        assert isinstance(e.value, A.Var)
        vslot = inner.declare(e.value.name, e.value)
        if isinstance(e.key, A.Var):
            ib.add(e.key.name)
        ib.add(e.value.name)
        body = self.body(e.body, inner, ib)

        def run(ctx: Ctx, env: list[Any], k: K) -> bool:
            def kd(c: Any) -> bool:
                if not isinstance(c, (frozenset, dict, list, tuple)):
                    return False  # every over a scalar is undefined, not vacuously true
                for kk, vv in iterate(c):
                    ctx.tick()
                    if kslot is not None:
                        env[kslot] = kk
                    env[vslot] = vv
                    ok = body(ctx, env, _stop)
                    if kslot is not None:
                        env[kslot] = UNDEF
                    env[vslot] = UNDEF
                    if not ok:
                        return False
                return k()

            return dom.gen(ctx, env, kd)

        return ("gen", run)

    # -- patterns --------------------------------------------------------------------------
    def pattern(self, t: A.Term, sc: Scope, bound: set[str]) -> Any:
        """A unifier ``(ctx, env, value, k) -> bool`` binding unbound variables of ``t``."""
        if isinstance(t, A.Var) and self.is_local_name(t.name, sc) and t.name not in bound:
            if t.name.startswith("_$"):
                return lambda ctx, env, v, k: k()
            slot = self.local_slot(t.name, sc)
            assert slot is not None
            bound.add(t.name)

            def bind(ctx: Ctx, env: list[Any], v: Any, k: K) -> bool:
                env[slot] = v
                try:
                    return k()
                finally:
                    env[slot] = UNDEF

            return bind
        if isinstance(t, A.ArrayTerm) and _pattern_vars(t, sc, bound, self):
            subs = [self.pattern(x, sc, bound) for x in t.items]
            n = len(subs)

            def arr(ctx: Ctx, env: list[Any], v: Any, k: K) -> bool:
                if not isinstance(v, (list, tuple)) or len(v) != n:
                    return False

                def step(i: int) -> bool:
                    if i == n:
                        return k()
                    return subs[i](ctx, env, v[i], lambda: step(i + 1))  # type: ignore[no-any-return]

                return step(0)

            return arr
        if isinstance(t, A.ObjectTerm) and _pattern_vars(t, sc, bound, self):
            keys = [self.det_term_or_unsafe(kt, sc, bound) for kt, _ in t.items]
            vals = [self.pattern(vt, sc, bound) for _, vt in t.items]
            n = len(vals)

            def obj(ctx: Ctx, env: list[Any], v: Any, k: K) -> bool:
                if not isinstance(v, dict) or len(v) != n:
                    return False
                items = []
                for kf in keys:
                    kk = kf(ctx, env)
                    x = index(v, kk)
                    if x is UNDEF:
                        return False
                    items.append(x)

                def step(i: int) -> bool:
                    if i == n:
                        return k()
                    return vals[i](ctx, env, items[i], lambda: step(i + 1))  # type: ignore[no-any-return]

                return step(0)

            return obj
        ct = self.term(t, sc, bound)
        if ct.det is not None:
            det = ct.det

            def cmp(ctx: Ctx, env: list[Any], v: Any, k: K) -> bool:
                x = det(ctx, env)
                if x is UNDEF or not eq(x, v):
                    return False
                return k()

            return cmp
        gen = ct.gen

        def cmpg(ctx: Ctx, env: list[Any], v: Any, k: K) -> bool:
            return gen(ctx, env, lambda x: k() if eq(x, v) else False)

        return cmpg

    # -- terms -----------------------------------------------------------------------------
    def det_term(self, t: A.Term, sc: Scope, bound: set[str]) -> Det:
        ct = self.term(t, sc, bound)
        if ct.det is not None:
            return ct.det
        gen = ct.gen

        def first(ctx: Ctx, env: list[Any]) -> Any:
            out: list[Any] = []

            def kv(v: Any) -> bool:
                out.append(v)
                return False

            gen(ctx, env, kv)
            if not out:
                return UNDEF
            v0 = out[0]
            for v in out[1:]:
                if not eq(v, v0):
                    raise RegoEvalError(
                        CONFLICT, "rule head produced multiple outputs", file=self._file()
                    )
            return v0

        return first

    def det_term_or_unsafe(self, t: A.Term, sc: Scope, bound: set[str]) -> Det:
        return self.det_term(t, sc, bound)

    def term(self, t: A.Term, sc: Scope, bound: set[str]) -> CT:
        if isinstance(t, A.Scalar):
            return ct_const(t.value)
        if isinstance(t, A.Var):
            return self._var(t, sc, bound)
        if isinstance(t, A.Ref):
            return self._ref(t, sc, bound)
        if isinstance(t, A.Call):
            return self._call(t, sc, bound)
        if isinstance(t, A.ArrayTerm):
            items = [self.term(x, sc, bound) for x in t.items]
            if all(i.det is not None for i in items):
                dets = [i.det for i in items]
                if all(i.const is not UNDEF for i in items):
                    return ct_const([i.const for i in items])

                def arr(ctx: Ctx, env: list[Any]) -> Any:
                    out = []
                    for d in dets:
                        v = d(ctx, env)  # type: ignore[misc]
                        if v is UNDEF:
                            return UNDEF
                        out.append(v)
                    return out

                return ct_det(arr)
            return _product(items, list)
        if isinstance(t, A.SetTerm):
            items = [self.term(x, sc, bound) for x in t.items]
            return _product(items, lambda vs: RegoSet(freeze(v) for v in vs))
        if isinstance(t, A.ObjectTerm):
            flat: list[CT] = []
            for kt, vt in t.items:
                flat.append(self.term(kt, sc, bound))
                flat.append(self.term(vt, sc, bound))

            def mk(vs: list[Any]) -> Any:
                return {freeze(vs[i]): vs[i + 1] for i in range(0, len(vs), 2)}

            return _product(flat, mk)
        if isinstance(t, (A.ArrayCompr, A.SetCompr, A.ObjectCompr)):
            return self._compr(t, sc, bound)
        if isinstance(t, A.Membership):
            return self._membership(t, sc, bound)
        if isinstance(t, A.TemplateString):
            return self._template(t, sc, bound)
        raise RegoCompileError(COMPILE, f"unsupported term {type(t).__name__}", file=self._file())

    def _template(self, t: A.TemplateString, sc: Scope, bound: set[str]) -> CT:
        """``$"..{expr}.."``: each expression's first value as text, ``<undefined>`` if none."""
        parts: list[Any] = []
        for part in t.parts:
            if isinstance(part, str):
                parts.append(part)
                continue
            lit: A.Literal = part
            if lit.negated or not isinstance(
                lit.expr,
                (
                    A.Scalar,
                    A.Var,
                    A.Ref,
                    A.Call,
                    A.ArrayTerm,
                    A.ObjectTerm,
                    A.SetTerm,
                    A.ArrayCompr,
                    A.SetCompr,
                    A.ObjectCompr,
                    A.Membership,
                    A.TemplateString,
                ),
            ):
                raise RegoCompileError(
                    COMPILE,
                    "template string expressions must be terms",
                    file=self._file(),
                    line=t.line,
                    column=t.col,
                )
            self.hoisted += 1
            name = f"$t{self.hoisted}"
            unify = A.Literal(
                lit.line,
                lit.col,
                A.Unify(lit.line, lit.col, A.Var(lit.line, lit.col, name), lit.expr),
                False,
                lit.withs,
            )
            inner = set(bound)
            run = _as_run(self.literal(unify, sc, inner))
            slot = self.local_slot(name, sc)
            parts.append((run, slot))

        def det(ctx: Ctx, env: list[Any]) -> Any:
            out: list[str] = []
            for p in parts:
                if isinstance(p, str):
                    out.append(p)
                    continue
                run, slot = p
                got: list[Any] = []

                def k(got: list[Any] = got, slot: int = slot) -> bool:
                    got.append(env[slot])
                    return True

                run(ctx, env, k)
                if not got:
                    out.append("<undefined>")
                else:
                    v = got[0]
                    out.append(v if type(v) is str else bounded_to_string(v))
            return "".join(out)

        return ct_det(det)

    def _var(self, t: A.Var, sc: Scope, bound: set[str]) -> CT:
        name = t.name
        if self.is_local_name(name, sc):
            if name not in bound:
                raise Unsafe(name if not name.startswith("_$") else "_", t)
            slot = self.local_slot(name, sc)
            assert slot is not None
            return ct_det(lambda ctx, env: env[slot])
        gp = self.global_path(name)
        assert gp is not None
        return self._ref(
            A.Ref(
                t.line,
                t.col,
                A.Var(t.line, t.col, gp[0]),
                [A.Scalar(t.line, t.col, p) for p in gp[1:]],
            ),
            sc,
            bound,
        )

    def _ref(self, t: A.Ref, sc: Scope, bound: set[str]) -> CT:
        head = t.head
        path = list(t.path)
        base: CT
        if isinstance(head, A.Var) and not self.is_local_name(head.name, sc):
            gp = self.global_path(head.name)
            assert gp is not None
            if gp[0] == "input":
                path = [A.Scalar(t.line, t.col, p) for p in gp[1:]] + path
                base = ct_det(lambda ctx, env: ctx.input)
            else:
                full = [A.Scalar(t.line, t.col, p) for p in gp[1:]] + path
                return self._data_ref(full, sc, bound, t)
        else:
            base = self.term(head, sc, bound)
        return self._walk(base, path, sc, bound)

    def _walk(self, base: CT, path: list[A.Term], sc: Scope, bound: set[str]) -> CT:
        cur = base
        i = 0
        # fast path: a run of constant keys on a deterministic base
        while i < len(path):
            p = path[i]
            if isinstance(p, A.Scalar) and cur.det is not None:
                j = i
                keys: list[Any] = []
                while j < len(path) and isinstance(path[j], A.Scalar):
                    keys.append(path[j].value)  # type: ignore[union-attr]
                    j += 1
                cur = ct_det(_const_walk(cur.det, keys))
                i = j
                continue
            if isinstance(p, A.Var) and self.is_local_name(p.name, sc) and p.name not in bound:
                slot = None if p.name.startswith("_$") else self.local_slot(p.name, sc)
                if slot is not None:
                    bound.add(p.name)
                cur = _iter_step(cur, slot)
                i += 1
                continue
            if _pattern_vars(p, sc, bound, self):
                pat = self.pattern(p, sc, bound)
                cur = _iter_pattern_step(cur, pat)
                i += 1
                continue
            kct = self.term(p, sc, bound)
            cur = _index_step(cur, kct)
            i += 1
        return cur

    def _data_ref(self, path: list[A.Term], sc: Scope, bound: set[str], t: A.Node) -> CT:
        node: Node = self.root
        consumed: list[str] = []
        i = 0
        while i < len(path):
            p = path[i]
            if node.ruleset is not None:
                break
            if isinstance(p, A.Scalar) and isinstance(p.value, str) and p.value in node.children:
                node = node.children[p.value]
                consumed.append(p.value)
                i += 1
                continue
            break
        root = self.root
        prefix = tuple(consumed)
        rs = node.ruleset
        if (
            rs is None
            and i < len(path)
            and isinstance(path[i], A.Scalar)
            and path[i].value not in node.children  # type: ignore[union-attr,operator]
        ):
            # base documents only: no virtual document lives below this key
            bprefix = (*prefix, path[i].value)  # type: ignore[union-attr]
            return self._walk(
                ct_det(lambda ctx, env: data_at(ctx, root, bprefix)), path[i + 1 :], sc, bound
            )
        if rs is not None:
            if rs.kind == "func":
                raise RegoCompileError(
                    TYPE,
                    f"function data.{'.'.join(rs.path)} must be called",
                    file=self._file(),
                    line=t.line,
                    column=t.col,
                )
            self.ensure(rs)
            self._dep(rs)

            def rv(ctx: Ctx, env: list[Any]) -> Any:
                if ctx.overrides:
                    return data_at(ctx, root, prefix)
                return rs.value(ctx)

            return self._walk(ct_det(rv), path[i:], sc, bound)
        for sub in node.rulesets():
            if sub.kind != "func":
                self.ensure(sub)
                if i == len(path):
                    self._dep(sub)
        if node is root and i == 0 and not path:
            return ct_det(lambda ctx, env: data_at(ctx, root, ()))
        # dynamic keys that are already bound: look the path up lazily (no materialising)
        dyn: list[Det] = []
        j = i
        while j < len(path):
            p = path[j]
            if isinstance(p, A.Var) and self.is_local_name(p.name, sc) and p.name not in bound:
                break
            if _pattern_vars(p, sc, bound, self):
                break
            trial = set(bound)
            kct = self.term(p, sc, trial)
            if kct.det is None or trial != bound:
                break
            dyn.append(kct.det)
            j += 1
        if dyn:
            dets = tuple(dyn)

            def lazy(ctx: Ctx, env: list[Any]) -> Any:
                keys = []
                for d in dets:
                    kv = d(ctx, env)
                    if kv is UNDEF:
                        return UNDEF
                    keys.append(kv)
                return data_at(ctx, root, (*prefix, *keys))

            return self._walk(ct_det(lazy), path[j:], sc, bound)
        return self._walk(ct_det(lambda ctx, env: data_at(ctx, root, prefix)), path[i:], sc, bound)

    def _dep(self, rs: RuleSet) -> None:
        if self.current is not None:
            self.current.deps.add(rs)

    def _compr(self, t: Any, sc: Scope, bound: set[str]) -> CT:
        inner = Scope(sc, sc.frame, _body_vars(t.body))
        # outer variables that are not yet bound but used here must come first
        used: set[str] = set()
        _walk_vars(t.term if not isinstance(t, A.ObjectCompr) else t.key, used)
        if isinstance(t, A.ObjectCompr):
            _walk_vars(t.value, used)
        for lit in t.body:
            _walk_vars(lit, used, into_bodies=True)
        ib = set(bound)
        body = self.body(t.body, inner, ib)
        if isinstance(t, A.ObjectCompr):
            kg = self.term(t.key, inner, ib).gen
            vg = self.term(t.value, inner, ib).gen

            def objc(ctx: Ctx, env: list[Any]) -> Any:
                out: dict[Any, Any] = {}

                def k() -> bool:
                    ctx.tick()
                    return kg(ctx, env, lambda kk: vg(ctx, env, lambda vv: put(kk, vv)))

                def put(kk: Any, vv: Any) -> bool:
                    fk = freeze(kk)
                    old = out.get(fk, UNDEF)
                    if old is not UNDEF and not eq(old, vv):
                        raise RegoEvalError(
                            CONFLICT,
                            "object keys must be unique",
                            file=self._file(),
                            line=t.line,
                            column=t.col,
                        )
                    out[fk] = vv
                    return False

                body(ctx, env, k)
                return out

            return ct_det(objc)
        tct = self.term(t.term, inner, ib)
        td = tct.det
        tg = tct.gen
        if isinstance(t, A.SetCompr):

            def setc(ctx: Ctx, env: list[Any]) -> Any:
                out: set[Any] = set()

                def add(v: Any) -> bool:
                    out.add(freeze(v))
                    return False

                def k() -> bool:
                    ctx.tick()
                    if td is None:
                        return tg(ctx, env, add)
                    v = td(ctx, env)
                    if v is not UNDEF:
                        out.add(freeze(v))
                    return False

                body(ctx, env, k)
                return RegoSet(out)

            return ct_det(setc)

        def arrc(ctx: Ctx, env: list[Any]) -> Any:
            out: list[Any] = []

            def add(v: Any) -> bool:
                out.append(v)
                return False

            def k() -> bool:
                ctx.tick()
                if td is None:
                    return tg(ctx, env, add)
                v = td(ctx, env)
                if v is not UNDEF:
                    out.append(v)
                return False

            body(ctx, env, k)
            return out

        return ct_det(arrc)

    def _membership(self, t: A.Membership, sc: Scope, bound: set[str]) -> CT:
        items = [self.term(x, sc, bound) for x in (t.key, t.value, t.collection) if x is not None]
        has_key = t.key is not None

        def mk(vs: list[Any]) -> Any:
            coll = vs[-1]
            val = vs[-2]
            if has_key:
                key = vs[0]
                if isinstance(coll, frozenset):
                    return index(coll, key) is not UNDEF and eq(key, val)
                got = index(coll, key)
                return got is not UNDEF and eq(got, val)
            if isinstance(coll, dict):
                return any(eq(x, val) for x in coll.values())
            if isinstance(coll, frozenset):
                return index(coll, val) is not UNDEF
            if isinstance(coll, (list, tuple)):
                return any(eq(x, val) for x in coll)
            return False

        return _product(items, mk)

    # -- calls -----------------------------------------------------------------------------
    def _resolve_func(self, e: A.Call, sc: Scope) -> RuleSet | Builtin | None:
        if isinstance(e.fref, A.Scalar):  # infix operator
            return BUILTINS.get(e.name)
        path = _static_ref(e.fref)
        if path is None:
            return None
        head = path[0]
        if self.is_local_name(head, sc) and sc.lookup_declared(head) is not None:
            return None
        gp = None if self.is_local_name(head, sc) else self.global_path(head)
        if gp is not None and gp[0] == "data":
            node = self._node_at([*gp[1:], *path[1:]])
            if node is not None and node.ruleset is not None and node.ruleset.kind == "func":
                return node.ruleset
            if node is not None and node.ruleset is not None:
                return None
        name = ".".join(path)
        return BUILTINS.get(name)

    def _call(self, e: A.Call, sc: Scope, bound: set[str]) -> CT:
        fn = self._resolve_func(e, sc)
        name = e.name
        if fn is None:
            path = _static_ref(e.fref)
            if path is not None:
                gp = None if self.is_local_name(path[0], sc) else self.global_path(path[0])
                if gp is not None and gp[0] == "data":
                    name = ".".join([*gp, *path[1:]])
            raise RegoCompileError(
                TYPE,
                f"undefined function {name}",
                file=self._file(),
                line=e.line,
                column=e.col,
            )
        args = [self.term(a, sc, bound) for a in e.args]
        if isinstance(fn, RuleSet):
            if len(args) != fn.arity:
                raise RegoCompileError(
                    TYPE,
                    f"function data.{'.'.join(fn.path)} expects {fn.arity} arguments, "
                    f"got {len(args)}",
                    file=self._file(),
                    line=e.line,
                    column=e.col,
                )
            self.ensure(fn)
            self._dep(fn)
            rs = fn
            fpath = rs.path

            def callf(vs: list[Any], ctx: Ctx) -> Any:
                if ctx.overrides or ctx.mocks:
                    for opath, oval in reversed(ctx.overrides):
                        if opath == fpath:
                            return _apply_mock(ctx, oval, vs)
                return rs.call(ctx, vs)

            return _call_ct(args, callf)
        b = fn
        if b.name in DEPRECATED and self.mi is not None and self.mi.module.v1:
            raise RegoCompileError(
                TYPE,
                f"could not find function {b.name} (deprecated builtins are not available "
                "in Rego v1)",
                file=self._file(),
                line=e.line,
                column=e.col,
            )
        if b.name == "print":
            return self._print(args, e)
        if b.relation:
            return self._relation(b, args, e)
        if not b.variadic and len(args) != b.arity:
            raise RegoCompileError(
                TYPE,
                f"{b.name}: arity mismatch: expected {b.arity} arguments, got {len(args)}",
                file=self._file(),
                line=e.line,
                column=e.col,
            )
        impl = b.fn
        bname = b.name
        needs_ctx = b.needs_ctx
        heavy = not b.cheap
        file = self._file()
        line, col = e.line, e.col

        def callb(vs: list[Any], ctx: Ctx) -> Any:
            if ctx.mocks and bname in ctx.mocks:
                inner = ctx.derive()
                inner.mocks = {k: v for k, v in ctx.mocks.items() if k != bname}
                return _apply_mock(inner, ctx.mocks[bname], vs)
            try:
                if heavy and monotonic() > ctx.deadline:
                    raise timed_out(ctx.timeout)
                if needs_ctx:
                    return impl(ctx, *vs)
                return impl(*vs)
            except BuiltinError as err:
                if ctx.strict:
                    raise RegoEvalError(
                        err.code, f"{bname}: {err}", file=file, line=line, column=col
                    ) from None
                return UNDEF
            except EvaluationAborted as err:
                # a limit is never a builtin error: it must not become undefined
                raise err.at(bname, file, line, col) from None
            except RegoError:
                raise
            except RecursionError:
                raise
            except MemoryError:
                raise EvaluationAborted(
                    ABORT_MEMORY, f"{bname}: out of memory", file=file, line=line, column=col
                ) from None
            except (
                ValueError,
                TypeError,
                KeyError,
                IndexError,
                OverflowError,
                ArithmeticError,
            ) as err:
                if is_int_conversion_limit(err):
                    raise EvaluationAborted(
                        ABORT_NUMBER,
                        f"{bname}: number too large (more than 4300 digits)",
                        file=file,
                        line=line,
                        column=col,
                    ) from None
                if ctx.strict:
                    raise RegoEvalError(
                        BUILTIN, f"{bname}: {err}", file=file, line=line, column=col
                    ) from None
                return UNDEF

        if b.pure and not b.needs_ctx and args and all(a.const is not UNDEF for a in args):
            # constant operands: report operand type errors at compile time, as OPA's type
            # checker does (a policy that cannot work must not silently evaluate to undefined)
            try:
                impl(*[a.const for a in args])
            except BuiltinError as err:
                if err.code == EVAL_TYPE:
                    raise RegoCompileError(
                        TYPE, f"{bname}: {err}", file=file, line=line, column=col
                    ) from None
            except Exception:  # value errors stay run-time errors
                pass
        return _call_ct(args, callb)

    def _relation(self, b: Builtin, args: list[CT], e: A.Call) -> CT:
        """A builtin producing many values (``walk``)."""
        impl = b.fn
        inner = _call_ct(args, lambda vs, ctx: vs)

        def gen(ctx: Ctx, env: list[Any], kv: KV) -> bool:
            def ka(vs: Any) -> bool:
                for out in impl(*vs):
                    ctx.tick()
                    if kv(out):
                        return True
                return False

            return inner.gen(ctx, env, ka)

        return CT(gen)

    def _print(self, args: list[CT], e: A.Call) -> CT:
        def det(ctx: Ctx, env: list[Any]) -> Any:
            parts = []
            for a in args:
                vals: list[Any] = []

                def collect(v: Any, vals: list[Any] = vals) -> bool:
                    vals.append(v)
                    return True

                a.gen(ctx, env, collect)
                if not vals:
                    parts.append("<undefined>")
                else:
                    v = vals[0]
                    parts.append(v if isinstance(v, str) else bounded_to_string(v))
            ctx.prints.append(" ".join(parts))
            return True

        return ct_det(det)


# ------------------------------------------------------------------------------------------
# closure helpers
# ------------------------------------------------------------------------------------------
def _stop() -> bool:
    return True


def _has_closure(e: Any) -> bool:
    found: list[bool] = []

    def visit(t: Any) -> None:
        if isinstance(t, (A.ArrayCompr, A.SetCompr, A.ObjectCompr, A.Every)):
            found.append(True)
        elif isinstance(t, A.Ref):
            visit(t.head)
            for p in t.path:
                visit(p)
        elif isinstance(t, (A.ArrayTerm, A.SetTerm)):
            for x in t.items:
                visit(x)
        elif isinstance(t, A.ObjectTerm):
            for kk, v in t.items:
                visit(kk)
                visit(v)
        elif isinstance(t, A.Call):
            for x in t.args:
                visit(x)
        elif isinstance(t, (A.Unify, A.Assign)):
            visit(t.left)
            visit(t.right)
        elif isinstance(t, A.Membership):
            visit(t.value)
            visit(t.collection)
        elif isinstance(t, A.SomeIn):
            visit(t.collection)

    visit(e)
    return bool(found)


def _is_ground_literal(t: A.Term) -> bool:
    """A scalar or a collection literal of scalars (no vars, refs, calls or comprehensions)."""
    if isinstance(t, (A.ArrayCompr, A.SetCompr, A.ObjectCompr)):
        return False
    return _non_constant(t) is None


def _non_constant(t: A.Term) -> str | None:
    """What makes a default value non-constant (``var``, ``ref``, ``call``...), if anything."""
    if isinstance(t, A.Scalar):
        return None
    if isinstance(t, (A.ArrayTerm, A.SetTerm)):
        for x in t.items:
            r = _non_constant(x)
            if r:
                return r
        return None
    if isinstance(t, A.ObjectTerm):
        for kk, v in t.items:
            r = _non_constant(kk) or _non_constant(v)
            if r:
                return r
        return None
    if isinstance(t, A.Var):
        return "var"
    if isinstance(t, A.Ref):
        return "ref"
    if isinstance(t, A.Call):
        return "call"
    if isinstance(t, (A.ArrayCompr, A.SetCompr, A.ObjectCompr)):
        return None
    return "expression"


def _closure_vars(e: Any, out: set[str]) -> None:
    """Variables used inside comprehensions and ``every`` bodies nested in ``e``."""
    if isinstance(e, (A.ArrayCompr, A.SetCompr, A.ObjectCompr)):
        inner: set[str] = set()
        if isinstance(e, A.ObjectCompr):
            _walk_vars(e.key, inner, True)
            _walk_vars(e.value, inner, True)
        else:
            _walk_vars(e.term, inner, True)
        declared: set[str] = set()
        for lit in e.body:
            _walk_vars(lit, inner, True)
            _closure_vars(lit.expr, inner)
            x = lit.expr
            if isinstance(x, A.Assign):
                _walk_vars(x.left, declared)
            elif isinstance(x, A.SomeDecl):
                declared.update(v.name for v in x.names)
            elif isinstance(x, A.SomeIn):
                if x.key is not None:
                    _walk_vars(x.key, declared)
                _walk_vars(x.value, declared)
        out |= inner - declared
    elif isinstance(e, A.Every):
        for lit in e.body:
            _walk_vars(lit, out, True)
        if e.key is not None:
            out.discard(e.key.name)  # type: ignore[union-attr]
        out.discard(e.value.name)  # type: ignore[union-attr]
    elif isinstance(e, A.Ref):
        _closure_vars(e.head, out)
        for p in e.path:
            _closure_vars(p, out)
    elif isinstance(e, (A.ArrayTerm, A.SetTerm)):
        for x in e.items:
            _closure_vars(x, out)
    elif isinstance(e, A.ObjectTerm):
        for kk, v in e.items:
            _closure_vars(kk, out)
            _closure_vars(v, out)
    elif isinstance(e, A.Call):
        for x in e.args:
            _closure_vars(x, out)
    elif isinstance(e, (A.Unify, A.Assign)):
        _closure_vars(e.left, out)
        _closure_vars(e.right, out)
    elif isinstance(e, A.Membership):
        _closure_vars(e.value, out)
        _closure_vars(e.collection, out)
    elif isinstance(e, A.SomeIn):
        _closure_vars(e.collection, out)


def _static_ref(t: A.Term) -> list[str] | None:
    if isinstance(t, A.Var):
        return [t.name]
    if isinstance(t, A.Ref) and isinstance(t.head, A.Var):
        out = [t.head.name]
        for p in t.path:
            if isinstance(p, A.Scalar) and isinstance(p.value, str):
                out.append(p.value)
            else:
                return None
        return out
    return None


def _patch(base: Any, path: list[Any], v: Any) -> Any:
    if not path:
        return v
    obj = dict(base) if isinstance(base, dict) else {}
    obj[path[0]] = _patch(obj.get(path[0]), path[1:], v)
    return obj


def _apply_mock(ctx: Ctx, mock: Any, vs: list[Any]) -> Any:
    if isinstance(mock, tuple) and len(mock) == 2 and mock[0] == "__func__":
        return mock[1].call(ctx, vs)
    if isinstance(mock, tuple) and len(mock) == 2 and mock[0] == "__builtin__":
        b: Builtin = mock[1]
        try:
            return b.fn(ctx, *vs) if b.needs_ctx else b.fn(*vs)
        except BuiltinError:
            return UNDEF
    return mock


def _as_run(c: tuple[str, Any]) -> Run:
    kind, f = c
    if kind == "gen":
        return f  # type: ignore[no-any-return]
    test = f

    def run(ctx: Ctx, env: list[Any], k: K) -> bool:
        if test(ctx, env):
            return k()
        return False

    return run


def _sequence(parts: list[tuple[str, Any]]) -> Run:
    if not parts:
        return lambda ctx, env, k: k()
    # merge consecutive tests
    merged: list[tuple[str, Any]] = []
    for p in parts:
        if p[0] == "test" and merged and merged[-1][0] == "tests":
            merged[-1][1].append(p[1])
        elif p[0] == "test":
            merged.append(("tests", [p[1]]))
        else:
            merged.append(p)
    run: Run | None = None
    for kind, f in reversed(merged):
        run = _chain(kind, f, run)
    assert run is not None
    return run


def _chain(kind: str, f: Any, rest: Run | None) -> Run:
    if kind == "tests":
        tests = tuple(f)
        if len(tests) == 1:
            t0 = tests[0]
            if rest is None:
                return lambda ctx, env, k: k() if t0(ctx, env) else False

            def r1(ctx: Ctx, env: list[Any], k: K) -> bool:
                if t0(ctx, env):
                    return rest(ctx, env, k)
                return False

            return r1

        def rn(ctx: Ctx, env: list[Any], k: K) -> bool:
            for t in tests:
                if not t(ctx, env):
                    return False
            if rest is None:
                return k()
            return rest(ctx, env, k)

        return rn
    g: Run = f
    if rest is None:
        return g

    def rg(ctx: Ctx, env: list[Any], k: K) -> bool:
        return g(ctx, env, lambda: rest(ctx, env, k))

    return rg


def _unify_run(ct: CT, pat: Any) -> Run:
    if ct.det is not None:
        det = ct.det

        def rd(ctx: Ctx, env: list[Any], k: K) -> bool:
            v = det(ctx, env)
            if v is UNDEF:
                return False
            return pat(ctx, env, v, k)  # type: ignore[no-any-return]

        return rd
    gen = ct.gen

    def rgen(ctx: Ctx, env: list[Any], k: K) -> bool:
        return gen(ctx, env, lambda v: pat(ctx, env, v, k))

    return rgen


def _const_walk(base: Det, keys: list[Any]) -> Det:
    if len(keys) == 1:
        k0 = keys[0]

        def w1(ctx: Ctx, env: list[Any]) -> Any:
            v = base(ctx, env)
            if type(v) is dict:
                return v.get(k0, UNDEF)
            if v is UNDEF:
                return UNDEF
            return index(v, k0)

        return w1
    ks = tuple(keys)

    def wn(ctx: Ctx, env: list[Any]) -> Any:
        v = base(ctx, env)
        for key in ks:
            if type(v) is dict:
                v = v.get(key, UNDEF)
            elif v is UNDEF:
                return UNDEF
            else:
                v = index(v, key)
        return v

    return wn


def _iter_step(cur: CT, slot: int | None) -> CT:
    g = cur.gen

    def gen(ctx: Ctx, env: list[Any], kv: KV) -> bool:
        def kc(c: Any) -> bool:
            tc = type(c)
            if tc is dict or tc is FrozenDict:
                pairs: Any = sorted_items(c)
            elif tc is list or tc is tuple or tc is FrozenList:
                pairs = enumerate(c)
            elif isinstance(c, frozenset):
                pairs = ((x, x) for x in c)
            else:
                pairs = iterate(c)
            if slot is None:
                for _, v in pairs:
                    ctx.tick()
                    if kv(v):
                        return True
                return False
            try:
                for key, v in pairs:
                    ctx.tick()
                    env[slot] = key
                    if kv(v):
                        return True
            finally:
                env[slot] = UNDEF
            return False

        return g(ctx, env, kc)

    return CT(gen)


def _iter_pattern_step(cur: CT, pat: Any) -> CT:
    g = cur.gen

    def gen(ctx: Ctx, env: list[Any], kv: KV) -> bool:
        def kc(c: Any) -> bool:
            for key, v in iterate(c):
                ctx.tick()
                if pat(ctx, env, key, lambda v=v: kv(v)):
                    return True
            return False

        return g(ctx, env, kc)

    return CT(gen)


def _index_step(cur: CT, key: CT) -> CT:
    if cur.det is not None and key.det is not None:
        cd, kd = cur.det, key.det

        def det(ctx: Ctx, env: list[Any]) -> Any:
            c = cd(ctx, env)
            if c is UNDEF:
                return UNDEF
            kk = kd(ctx, env)
            if kk is UNDEF:
                return UNDEF
            return index(c, kk)

        return ct_det(det)
    cg, kg = cur.gen, key.gen

    def gen(ctx: Ctx, env: list[Any], kv: KV) -> bool:
        def kc(c: Any) -> bool:
            def kk(key: Any) -> bool:
                v = index(c, key)
                if v is UNDEF:
                    return False
                return kv(v)

            return kg(ctx, env, kk)

        return cg(ctx, env, kc)

    return CT(gen)


def _product(items: list[CT], mk: Callable[[list[Any]], Any]) -> CT:
    if all(i.det is not None for i in items):
        dets = [i.det for i in items]

        def det(ctx: Ctx, env: list[Any]) -> Any:
            vs = []
            for d in dets:
                v = d(ctx, env)  # type: ignore[misc]
                if v is UNDEF:
                    return UNDEF
                vs.append(v)
            return mk(vs)

        return ct_det(det)
    gens = [i.gen for i in items]
    n = len(gens)

    def gen(ctx: Ctx, env: list[Any], kv: KV) -> bool:
        vs: list[Any] = [None] * n

        def step(i: int) -> bool:
            if i == n:
                return kv(mk(list(vs)))

            def ki(v: Any) -> bool:
                vs[i] = v
                return step(i + 1)

            return gens[i](ctx, env, ki)

        return step(0)

    return CT(gen)


def _call_ct(args: list[CT], call: Callable[[list[Any], Ctx], Any]) -> CT:
    n = len(args)
    if all(a.det is not None for a in args):
        dets = [a.det for a in args]
        if n == 1:
            d0 = dets[0]
            assert d0 is not None
            d0_: Det = d0

            def det1(ctx: Ctx, env: list[Any]) -> Any:
                v = d0_(ctx, env)
                if v is UNDEF:
                    return UNDEF
                return call([v], ctx)

            return ct_det(det1)
        if n == 2:
            d0, d1 = dets[0], dets[1]
            assert d0 is not None and d1 is not None

            def det2(ctx: Ctx, env: list[Any]) -> Any:
                a = d0(ctx, env)
                if a is UNDEF:
                    return UNDEF
                b = d1(ctx, env)
                if b is UNDEF:
                    return UNDEF
                return call([a, b], ctx)

            return ct_det(det2)

        def detn(ctx: Ctx, env: list[Any]) -> Any:
            vs = []
            for d in dets:
                v = d(ctx, env)  # type: ignore[misc]
                if v is UNDEF:
                    return UNDEF
                vs.append(v)
            return call(vs, ctx)

        return ct_det(detn)
    gens = [a.gen for a in args]

    def gen(ctx: Ctx, env: list[Any], kv: KV) -> bool:
        vs: list[Any] = [None] * n

        def step(i: int) -> bool:
            if i == n:
                r = call(list(vs), ctx)
                if r is UNDEF:
                    return False
                return kv(r)

            def ki(v: Any) -> bool:
                vs[i] = v
                return step(i + 1)

            return gens[i](ctx, env, ki)

        return step(0)

    return CT(gen)


def bound_after_args(r: A.Rule, sc: Scope, comp: Compiler) -> set[str]:
    """Variables bound by a function's argument patterns (for else branches)."""
    out: set[str] = set()
    if r.args:
        for a in r.args:
            _walk_vars(a, out)
    return out

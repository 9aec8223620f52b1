"""Compiling rules: registration in the document tree, heads, defaults, else chains."""

from __future__ import annotations

from typing import Any

import seccli.policy.rego.ast as syntax
from seccli.policy.rego.closures import (
    Det,
)
from seccli.policy.rego.compile_core import CompilerCore
from seccli.policy.rego.errors import (
    COMPILE,
    RECURSION,
    TYPE,
    UNSAFE,
    RegoCompileError,
)
from seccli.policy.rego.ruletree import (
    DefC,
    ModuleInfo,
    Node,
    RuleSet,
)
from seccli.policy.rego.scope import Frame, Scope, Unsafe
from seccli.policy.rego.values import UNDEF
from seccli.policy.rego.varscan import (
    body_vars,
    is_ground_literal,
    non_constant,
    package_path,
    static_prefix,
    walk_vars,
)


class RuleCompiler(CompilerCore):
    """Registers modules and compiles rule definitions."""

    def __init__(self, modules: list[syntax.Module], *, strict: bool = False) -> None:
        self.root = Node()
        self.modules: list[ModuleInfo] = []
        self.strict = strict
        self.current: RuleSet | None = None
        self.mi: ModuleInfo | None = None
        self.hoisted = 0
        self.obj_prefixes: set[tuple[str, ...]] = set()
        self.pkg_names: dict[tuple[str, ...], set[str]] = {}
        for m in modules:
            pkg = package_path(m)
            for r in m.rules:
                first = r.ref[0]
                if isinstance(first, syntax.Scalar):
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
                static = static_prefix(r.ref)
                if len(static) < len(r.ref) and r.kind in ("object", "set", "complete"):
                    self.obj_prefixes.add(pkg + tuple(static))
        for m in modules:
            self._add_module(m)

    # -- registration ----------------------------------------------------------------------
    def _add_module(self, m: syntax.Module) -> None:
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
            assert isinstance(first, syntax.Scalar)
            names.add(str(first.value))
            static = static_prefix(r.ref)
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
                            syntax.Rule(
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
    def _compile_default(self, r: syntax.Rule) -> Det:
        frame = Frame()
        sc = Scope(None, frame, set())
        assert r.value is not None
        bad = non_constant(r.value)
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

    def _compile_rule(self, r: syntax.Rule, rs: RuleSet) -> DefC:
        frame = Frame()
        bvars = body_vars(r.body)
        head_vars: set[str] = set()
        for t in (r.key, r.value, *r.ref[1:]):
            if t is not None:
                walk_vars(t, head_vars)
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
                r.value is None or is_ground_literal(r.value)
            )
            if r.kind == "set" and r.key is not None:
                early_partial = is_ground_literal(r.key)
            elif r.kind == "object":
                early_partial = all(is_ground_literal(t) for t in r.ref[r.split :]) and (
                    r.value is None or is_ground_literal(r.value)
                )
            else:
                early_partial = False
            d.early_partial = early_partial
            # else chain
            tail = d
            eb = r.orelse
            while eb is not None:
                ebound = set(bound_after_args(r, sc, self))
                esc = Scope(None, frame, body_vars(eb.body) | head_vars)
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
                nd.early = vt is None or is_ground_literal(vt)
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

    def arg_pattern(self, a: syntax.Term, sc: Scope, bound: set[str]) -> Any:
        """Function argument: declare its variables and build a unifier."""
        names: set[str] = set()
        walk_vars(a, names)
        for nm in names:
            if sc.lookup_declared(nm) is None:
                sc.declare(nm, a)
        return self.pattern(a, sc, bound)

    # -- name resolution -------------------------------------------------------------------


def bound_after_args(r: syntax.Rule, sc: Scope, comp: CompilerCore) -> set[str]:
    """Variables bound by a function's argument patterns (for else branches)."""
    out: set[str] = set()
    if r.args:
        for a in r.args:
            walk_vars(a, out)
    return out

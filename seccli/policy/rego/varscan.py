"""Syntactic scans of Rego terms: variables, closures, constants, static references."""

from __future__ import annotations

from typing import Any

import seccli.policy.rego.ast as syntax
from seccli.policy.rego.builtins import BUILTINS


def package_path(m: syntax.Module) -> tuple[str, ...]:
    return tuple(m.package[1:]) if m.package and m.package[0] == "data" else tuple(m.package)


def static_prefix(ref: list[syntax.Term]) -> list[str]:
    out: list[str] = []
    for t in ref:
        if isinstance(t, syntax.Scalar) and isinstance(t.value, str):
            out.append(t.value)
        else:
            break
    return out


def walk_vars(t: Any, out: set[str], into_bodies: bool = False) -> None:
    """Names of variables appearing in a term/expression (not inside nested bodies)."""
    if isinstance(t, syntax.Var):
        out.add(t.name)
    elif isinstance(t, syntax.Ref):
        walk_vars(t.head, out, into_bodies)
        for p in t.path:
            walk_vars(p, out, into_bodies)
    elif isinstance(t, (syntax.ArrayTerm, syntax.SetTerm)):
        for x in t.items:
            walk_vars(x, out, into_bodies)
    elif isinstance(t, syntax.ObjectTerm):
        for kk, v in t.items:
            walk_vars(kk, out, into_bodies)
            walk_vars(v, out, into_bodies)
    elif isinstance(t, syntax.Call):
        if isinstance(t.fref, syntax.Var) and t.fref.name not in BUILTINS:
            pass
        for x in t.args:
            walk_vars(x, out, into_bodies)
    elif isinstance(t, syntax.Membership):
        if t.key is not None:
            walk_vars(t.key, out, into_bodies)
        walk_vars(t.value, out, into_bodies)
        walk_vars(t.collection, out, into_bodies)
    elif isinstance(t, (syntax.Unify, syntax.Assign)):
        walk_vars(t.left, out, into_bodies)
        walk_vars(t.right, out, into_bodies)
    elif isinstance(t, syntax.SomeIn):
        walk_vars(t.collection, out, into_bodies)
    elif isinstance(t, syntax.Every):
        walk_vars(t.domain, out, into_bodies)
    elif isinstance(t, syntax.Literal):
        walk_vars(t.expr, out, into_bodies)
        for w in t.withs:
            walk_vars(w.value, out, into_bodies)
    elif into_bodies and isinstance(t, (syntax.ArrayCompr, syntax.SetCompr)):
        walk_vars(t.term, out, into_bodies)
        for lit in t.body:
            walk_vars(lit, out, into_bodies)
    elif into_bodies and isinstance(t, syntax.ObjectCompr):
        walk_vars(t.key, out, into_bodies)
        walk_vars(t.value, out, into_bodies)
        for lit in t.body:
            walk_vars(lit, out, into_bodies)
    elif into_bodies and isinstance(t, syntax.Every):
        walk_vars(t.domain, out, into_bodies)
        for lit in t.body:
            walk_vars(lit, out, into_bodies)


def body_vars(body: list[syntax.Literal]) -> set[str]:
    out: set[str] = set()
    for lit in body:
        if isinstance(lit.expr, syntax.Assign):
            # assigned names are declared, not implicit
            rhs: set[str] = set()
            walk_vars(lit.expr.right, rhs)
            out |= rhs
            continue
        if isinstance(lit.expr, syntax.SomeDecl):
            continue
        walk_vars(lit, out)
    return out


def has_closure(e: Any) -> bool:
    found: list[bool] = []

    def visit(t: Any) -> None:
        if isinstance(t, (syntax.ArrayCompr, syntax.SetCompr, syntax.ObjectCompr, syntax.Every)):
            found.append(True)
        elif isinstance(t, syntax.Ref):
            visit(t.head)
            for p in t.path:
                visit(p)
        elif isinstance(t, (syntax.ArrayTerm, syntax.SetTerm)):
            for x in t.items:
                visit(x)
        elif isinstance(t, syntax.ObjectTerm):
            for kk, v in t.items:
                visit(kk)
                visit(v)
        elif isinstance(t, syntax.Call):
            for x in t.args:
                visit(x)
        elif isinstance(t, (syntax.Unify, syntax.Assign)):
            visit(t.left)
            visit(t.right)
        elif isinstance(t, syntax.Membership):
            visit(t.value)
            visit(t.collection)
        elif isinstance(t, syntax.SomeIn):
            visit(t.collection)

    visit(e)
    return bool(found)


def is_ground_literal(t: syntax.Term) -> bool:
    """A scalar or a collection literal of scalars (no vars, refs, calls or comprehensions)."""
    if isinstance(t, (syntax.ArrayCompr, syntax.SetCompr, syntax.ObjectCompr)):
        return False
    return non_constant(t) is None


def non_constant(t: syntax.Term) -> str | None:
    """What makes a default value non-constant (``var``, ``ref``, ``call``...), if anything."""
    if isinstance(t, syntax.Scalar):
        return None
    if isinstance(t, (syntax.ArrayTerm, syntax.SetTerm)):
        for x in t.items:
            r = non_constant(x)
            if r:
                return r
        return None
    if isinstance(t, syntax.ObjectTerm):
        for kk, v in t.items:
            r = non_constant(kk) or non_constant(v)
            if r:
                return r
        return None
    if isinstance(t, syntax.Var):
        return "var"
    if isinstance(t, syntax.Ref):
        return "ref"
    if isinstance(t, syntax.Call):
        return "call"
    if isinstance(t, (syntax.ArrayCompr, syntax.SetCompr, syntax.ObjectCompr)):
        return None
    return "expression"


def closure_vars(e: Any, out: set[str]) -> None:
    """Variables used inside comprehensions and ``every`` bodies nested in ``e``."""
    if isinstance(e, (syntax.ArrayCompr, syntax.SetCompr, syntax.ObjectCompr)):
        inner: set[str] = set()
        if isinstance(e, syntax.ObjectCompr):
            walk_vars(e.key, inner, True)
            walk_vars(e.value, inner, True)
        else:
            walk_vars(e.term, inner, True)
        declared: set[str] = set()
        for lit in e.body:
            walk_vars(lit, inner, True)
            closure_vars(lit.expr, inner)
            x = lit.expr
            if isinstance(x, syntax.Assign):
                walk_vars(x.left, declared)
            elif isinstance(x, syntax.SomeDecl):
                declared.update(v.name for v in x.names)
            elif isinstance(x, syntax.SomeIn):
                if x.key is not None:
                    walk_vars(x.key, declared)
                walk_vars(x.value, declared)
        out |= inner - declared
    elif isinstance(e, syntax.Every):
        for lit in e.body:
            walk_vars(lit, out, True)
        if e.key is not None:
            out.discard(e.key.name)  # type: ignore[union-attr]
        out.discard(e.value.name)  # type: ignore[union-attr]
    elif isinstance(e, syntax.Ref):
        closure_vars(e.head, out)
        for p in e.path:
            closure_vars(p, out)
    elif isinstance(e, (syntax.ArrayTerm, syntax.SetTerm)):
        for x in e.items:
            closure_vars(x, out)
    elif isinstance(e, syntax.ObjectTerm):
        for kk, v in e.items:
            closure_vars(kk, out)
            closure_vars(v, out)
    elif isinstance(e, syntax.Call):
        for x in e.args:
            closure_vars(x, out)
    elif isinstance(e, (syntax.Unify, syntax.Assign)):
        closure_vars(e.left, out)
        closure_vars(e.right, out)
    elif isinstance(e, syntax.Membership):
        closure_vars(e.value, out)
        closure_vars(e.collection, out)
    elif isinstance(e, syntax.SomeIn):
        closure_vars(e.collection, out)


def static_ref(t: syntax.Term) -> list[str] | None:
    if isinstance(t, syntax.Var):
        return [t.name]
    if isinstance(t, syntax.Ref) and isinstance(t.head, syntax.Var):
        out = [t.head.name]
        for p in t.path:
            if isinstance(p, syntax.Scalar) and isinstance(p.value, str):
                out.append(p.value)
            else:
                return None
        return out
    return None

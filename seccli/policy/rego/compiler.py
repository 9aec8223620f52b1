"""The Rego compiler: parsed modules in, a virtual document tree of compiled closures out.

Every body literal becomes a closure in continuation-passing style and every term a
deterministic or generating closure (see :mod:`closures`).  Variable binding order is decided
at compile time (OPA's safety reordering), so no unification work is repeated per
evaluation.  The compiler is assembled from one part per construct: rules
(:mod:`compile_rules`), bodies (:mod:`compile_bodies`), ``with`` (:mod:`compile_with`),
unification (:mod:`compile_unify`), terms and references (:mod:`compile_terms`),
comprehensions (:mod:`compile_compr`) and calls (:mod:`compile_calls`).
"""

from __future__ import annotations

from seccli.policy.rego.compile_bodies import BodyCompiler
from seccli.policy.rego.compile_calls import CallCompiler
from seccli.policy.rego.compile_compr import ComprehensionCompiler
from seccli.policy.rego.compile_rules import RuleCompiler
from seccli.policy.rego.compile_terms import TermCompiler
from seccli.policy.rego.compile_unify import UnifyCompiler
from seccli.policy.rego.compile_with import WithCompiler

__all__ = ["Compiler"]


class Compiler(
    RuleCompiler,
    BodyCompiler,
    WithCompiler,
    UnifyCompiler,
    TermCompiler,
    ComprehensionCompiler,
    CallCompiler,
):
    """Turns modules into a virtual document tree of compiled rule sets."""

"""The Rego abstract syntax tree produced by the parser and consumed by the compiler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Node:
    """Base of every node: a 1-based line and column."""

    line: int
    col: int


@dataclass(slots=True)
class Scalar(Node):
    value: Any


@dataclass(slots=True)
class Var(Node):
    name: str


@dataclass(slots=True)
class Ref(Node):
    """``head.key[expr]...``; ``head`` is any term; keys are terms (strings for ``.name``)."""

    head: Term
    path: list[Term]


@dataclass(slots=True)
class ArrayTerm(Node):
    items: list[Term]


@dataclass(slots=True)
class SetTerm(Node):
    items: list[Term]


@dataclass(slots=True)
class ObjectTerm(Node):
    items: list[tuple[Term, Term]]


@dataclass(slots=True)
class ArrayCompr(Node):
    term: Term
    body: list[Literal]


@dataclass(slots=True)
class SetCompr(Node):
    term: Term
    body: list[Literal]


@dataclass(slots=True)
class ObjectCompr(Node):
    key: Term
    value: Term
    body: list[Literal]


@dataclass(slots=True)
class Call(Node):
    """A call; ``name`` is the dotted operator name (``count``, ``data.lib.f``, ``plus``)."""

    name: str
    fref: Term  # the operator as a term (a Var or a Ref), for data functions and mocks
    args: list[Term]


@dataclass(slots=True)
class Membership(Node):
    """``x in xs`` or ``k, x in xs`` used as a term (evaluates to a boolean)."""

    key: Term | None
    value: Term
    collection: Term


@dataclass(slots=True)
class TemplateString(Node):
    """``$"text {expr} text"``: parts are strings or literals (an expression with modifiers)."""

    parts: list[Any]


Term = (
    Scalar
    | Var
    | Ref
    | ArrayTerm
    | SetTerm
    | ObjectTerm
    | ArrayCompr
    | SetCompr
    | ObjectCompr
    | Call
    | Membership
    | TemplateString
)


@dataclass(slots=True)
class With(Node):
    target: Term
    value: Term


@dataclass(slots=True)
class Unify(Node):
    left: Term
    right: Term


@dataclass(slots=True)
class Assign(Node):
    left: Term
    right: Term


@dataclass(slots=True)
class SomeDecl(Node):
    names: list[Var]


@dataclass(slots=True)
class SomeIn(Node):
    key: Term | None
    value: Term
    collection: Term


@dataclass(slots=True)
class Every(Node):
    key: Term | None
    value: Term
    domain: Term
    body: list[Literal]


Expr = Unify | Assign | SomeDecl | SomeIn | Every | Term


@dataclass(slots=True)
class Literal(Node):
    expr: Expr
    negated: bool = False
    withs: list[With] = field(default_factory=list)


@dataclass(slots=True)
class RuleBody(Node):
    """One definition body (``else`` branches chain through ``orelse``)."""

    body: list[Literal]
    value: Term | None
    orelse: RuleBody | None = None


@dataclass(slots=True)
class Rule(Node):
    """A rule or function definition.

    ``ref`` is the head reference relative to the package (first element a string name);
    ``kind`` is ``complete``, ``set``, ``object`` or ``func``.
    """

    ref: list[Term]
    kind: str
    args: list[Term] | None
    key: Term | None  # set member (kind set)
    value: Term | None
    body: list[Literal]
    orelse: RuleBody | None
    default: bool = False
    file: str = ""
    split: int = -1  # object rules: number of leading static ref terms (the rule's path)
    set_leaf: bool = False  # object rules whose leaves are sets (``a[x].b contains y``)


@dataclass(slots=True)
class Import(Node):
    path: list[str]
    alias: str | None


@dataclass(slots=True)
class Module:
    file: str
    package: list[str]
    imports: list[Import]
    rules: list[Rule]
    v1: bool


# Expressions that are plain terms (a query reports their value; a template embeds it).
QUERY_TERMS = (
    Scalar,
    Var,
    Ref,
    Call,
    ArrayTerm,
    ObjectTerm,
    SetTerm,
    ArrayCompr,
    SetCompr,
    ObjectCompr,
    Membership,
)

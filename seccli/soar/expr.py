"""Playbook conditions: a tiny, safe expression language (tokenizer + recursive descent).

Grammar (lowest precedence first)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := value (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") value)?
    value   := literal | variable | path | call | "(" expr ")" | "[" [expr ("," expr)*] "]"
    variable:= "$" NAME ("." NAME | "[" INT "]")*
    path    := "steps" "." NAME "." ("output" | "outcome") ("." NAME | "[" INT "]")*
    call    := NAME "(" [expr ("," expr)*] ")"     (functions in ``FUNCTIONS`` only)

Literals: strings in single or double quotes, integers, decimals, ``true``, ``false``,
``null``. Nothing is ever passed to ``eval``; evaluation is bounded by the expression's size.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_EXPRESSION_CHARS = 2000


class ExpressionError(Exception):
    """An expression that does not parse, or fails while evaluated (message without values)."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>\d+(?:\.\d+)?)
      | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,|\.|\$)
      | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind (num, str, op, name, end), text and offset."""

    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` (``ExpressionError`` on a character that starts none)."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ExpressionError(f"unexpected character {text[pos:].lstrip()[:1]!r} at {pos}")
        kind = match.lastgroup or ""
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# -- syntax tree -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


@dataclass(frozen=True, slots=True)
class Var:
    """``$name.a[0]``: an input or variable, then keys and indexes."""

    name: str
    rest: tuple[str | int, ...] = ()


@dataclass(frozen=True, slots=True)
class StepRef:
    """``steps.NAME.output.key`` or ``steps.NAME.outcome``."""

    step: str
    field: str
    rest: tuple[str | int, ...] = ()


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ListOf:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = Literal | Var | StepRef | Call | ListOf | Unary | Binary


def _length(value: Any) -> int:
    if isinstance(value, str | list | dict | tuple):
        return len(value)
    raise ExpressionError(f"len() of a {type(value).__name__}")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise ExpressionError(f"expected a string, got {type(value).__name__}")


def _number(value: Any) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise ExpressionError(f"expected a number, got {type(value).__name__}")


def _add_hours(moment: Any, hours: Any) -> str:
    from datetime import datetime, timedelta

    from seccli.core.clock import utc_iso

    try:
        start = datetime.fromisoformat(_text(moment).replace("Z", "+00:00"))
    except ValueError:
        raise ExpressionError("add_hours(): not an ISO 8601 time") from None
    if start.tzinfo is None:
        raise ExpressionError("add_hours(): the time needs a UTC offset")
    return utc_iso(start + timedelta(hours=_number(hours)))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "add": lambda a, b: _number(a) + _number(b),
    "add_hours": _add_hours,
    "len": _length,
    "lower": lambda v: _text(v).lower(),
    "upper": lambda v: _text(v).upper(),
    "startswith": lambda v, p: _text(v).startswith(_text(p)),
    "endswith": lambda v, p: _text(v).endswith(_text(p)),
    "contains": lambda v, p: p in v if isinstance(v, str | list | dict) else False,
    "default": lambda v, d: d if v is None else v,
    "int": lambda v: int(v) if isinstance(v, int | float | str) else _bad("int", v),
    "str": lambda v: v if isinstance(v, str) else _json_text(v),
}


def _bad(name: str, value: Any) -> Any:
    raise ExpressionError(f"{name}() of a {type(value).__name__}")


def _json_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        token = self.peek
        if token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return token
        return None

    def expect(self, kind: str, text: str | None = None) -> Token:
        token = self.accept(kind, text)
        if token is None:
            found = self.peek.text or "end of expression"
            raise ExpressionError(f"expected {text or kind} at {self.peek.pos}, found {found!r}")
        return token

    def parse(self) -> Node:
        node = self.or_()
        if self.peek.kind != "end":
            raise ExpressionError(f"unexpected {self.peek.text!r} at {self.peek.pos}")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.accept("name", "or"):
            node = Binary("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.accept("name", "and"):
            node = Binary("and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.accept("name", "not"):
            return Unary("not", self.not_())
        return self.compare()

    def compare(self) -> Node:
        left = self.value()
        token = self.peek
        if token.kind == "op" and token.text in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return Binary(token.text, left, self.value())
        if self.accept("name", "in"):
            return Binary("in", left, self.value())
        if (
            token.kind == "name"
            and token.text == "not"
            and self.tokens[self.index + 1].text == "in"
        ):
            self.index += 2
            return Unary("not", Binary("in", left, self.value()))
        return left

    def value(self) -> Node:
        token = self.take()
        if token.kind == "num":
            return Literal(float(token.text) if "." in token.text else int(token.text))
        if token.kind == "str":
            return Literal(_unquote(token.text))
        if token.kind == "op" and token.text == "(":
            node = self.or_()
            self.expect("op", ")")
            return node
        if token.kind == "op" and token.text == "[":
            return ListOf(self.items("]"))
        if token.kind == "op" and token.text == "$":
            name = self.expect("name").text
            return Var(name, self.rest())
        if token.kind == "name":
            return self.named(token)
        raise ExpressionError(f"unexpected {token.text or 'end of expression'!r} at {token.pos}")

    def named(self, token: Token) -> Node:
        constants = {"true": True, "false": False, "null": None}
        if token.text in constants:
            return Literal(constants[token.text])
        if token.text == "steps":
            self.expect("op", ".")
            step = self.expect("name").text
            self.expect("op", ".")
            field = self.expect("name").text
            if field not in ("output", "outcome"):
                raise ExpressionError(f"steps.{step}.{field}: expected output or outcome")
            return StepRef(step, field, self.rest())
        if self.accept("op", "("):
            if token.text not in FUNCTIONS:
                raise ExpressionError(f"unknown function {token.text!r}")
            return Call(token.text, self.items(")"))
        raise ExpressionError(
            f"unknown name {token.text!r} at {token.pos} (variables are written $name)"
        )

    def items(self, closing: str) -> tuple[Node, ...]:
        found: list[Node] = []
        if self.accept("op", closing):
            return ()
        while True:
            found.append(self.or_())
            if self.accept("op", closing):
                return tuple(found)
            self.expect("op", ",")

    def rest(self) -> tuple[str | int, ...]:
        parts: list[str | int] = []
        while True:
            if self.accept("op", "."):
                parts.append(self.expect("name").text)
            elif self.peek.kind == "op" and self.peek.text == "[":
                self.take()
                parts.append(int(self.expect("num").text))
                self.expect("op", "]")
            else:
                return tuple(parts)


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


_CACHE: dict[str, Node] = {}


def parse(text: str) -> Node:
    """The syntax tree of ``text`` (cached; ``ExpressionError`` when it does not parse)."""
    node = _CACHE.get(text)
    if node is None:
        node = _Parser(text).parse()
        if len(_CACHE) < 4096:
            _CACHE[text] = node
    return node


def references(node: Node) -> Iterator[Var | StepRef]:
    """Every variable and step reference in ``node``."""
    if isinstance(node, Var | StepRef):
        yield node
    elif isinstance(node, Call | ListOf):
        for item in node.args if isinstance(node, Call) else node.items:
            yield from references(item)
    elif isinstance(node, Unary):
        yield from references(node.operand)
    elif isinstance(node, Binary):
        yield from references(node.left)
        yield from references(node.right)


@dataclass(frozen=True, slots=True)
class Scope:
    """What expressions see: variables and, per step, its outcome and output."""

    variables: Mapping[str, Any]
    outcomes: Mapping[str, str]
    outputs: Mapping[str, Any]


def evaluate(node: Node, scope: Scope) -> Any:
    """The value of ``node`` in ``scope`` (``ExpressionError`` on a type or lookup error)."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Var):
        if node.name not in scope.variables:
            raise ExpressionError(f"${node.name} is not defined")
        return _walk(scope.variables[node.name], node.rest, f"${node.name}")
    if isinstance(node, StepRef):
        if node.field == "outcome":
            return scope.outcomes.get(node.step)
        if node.step not in scope.outputs:
            raise ExpressionError(f"step {node.step!r} has no output (it has not run)")
        return _walk(scope.outputs[node.step], node.rest, f"steps.{node.step}.output")
    if isinstance(node, ListOf):
        return [evaluate(item, scope) for item in node.items]
    if isinstance(node, Call):
        args = [evaluate(arg, scope) for arg in node.args]
        try:
            return FUNCTIONS[node.name](*args)
        except ExpressionError:
            raise
        except (TypeError, ValueError) as exc:
            raise ExpressionError(f"{node.name}(): {type(exc).__name__}") from None
    if isinstance(node, Unary):
        return not truthy(evaluate(node.operand, scope))
    return _binary(node, scope)


def _binary(node: Binary, scope: Scope) -> Any:
    if node.op == "and":
        return truthy(evaluate(node.left, scope)) and truthy(evaluate(node.right, scope))
    if node.op == "or":
        return truthy(evaluate(node.left, scope)) or truthy(evaluate(node.right, scope))
    left, right = evaluate(node.left, scope), evaluate(node.right, scope)
    if node.op == "==":
        return _same(left, right)
    if node.op == "!=":
        return not _same(left, right)
    if node.op == "in":
        if isinstance(right, str) and isinstance(left, str):
            return left in right
        if isinstance(right, list | tuple):
            return any(_same(left, item) for item in right)
        if isinstance(right, dict):
            return left in right
        raise ExpressionError(f"'in' needs a list, mapping or string, got {type(right).__name__}")
    return _order(node.op, left, right)


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)


def _order(op: str, left: Any, right: Any) -> bool:
    numbers = isinstance(left, int | float) and isinstance(right, int | float)
    if not numbers and not (isinstance(left, str) and isinstance(right, str)):
        raise ExpressionError(f"cannot compare {type(left).__name__} {op} {type(right).__name__}")
    if isinstance(left, bool) or isinstance(right, bool):
        raise ExpressionError(f"cannot order booleans with {op}")
    return bool(
        {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    )


def _walk(value: Any, rest: Sequence[str | int], where: str) -> Any:
    for part in rest:
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                raise ExpressionError(f"{where}[{part}]: no such item")
            value = value[part]
            where = f"{where}[{part}]"
        else:
            if not isinstance(value, dict):
                raise ExpressionError(f"{where}.{part}: not a mapping")
            value = value.get(part)
            where = f"{where}.{part}"
    return value


def truthy(value: Any) -> bool:
    """Condition truth: false, null, 0, "" and empty collections are false."""
    return bool(value)


def evaluate_text(text: str, scope: Scope) -> Any:
    """Parse and evaluate ``text``."""
    return evaluate(parse(text), scope)

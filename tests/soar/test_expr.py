"""The condition language: values, operators, functions, and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from seccli.soar.expr import ExpressionError, Scope, evaluate_text, parse
from seccli.soar.templates import render

SCOPE = Scope(
    variables={"n": 3, "name": "api", "tags": ["pii", "x"], "m": {"a": {"b": [1, 2]}}, "t": True},
    outcomes={"rotate": "success"},
    outputs={"rotate": {"version": 4}},
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$n == 3", True),
        ("$n != 3", False),
        ("$n >= 3 and $n < 4", True),
        ("not $t or $n > 10", False),
        ("'pii' in $tags", True),
        ("'zz' not in $tags", True),
        ("'pi' in 'pii'", True),
        ("$m.a.b[1]", 2),
        ("steps.rotate.output.version", 4),
        ("steps.rotate.outcome == 'success'", True),
        ("steps.other.outcome", None),
        ("len($tags) == 2", True),
        ("upper($name)", "API"),
        ("startswith($name, 'a')", True),
        ("add($n, 1.5)", 4.5),
        ("add_hours('2026-03-02T09:30:00Z', 72)", "2026-03-05T09:30:00.000000Z"),
        ("default(null, 'd')", "d"),
        ("[1, 'a', true] == [1, 'a', true]", True),
        ("(1 == 1) == true", True),
        ('"double \\"quoted\\""', 'double "quoted"'),
        ("1 == true", False),
    ],
)
def test_values(text: str, value: Any) -> None:
    assert evaluate_text(text, SCOPE) == value


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "open('/etc/passwd')",
        "1 +",
        "$",
        "(1 == 1",
        "name",
        "steps.x.input",
        "'unterminated",
        "1 ; 2",
        "x" * 3000,
    ],
)
def test_refused_at_parse(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "$undefined",
        "$n.__class__",  # keys are looked up in mappings only, never attributes
        "$n < 'a'",
        "true < false",
        "$n in 5",
        "steps.nothing.output",
        "$m.a.b[7]",
        "len(5)",
        "add_hours('yesterday', 1)",
        "add_hours('2026-03-02T09:30:00', 1)",
    ],
)
def test_refused_at_evaluation(text: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate_text(text, SCOPE)


def test_templates_keep_types_or_interpolate() -> None:
    assert render("${$n}", SCOPE) == 3
    assert render("n=${$n} tags=${$tags}", SCOPE) == 'n=3 tags=["pii", "x"]'
    assert render({"a": ["${$name}", 1]}, SCOPE) == {"a": ["api", 1]}
    assert render("no template", SCOPE) == "no template"

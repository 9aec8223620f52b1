"""Limits never read as "undefined": a builtin's size limit, the deadline, a number too large or
too deep a recursion abort the evaluation (``EvaluationAborted``), strict mode or not.

Every case is a policy that *denies* small values, evaluated on a value just over a limit: the
old engine turned the limit into a builtin error, hence undefined, hence "no violation".
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from seccli.policy.rego import EvaluationAborted, Limits, RegoParseError, compile
from seccli.policy.rego.budget import MAX_ELEMENTS, MAX_STRING, MAX_YAML

MB = 1024 * 1024


def _deny(expr: str) -> str:
    return f'package t\nimport rego.v1\n\ndeny contains "too big" if {{\n  {expr}\n}}\n'


def _dag(levels: int) -> str:
    """Rules l0..lN where each level is an array holding the previous one twice: a value of
    2**N leaves that takes N small objects in memory."""
    lines = ["l0 := input.leaf"]
    lines += [f"l{i} := [l{i - 1}, l{i - 1}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


# (id, rego expression that is true for anything "big", input just over a limit)
OVER_LIMIT: list[tuple[str, str, dict[str, Any]]] = [
    ("range", "count(numbers.range(1, input.n)) > 10", {"n": MAX_ELEMENTS + 1}),
    ("range-replicas", "count(numbers.range(1, input.n)) > 10", {"n": 20_000_000}),
    ("range-negative", "count(numbers.range(input.n, 0)) > 10", {"n": -MAX_ELEMENTS - 5}),
    ("range_step", "count(numbers.range_step(0, input.n, 1)) > 10", {"n": MAX_ELEMENTS + 1}),
    ("cidr-/15", "count(net.cidr_expand(input.cidr)) > 256", {"cidr": "10.0.0.0/15"}),
    ("cidr-/0", "count(net.cidr_expand(input.cidr)) > 256", {"cidr": "0.0.0.0/0"}),
    ("cidr-v6", "count(net.cidr_expand(input.cidr)) > 256", {"cidr": "fd00::/64"}),
    (
        "concat",
        'count(concat("", [input.s | some _ in numbers.range(1, 17)])) > 10',
        {"s": "a" * MB},
    ),
    (
        "replace-amplify",
        'count(replace(input.s, "a", input.t)) > 10',
        {"s": "a" * 5000, "t": "b" * 5000},
    ),
    (
        "replace-empty",
        'count(replace(input.s, "", input.t)) > 10',
        {"s": "a" * 5000, "t": "b" * 5000},
    ),
    (
        "replace_n",
        'count(strings.replace_n({"a": input.t}, input.s)) > 10',
        {"s": "a" * 5000, "t": "b" * 5000},
    ),
    (
        "array.concat",
        "count(array.concat(numbers.range(1, input.n), numbers.range(1, input.n))) > 10",
        {"n": MAX_ELEMENTS // 2 + 1},
    ),
    ("sprintf-width", "count(sprintf(input.f, [1])) > 10", {"f": "%1000001d"}),
    ("sprintf-precision", "count(sprintf(input.f, [1.5])) > 10", {"f": "%.9999999f"}),
    ("sprintf-width-digits", "count(sprintf(input.f, [1])) > 10", {"f": "%" + "9" * 40 + "d"}),
    ("split-empty", 'count(split(input.s, "")) > 10', {"s": "a" * (MAX_ELEMENTS + 1)}),
    ("split", 'count(split(input.s, ",")) > 10', {"s": "," * (MAX_ELEMENTS + 1)}),
    ("indexof_n", 'count(indexof_n(input.s, "a")) > 10', {"s": "a" * (MAX_ELEMENTS + 1)}),
    ("regex.find_n", 'count(regex.find_n("a", input.s, -1)) > 10', {"s": "a" * (MAX_ELEMENTS + 1)}),
    ("regex.split", 'count(regex.split("a", input.s)) > 10', {"s": "a" * (MAX_ELEMENTS + 1)}),
    (
        "regex.replace",
        'count(regex.replace(input.s, "", input.t)) > 10',
        {"s": "a" * 5000, "t": "b" * 5000},
    ),
    ("regex-too-large", 'not regex.match(input.p, "x")', {"p": "x" * 3_000_000}),
    ("glob-too-large", 'not glob.match(input.p, [], "x")', {"p": "x" * 3_000_000}),
    ("yaml-input-size", "yaml.unmarshal(input.s) != null", {"s": "a: " + "b" * MAX_YAML}),
    (
        "yaml-billion-laughs",
        "count(yaml.unmarshal(input.s)) > 0",
        {
            "s": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            )
        },
    ),
    (
        "graph.reachable_paths",
        'count(graph.reachable_paths(input.g, ["n0"])) > 1',
        {"g": {f"n{i}": [f"n{j}" for j in range(12) if j != i] for i in range(12)}},
    ),
    (
        "union",
        "count(union({{x | some x in numbers.range(1, input.n)}, "
        "{x | some x in numbers.range(input.n + 1, 2 * input.n)}})) > 10",
        {"n": MAX_ELEMENTS // 2 + 1},
    ),
]


# strict builtin errors must not matter either (the slow cases run once, non-strict)
_STRICT_TOO = {"range", "cidr-/0", "concat", "sprintf-width", "replace-amplify", "regex-too-large"}
CASES = [
    pytest.param(expr, doc, strict, id=f"{name}-{'strict' if strict else 'non-strict'}")
    for name, expr, doc in OVER_LIMIT
    for strict in ((False, True) if name in _STRICT_TOO else (False,))
]


@pytest.mark.parametrize(("expr", "doc", "strict"), CASES)
def test_a_value_over_a_builtin_limit_aborts_and_never_admits(
    expr: str, doc: dict[str, Any], strict: bool
) -> None:
    policy = compile({"t.rego": _deny(expr)})
    with pytest.raises(EvaluationAborted) as exc:
        policy.eval(
            "data.t.deny",
            doc,
            strict_builtin_errors=strict,
            limits=Limits(max_steps=10_000_000, timeout=8),
        )
    assert exc.value.code == "eval_limit_error"
    assert exc.value.reason in ("limit", "timeout")
    assert exc.value.line == 5  # the builtin call is named with its place
    assert exc.value.file == "t.rego"


# (expression, input under the limit): the same policies still judge smaller values
UNDER_LIMIT = [
    ("count(numbers.range(1, input.n)) > 10", {"n": 11}),
    ("count(numbers.range(1, input.n)) > 10", {"n": MAX_ELEMENTS - 1}),
    ("count(net.cidr_expand(input.cidr)) > 256", {"cidr": "10.0.0.0/23"}),
    ("count(net.cidr_expand(input.cidr)) > 256", {"cidr": "10.0.0.0/16"}),
    ("count(sprintf(input.f, [1])) > 10", {"f": "%20d"}),
    ('count(replace(input.s, "a", input.t)) > 10', {"s": "aaaa", "t": "bbbb"}),
    ('count(split(input.s, ",")) > 10', {"s": "," * 20}),
]


@pytest.mark.parametrize(("expr", "doc"), UNDER_LIMIT)
def test_values_under_the_limits_are_still_judged(expr: str, doc: dict[str, Any]) -> None:
    result = compile({"t.rego": _deny(expr)}).eval("data.t.deny", doc)
    assert result.value == {"too big"}


@pytest.mark.parametrize(
    "use",
    [
        "json.marshal(l40)",
        "yaml.marshal(l40)",
        'sprintf("%v", [l40])',
        "json.patch(l40, [])",
        'concat("", [json.marshal(l40)])',
    ],
)
def test_shared_values_that_would_expand_enormously_are_refused(use: str) -> None:
    src = "package t\nimport rego.v1\n" + _dag(40) + f"deny contains 1 if count({use}) > 0\n"
    started = time.monotonic()
    with pytest.raises(EvaluationAborted) as exc:
        compile({"t.rego": src}).eval("data.t.deny", {"leaf": "x" * 100})
    assert exc.value.reason == "limit"
    assert time.monotonic() - started < 5


def test_a_string_template_of_a_shared_value_is_refused() -> None:
    src = "package t\nimport rego.v1\n" + _dag(40) + 'deny contains 1 if count($"{l40}") > 0\n'
    with pytest.raises(EvaluationAborted):
        compile({"t.rego": src}).eval("data.t.deny", {"leaf": "x"})


def test_the_gate_refuses_a_result_too_large_to_report() -> None:
    from seccli.policy.rego.budget import logical_size

    src = "package t\nimport rego.v1\n" + _dag(40) + 'violation contains {"msg": "m", "d": l40}\n'
    value = compile({"t.rego": src}).eval("data.t.violation", {"leaf": "x"}).value
    with pytest.raises(EvaluationAborted):
        logical_size(value, MAX_STRING)


# -- the deadline holds within a small factor ------------------------------------------------
EXPENSIVE = [
    (
        "cidr_expand",
        "count([1 | some i in numbers.range(1, 100000); "
        'n := net.cidr_expand(sprintf("10.%d.0.0/16", [i % 200]))]) > 0',
        {},
    ),
    (
        "regex.match",
        'count([1 | some i in numbers.range(1, 100000); regex.match(sprintf("b%d", [i]), input.s)])'
        " >= 0",
        {"s": "a" * (8 * MB)},
    ),
    (
        "json.marshal",
        "count([1 | some i in numbers.range(1, 100000); json.marshal([i, input.v])]) > 0",
        {"v": ["x" * 64] * 100_000},
    ),
    (
        "sprintf-width",
        'count([1 | some i in numbers.range(1, 100000); sprintf("%900000d", [i])]) > 0',
        {},
    ),
    (
        "replace_n-one-long-call",
        'count(strings.replace_n({"zz": "y"}, input.s)) > 0',
        {"s": "ab" * (4 * MB)},
    ),
    (
        "upper",
        "count([1 | some i in numbers.range(1, 100000); upper(input.s)]) > 0",
        {"s": "a" * (4 * MB)},
    ),
]


@pytest.mark.parametrize(("expr", "doc"), [c[1:] for c in EXPENSIVE], ids=[c[0] for c in EXPENSIVE])
def test_expensive_builtins_stop_at_the_deadline(expr: str, doc: dict[str, Any]) -> None:
    policy = compile({"t.rego": _deny(expr)})
    started = time.monotonic()
    with pytest.raises(EvaluationAborted) as exc:
        policy.eval("data.t.deny", doc, limits=Limits(max_steps=10**12, timeout=1.0))
    elapsed = time.monotonic() - started
    assert exc.value.reason == "timeout"
    assert "timed out" in str(exc.value)
    assert elapsed < 3.0, f"deadline 1 s, stopped after {elapsed:.1f} s"


def test_the_deadline_holds_in_with_scopes_and_functions() -> None:
    src = (
        "package t\nimport rego.v1\n"
        'f(i) := count(net.cidr_expand(sprintf("10.%d.0.0/16", [i % 200])))\n'
        "deny contains 1 if {\n"
        "  count([1 | some i in numbers.range(1, 100000); f(i) with input as {}]) > 0\n"
        "}\n"
    )
    started = time.monotonic()
    with pytest.raises(EvaluationAborted) as exc:
        compile({"t.rego": src}).eval("data.t.deny", {}, limits=Limits(timeout=1.0))
    assert exc.value.reason == "timeout"
    assert time.monotonic() - started < 3.0


def test_a_deadline_does_not_leak_into_the_next_evaluation() -> None:
    slow = compile({"t.rego": _deny(EXPENSIVE[0][1])})
    with pytest.raises(EvaluationAborted):
        slow.eval("data.t.deny", {}, limits=Limits(timeout=0.2))
    fast = compile({"t.rego": _deny("count(net.cidr_expand(input.c)) > 256")})
    assert fast.eval("data.t.deny", {"c": "10.0.0.0/16"}).value == {"too big"}


def test_step_limit_and_recursion_are_aborts_with_their_reason() -> None:
    src = _deny("count([1 | some a in input; some b in input; some c in input]) > 0")
    with pytest.raises(EvaluationAborted) as exc:
        compile({"t.rego": src}).eval(
            "data.t.deny", list(range(100)), limits=Limits(max_steps=1000)
        )
    assert exc.value.reason == "limit" and "steps" in str(exc.value)
    doc: object = 1
    for _ in range(30_000):
        doc = [doc]
    deep = compile({"t.rego": _deny("count(json.marshal(input)) > 0")})
    with pytest.raises(EvaluationAborted) as exc:
        deep.eval("data.t.deny", doc)
    assert exc.value.reason in ("recursion", "limit")


# -- integers too large for Python's int/str conversion ----------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "package t\np := " + "1" * 4301 + "\n",
        "package t\np := -" + "9" * 5000 + "\n",
        "package t\nimport rego.v1\np if input.x > " + "7" * 10000 + "\n",
        'package t\nimport rego.v1\np := [1, 2, {"a": ' + "1" * 4400 + "}]\n",
        'package t\nimport rego.v1\np := $"{' + "1" * 4301 + '}"\n',
    ],
    ids=["literal", "negative", "comparison", "nested", "template-string"],
)
def test_a_huge_integer_literal_is_a_parse_error_with_its_line(source: str) -> None:
    with pytest.raises(RegoParseError) as exc:
        compile({"big.rego": source})
    assert exc.value.file == "big.rego"
    assert exc.value.line in (2, 3)
    assert "too large" in str(exc.value)


def test_integer_literals_up_to_the_limit_still_compile() -> None:
    src = "package t\nimport rego.v1\np if input.x > " + "7" * 4300 + "\n"
    assert not compile({"t.rego": src}).eval("data.t.p", {"x": 1}).defined
    assert compile({"t.rego": src}).eval("data.t.p", {"x": 10**4300}).defined


HUGE = 10**5000


@pytest.mark.parametrize(
    ("expr", "doc"),
    [
        ('count(sprintf("%v", [input.n])) > 0', {"n": HUGE}),
        ('count(sprintf("%d", [input.n])) > 0', {"n": HUGE}),
        ("count(format_int(input.n, 10)) > 0", {"n": HUGE}),
        ("count(json.marshal(input)) > 0", {"n": HUGE}),
        ("to_number(input.s) > 10", {"s": "9" * 5000}),
        ("to_number(input.s) > 10", {"s": "-" + "9" * 5000}),
        ("units.parse_bytes(input.s) > 10", {"s": "1e5000"}),
        ("units.parse_bytes(input.s) > 10", {"s": "1e99999999Ki"}),
        ("units.parse(input.s) > 10", {"s": "9" * 5000 + "m"}),
        ("time.parse_duration_ns(input.s) > 10", {"s": "9" * 5000 + "s"}),
        ("json.unmarshal(input.s) > 10", {"s": "9" * 5000}),
        ("json.is_valid(input.s)", {"s": "[" + "9" * 5000 + "]"}),
        ("yaml.unmarshal(input.s) > 10", {"s": "9" * 5000}),
        ("product([10 | some _ in numbers.range(1, 5000)]) > 10", {}),
        ("sum([input.n, input.n]) > 10", {"n": 10**4300 - 1}),
        ("input.n * input.n > 10", {"n": 10**3000}),
        ("bits.lsh(1, 5000) > 10", {}),
        (
            "io.jwt.decode(input.t)[1].n > 10",
            {
                "t": "eyJhbGciOiJIUzI1NiJ9."
                + __import__("base64")
                .urlsafe_b64encode(('{"n":' + "9" * 5000 + "}").encode())
                .decode()
                .rstrip("=")
                + ".c2ln"
            },
        ),
    ],
)
def test_a_number_too_large_aborts_instead_of_reading_as_undefined(
    expr: str, doc: dict[str, Any]
) -> None:
    policy = compile({"t.rego": _deny(expr)})
    with pytest.raises(EvaluationAborted) as exc:
        policy.eval("data.t.deny", doc)
    assert exc.value.reason in ("number", "limit")


def test_huge_numbers_in_base_data_abort_when_converted() -> None:
    src = _deny('count(sprintf("%v", [data.cfg.n])) > 0')
    with pytest.raises(EvaluationAborted) as exc:
        compile({"t.rego": src}, data={"cfg": {"n": HUGE}}).eval("data.t.deny", {})
    assert exc.value.reason == "number"

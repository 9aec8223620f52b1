"""Evaluation limits: deep recursion and huge comprehensions end with a clear error."""

from __future__ import annotations

import time

import pytest

from seccli.policy.rego import EvaluationAborted, Limits, RegoError, compile


def test_huge_comprehension_hits_the_step_limit_quickly() -> None:
    src = "package t\nimport rego.v1\np := count([x | some x in numbers.range(1, 5000000)])\n"
    pol = compile({"t.rego": src})
    t0 = time.monotonic()
    with pytest.raises(RegoError) as exc:
        pol.eval("data.t.p", limits=Limits(max_steps=100_000))
    assert exc.value.code == "eval_limit_error"
    assert time.monotonic() - t0 < 10


def test_nested_iteration_hits_the_step_limit() -> None:
    src = (
        "package t\nimport rego.v1\n"
        "p := count([1 | some a in input; some b in input; some c in input])\n"
    )
    with pytest.raises(RegoError) as exc:
        compile({"t.rego": src}).eval("data.t.p", list(range(200)), limits=Limits(max_steps=50_000))
    assert exc.value.code == "eval_limit_error"
    assert "steps" in str(exc.value)


def test_timeout_is_enforced() -> None:
    src = (
        "package t\nimport rego.v1\n"
        "p := count([1 | some a in input; some b in input; some c in input])\n"
    )
    with pytest.raises(RegoError) as exc:
        compile({"t.rego": src}).eval(
            "data.t.p", list(range(300)), limits=Limits(max_steps=10**12, timeout=0.2)
        )
    assert exc.value.code == "eval_limit_error"


def test_unbounded_function_recursion_is_rejected_at_compile_time() -> None:
    src = "package t\nimport rego.v1\nf(x) := f(x + 1)\np := f(0)\n"
    with pytest.raises(RegoError) as exc:
        compile({"t.rego": src})
    assert exc.value.code == "rego_recursion_error"


def test_recursion_through_dynamic_refs_is_caught_at_run_time() -> None:
    src = "package t\nimport rego.v1\np := data.t[input.k]\n"
    pol = compile({"t.rego": src})
    with pytest.raises(RegoError) as exc:
        pol.eval("data.t.p", {"k": "p"})
    assert exc.value.code == "rego_recursion_error"


def test_deeply_nested_input_is_walked_without_crashing() -> None:
    doc: object = 1
    for _ in range(3000):
        doc = {"a": doc}
    pol = compile({"t.rego": "package t\nimport rego.v1\np := count([1 | walk(input, _)])\n"})
    assert pol.eval("data.t.p", doc).value == 3001


def test_deeply_nested_source_is_a_parse_error() -> None:
    src = "package t\np := " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(RegoError) as exc:
        compile({"t.rego": src})
    assert exc.value.code == "rego_parse_error"


def test_large_range_is_refused_even_without_strict_builtin_errors() -> None:
    pol = compile({})
    for strict in (True, False):
        with pytest.raises(EvaluationAborted) as exc:
            pol.eval("x := numbers.range(0, 100000000000)", strict_builtin_errors=strict)
        assert exc.value.reason == "limit" and exc.value.code == "eval_limit_error"

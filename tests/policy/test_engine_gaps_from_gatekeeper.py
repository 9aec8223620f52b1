"""Rego engine gaps found while writing the Gatekeeper library (owned by the engine).

Each test is the smallest reproduction; both are fixed in the engine and now guard against
regressions.
"""

from __future__ import annotations

from seccli.policy.rego import compile as rego_compile

INPUT = {"review": {"object": {"metadata": {"labels": {"owner": "ana"}}}}}


def test_comprehension_assigned_to_local_variable() -> None:
    source = """package k8s
violation[{"msg": msg}] {
  provided := {label | input.review.object.metadata.labels[label]}
  count(provided) > 0
  msg := sprintf("%v", [provided])
}
"""
    policy = rego_compile({"t.rego": source}, v0=True)
    result = policy.eval("data.k8s.violation", INPUT)
    assert [v["msg"] for v in result.value] == ['{"owner"}']


def test_else_branches_may_reuse_the_head_variable_name() -> None:
    source = """package k8s
name = n {
  n := input.review.object.metadata.name
} else = n {
  n := "<unnamed>"
}
"""
    policy = rego_compile({"t.rego": source}, v0=True)
    assert policy.eval("data.k8s.name", INPUT).value == "<unnamed>"

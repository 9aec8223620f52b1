"""Booleans and numbers stay distinct as set members and object keys (OPA: true != 1, while
1.0 and 1 are one number), and the conformance runner compares results as OPA does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seccli.policy.conformance import FAIL, PASS, run_paths
from seccli.policy.rego import UNDEFINED, RegoSet, compile, to_json


def value(expr: str) -> Any:
    pol = compile({"t.rego": f"package t\nimport rego.v1\n\nx := {expr}\n"})
    return pol.eval("data.t.x").value


@pytest.mark.parametrize(
    ("expr", "want"),
    [
        ("count({true, 1})", 2),
        ("count({false, 0})", 2),
        ("count({1, 1.0})", 1),
        ("count({true, 1, false, 0, 1.0, 0.0})", 4),
        ("count({[true], [1]})", 2),
        ('count({{"a": true}, {"a": 1}})', 2),
        ("count({true: 1, 1: 2})", 2),
        ('{true: "t", 1: "one"}[1]', "one"),
        ('{true: "t", 1: "one"}[true]', "t"),
        ('{true: "t", 1: "one"}[1.0]', "one"),
        ('{false: "f", 0: "zero"}[0]', "zero"),
        ("1 in {true}", False),
        ("true in {1}", False),
        ("0 in {false}", False),
        ("1.0 in {1}", True),
        ("{1} == {true}", False),
        ("{1} == {1.0}", True),
        ('{"a": 1} == {"a": true}', False),
        ("[1] == [true]", False),
        ("{x | some x in [true, 1, 1.0, false, 0]}", RegoSet([True, 1, False, 0])),
        ("[x | some x in {1, true, 0, false}]", [False, True, 0, 1]),
        ("json.marshal({1, true})", "[true,1]"),
        ("sum({0, 1, 2})", 3),
        ("bits.or(y, 2) if { some y in {1} }", 3),
        ("[7, 8][y] if { some y in {1} }", 8),
        ("{x: 1 | some x in [true, 1, 1.0]}", {"true": 1, "1": 1}),
    ],
)
def test_booleans_and_numbers_stay_apart(expr: str, want: Any) -> None:
    got = value(expr)
    assert to_json(got) == to_json(want)
    if isinstance(want, (bool, int)):
        assert type(got) is type(want) or (type(want) is int and not isinstance(got, bool))


def test_object_with_both_keys_renders_both() -> None:
    got = to_json(value('{true: "t", 1: "one", false: "f", 0: "zero"}'))
    assert got == {"true": "t", "1": "one", "false": "f", "0": "zero"}


def test_set_members_are_iterated_in_rego_order() -> None:
    assert value('[x | some x in {"b", "a", 3, true, null}]') == [None, True, 3, "a", "b"]


def _case_file(tmp_path: Path, body: str) -> Path:
    (tmp_path / "v1").mkdir()
    f = tmp_path / "v1" / "cases.yaml"
    f.write_text(body, encoding="utf-8")
    return tmp_path


def test_runner_compares_json_forms(tmp_path: Path) -> None:
    root = _case_file(
        tmp_path,
        """cases:
- note: int-keys
  modules: ["package t\\nx := {i: 2 * i | some i in [0, 1, 2]}"]
  query: data.t.x = x
  want_result: [{x: {0: 0, 1: 2, 2: 4}}]
- note: set-as-array
  modules: ["package t\\nx := {3, 1, 2}"]
  query: data.t.x = x
  want_result: [{x: [1, 2, 3]}]
- note: bool-is-not-one
  modules: ["package t\\nx := {true: 1}"]
  query: data.t.x = x
  want_result: [{x: {1: 1}}]
- note: one-is-not-true
  modules: ["package t\\nx := [1]"]
  query: data.t.x = x
  want_result: [{x: [true]}]
- note: conflict-position
  modules: ["package t\\n\\np := 1 if true\\np := 2 if true"]
  query: data.t.p = x
  want_error_code: eval_conflict_error
  want_error: "mod0.rego:4: eval_conflict_error: complete rules must not produce multiple outputs"
- note: wrong-line
  modules: ["package t\\n\\np := 1 if true\\np := 2 if true"]
  query: data.t.p = x
  want_error: "mod0.rego:9: eval_conflict_error"
""",
    )
    res = {r.id.split("::")[1]: r for r in run_paths([root])}
    assert res["int-keys"].status == PASS, res["int-keys"].detail
    assert res["set-as-array"].status == PASS, res["set-as-array"].detail
    assert res["bool-is-not-one"].status == FAIL
    assert res["one-is-not-true"].status == FAIL
    assert res["conflict-position"].status == PASS, res["conflict-position"].detail
    assert res["wrong-line"].status == FAIL
    assert "mod0.rego:" in res["wrong-line"].detail


def test_yaml_unmarshal_keys_become_json_strings() -> None:
    got = value('yaml.unmarshal("1: a\\n2: b\\ntrue: c\\nnull: d\\nx: e")')
    assert got == {"1": "a", "2": "b", "true": "c", "null": "d", "x": "e"}
    assert value('yaml.unmarshal("1: a")["1"]') == "a"
    pol = compile({"t.rego": 'package t\nimport rego.v1\n\nx := yaml.unmarshal("1: a")[1]\n'})
    assert pol.eval("data.t.x").value is UNDEFINED


def test_plain_number_keys_from_callers_are_found_but_never_as_booleans() -> None:
    src = "package t\nimport rego.v1\n\na := data.d[1]\nb := input.i[0]\nc := data.e[1]\n"
    pol = compile({"t.rego": src}, {"d": {1: "one", "x": 2}, "e": {True: "t"}})
    got = pol.eval("data.t", {"i": {0: "zero"}}).value
    assert got == {"a": "one", "b": "zero"}

"""Language features of the native Rego engine, each with positive and negative cases."""

from __future__ import annotations

from typing import Any

import pytest

from seccli.core.errors import SeccliError
from seccli.policy.rego import UNDEFINED, RegoError, RegoSet, compile, to_json
from seccli.policy.rego.values import make_set


def value(src: str, query: str = "data.t.p", input: Any = UNDEFINED, **kw: Any) -> Any:
    return compile({"t.rego": src}, kw.pop("data", None), **kw).eval(query, input).value


def test_complete_rule_true_false_and_undefined_are_distinct() -> None:
    src = "package t\nimport rego.v1\np if input.x == 1\nq := input.x == 1\n"
    assert value(src, input={"x": 1}) is True
    assert value(src, input={"x": 2}) is UNDEFINED  # undefined, not false
    assert value(src, "data.t.q", input={"x": 2}) is False
    assert value(src, "data.t.q", input={}) is UNDEFINED


def test_default_rule_applies_only_when_undefined() -> None:
    src = "package t\nimport rego.v1\ndefault p := false\np if input.ok\n"
    assert value(src, input={"ok": True}) is True
    assert value(src, input={}) is False


def test_complete_rule_conflict_is_an_error() -> None:
    src = "package t\nimport rego.v1\np := 1 if input.a\np := 2 if input.b\n"
    assert value(src, input={"a": True}) == 1
    with pytest.raises(RegoError) as exc:
        value(src, input={"a": True, "b": True})
    assert exc.value.code == "eval_conflict_error"
    assert exc.value.line is not None
    assert isinstance(exc.value, SeccliError)


def test_function_conflict_is_an_error_and_same_output_is_fine() -> None:
    src = (
        "package t\nimport rego.v1\n"
        "f(x) := 1 if x > 0\nf(x) := 2 if x > 10\n"
        "g(x) := 1 if x > 0\ng(x) := 1 if x > 10\n"
    )
    pol = compile({"t.rego": src})
    assert pol.eval("x := data.t.f(5)").bindings == [{"x": 1}]
    assert pol.eval("x := data.t.g(50)").bindings == [{"x": 1}]
    with pytest.raises(RegoError) as exc:
        pol.eval("x := data.t.f(50)")
    assert exc.value.code == "eval_conflict_error"


def test_partial_set_and_object_rules() -> None:
    src = (
        "package t\nimport rego.v1\n"
        "s contains x if { some x in input.xs; x > 1 }\n"
        "o[k] := v if { some k, v in input.m; v != 0 }\n"
    )
    pol = compile({"t.rego": src})
    assert pol.eval("data.t.s", {"xs": [1, 2, 3, 3]}).value == RegoSet({2, 3})
    assert pol.eval("data.t.s", {"xs": []}).value == RegoSet()  # empty, but defined
    assert pol.eval("data.t.o", {"m": {"a": 1, "b": 0}}).value == {"a": 1}


def test_object_rule_key_conflict() -> None:
    src = 'package t\nimport rego.v1\no[k] := v if { some v in input.vs; k := "same" }\n'
    with pytest.raises(RegoError) as exc:
        value(src, "data.t.o", input={"vs": [1, 2]})
    assert exc.value.code == "eval_conflict_error"


def test_gatekeeper_v0_violation_rule_is_a_partial_set() -> None:
    src = """package k8srequired
violation[{"msg": msg}] {
  c := input.review.object.spec.containers[_]
  not c.securityContext.runAsNonRoot
  msg := sprintf("container %v must run as non-root", [c.name])
}
"""
    pol = compile({"t.rego": src}, v0=True)
    inp = {
        "review": {
            "object": {
                "spec": {
                    "containers": [
                        {"name": "a", "securityContext": {"runAsNonRoot": True}},
                        {"name": "b"},
                    ]
                }
            }
        }
    }
    res = pol.eval("data.k8srequired.violation", inp).value
    assert res == make_set([{"msg": "container b must run as non-root"}])


def test_v0_syntax_is_rejected_in_v1() -> None:
    with pytest.raises(RegoError) as exc:
        compile({"t.rego": "package t\np { true }\n"})
    assert exc.value.code == "rego_parse_error"
    assert (exc.value.file, exc.value.line) == ("t.rego", 2)


def test_iteration_inside_call_arguments() -> None:
    src = (
        "package t\nimport rego.v1\n"
        "bad contains img if {\n  img := input.images[_]\n"
        "  not startswith(img, input.repos[_])\n  not ok(img)\n}\n"
        "ok(img) if startswith(img, input.repos[_])\n"
    )
    inp = {"images": ["good/x", "evil/y"], "repos": ["good/", "fine/"]}
    assert value(src, "data.t.bad", input=inp) == RegoSet({"evil/y"})


def test_not_with_undefined_argument_is_undefined_not_true() -> None:
    # OPA evaluates call operands before the negation (OPA issue 1877): `not f(x, undefined)` is
    # undefined, while `not x.missing == v` (rewritten to unification) is true.
    src = (
        "package t\nimport rego.v1\n"
        "f(a, b) if a == b\n"
        "p if not f(1, input.missing)\n"
        'q if not startswith(input.missing, "x")\n'
        "r if not input.c.missing == false\n"
        "s if not input.missing\n"
    )
    pol = compile({"t.rego": src})
    assert pol.eval("data.t.p", {}).value is UNDEFINED
    assert pol.eval("data.t.p", {"missing": 2}).value is True
    assert pol.eval("data.t.p", {"missing": 1}).value is UNDEFINED
    assert pol.eval("data.t.q", {}).value is UNDEFINED
    assert pol.eval("data.t.q", {"missing": "y"}).value is True
    assert pol.eval("data.t.r", {"c": {}}).value is True
    assert pol.eval("data.t.r", {"c": {"missing": False}}).value is UNDEFINED
    assert pol.eval("data.t.s", {}).value is True


def test_else_chain() -> None:
    src = (
        "package t\nimport rego.v1\n"
        'p := "big" if input.n > 100\nelse := "mid" if input.n > 10\nelse := "small"\n'
    )
    assert value(src, input={"n": 500}) == "big"
    assert value(src, input={"n": 50}) == "mid"
    assert value(src, input={"n": 5}) == "small"


def test_some_in_every_and_membership() -> None:
    src = (
        "package t\nimport rego.v1\n"
        "all_pos if every x in input.xs { x > 0 }\n"
        "has_two if 2 in input.xs\n"
        "pairs := [[k, v] | some k, v in input.m]\n"
    )
    pol = compile({"t.rego": src})
    assert pol.eval("data.t.all_pos", {"xs": [1, 2]}).value is True
    assert pol.eval("data.t.all_pos", {"xs": [1, -2]}).value is UNDEFINED
    assert pol.eval("data.t.all_pos", {"xs": []}).value is True  # vacuous truth
    assert pol.eval("data.t.has_two", {"xs": [1, 2]}).value is True
    assert pol.eval("data.t.has_two", {"xs": [1]}).value is UNDEFINED
    assert pol.eval("data.t.pairs", {"m": {"b": 2, "a": 1}}).value == [["a", 1], ["b", 2]]


def test_comprehensions() -> None:
    src = (
        "package t\nimport rego.v1\n"
        "a := [x * 2 | some x in input.xs]\n"
        "s := {x | some x in input.xs}\n"
        "o := {k: count(k) | some k in input.ks}\n"
    )
    pol = compile({"t.rego": src})
    inp = {"xs": [1, 2, 2], "ks": ["ab", "c"]}
    assert pol.eval("data.t.a", inp).value == [2, 4, 4]
    assert pol.eval("data.t.s", inp).value == RegoSet({1, 2})
    assert pol.eval("data.t.o", inp).value == {"ab": 2, "c": 1}


def test_unification_and_destructuring() -> None:
    pol = compile({})
    assert pol.eval('[x, {"k": y}] = [1, {"k": 2}]').bindings == [{"x": 1, "y": 2}]
    assert pol.eval("[x, 1] = [2, y]").bindings == [{"x": 2, "y": 1}]
    assert pol.eval("[x, 2] = [1, 3]").bindings == []  # fails, no error


def test_with_overrides_input_data_and_functions() -> None:
    src = (
        "package t\nimport rego.v1\n"
        "p := input.x + data.base.y\n"
        "q := y if { y := p with input.x as 10 with data.base.y as 5 }\n"
        "f(x) := x + 1\n"
        "mock(x) := 100\n"
        "r := y if { y := f(1) with f as mock }\n"
        "c := y if { y := count([1, 2, 3]) with count as 42 }\n"
    )
    pol = compile({"t.rego": src}, {"base": {"y": 1}})
    assert pol.eval("data.t.p", {"x": 1}).value == 2
    assert pol.eval("data.t.q", {"x": 1}).value == 15
    assert pol.eval("data.t.r").value == 100
    assert pol.eval("data.t.c").value == 42


def test_with_input_bound_to_variable() -> None:
    src = (
        "package t\nimport rego.v1\n"
        "inner := input.v\n"
        'p := [v | some i in [1, 2]; v := inner with input as {"v": i}]\n'
    )
    assert value(src) == [1, 2]


def test_data_documents_merge_base_and_virtual() -> None:
    src = "package t\nimport rego.v1\nv := data.t.base_val * 2\n"
    pol = compile({"t.rego": src}, {"t": {"base_val": 21}})
    assert pol.eval("data.t").value == {"base_val": 21, "v": 42}
    assert pol.eval("t/v").value == 42


def test_base_data_can_be_replaced_per_evaluation() -> None:
    pol = compile(
        {"t.rego": "package t\nimport rego.v1\nn := count(data.inventory)\n"}, {"inventory": [1]}
    )
    assert pol.eval("data.t.n").value == 1
    assert pol.eval("data.t.n", data={"inventory": [1, 2, 3]}).value == 3
    assert pol.eval("data.t.n").value == 1


def test_imports_and_packages() -> None:
    lib = "package lib.k8s\nimport rego.v1\nname(o) := o.metadata.name\n"
    main = (
        "package main\nimport rego.v1\nimport data.lib.k8s\nimport input.review.object as obj\n"
        "n := k8s.name(obj)\n"
    )
    pol = compile({"lib.rego": lib, "main.rego": main})
    assert pol.eval("data.main.n", {"review": {"object": {"metadata": {"name": "x"}}}}).value == "x"


def test_raw_strings_and_escapes() -> None:
    src = 'package t\nimport rego.v1\np := `a\\b"c`\nq := "quote \\" and \\\\ backslash"\n'
    pol = compile({"t.rego": src})
    assert pol.eval("data.t.p").value == 'a\\b"c'
    assert pol.eval("data.t.q").value == 'quote " and \\ backslash'


def test_arithmetic_and_set_operators() -> None:
    pol = compile({})
    assert pol.eval("x := 7 / 2").bindings == [{"x": 3.5}]
    assert pol.eval("x := 8 / 2").bindings == [{"x": 4}]
    assert pol.eval("x := 7 % 3").bindings == [{"x": 1}]
    assert pol.eval("x := {1, 2} | {3}").bindings == [{"x": RegoSet({1, 2, 3})}]
    assert pol.eval("x := {1, 2} & {2}").bindings == [{"x": RegoSet({2})}]
    assert pol.eval("x := {1, 2} - {2}").bindings == [{"x": RegoSet({1})}]
    assert pol.eval("x := 2 * (3 + 4) - -1").bindings == [{"x": 15}]


def test_template_strings() -> None:
    src = (
        "package t\nimport rego.v1\n"
        'p := $"hi {input.name}, {count(input.xs)} items {input.xs} \\{x\\} {input.nope}"\n'
        'q := $"{input.name with input as {"name": "mock"}}"\n'
    )
    pol = compile({"t.rego": src})
    res = pol.eval("data.t", {"name": "ana", "xs": [1, "a"]}).value
    assert res["p"] == 'hi ana, 2 items [1, "a"] {x} <undefined>'
    assert res["q"] == "mock"
    with pytest.raises(RegoError) as exc:
        compile({"t.rego": 'package t\np := $"{input.x"\n'})
    assert exc.value.code == "rego_parse_error"


def test_booleans_never_equal_numbers() -> None:
    pol = compile({})
    assert pol.eval("true == 1").value is False
    assert pol.eval("[true] == [1]").value is False
    assert pol.eval('{"a": 1} == {"a": 1.0}').value is True


def test_unsafe_variable_is_a_compile_error() -> None:
    with pytest.raises(RegoError) as exc:
        compile({"t.rego": "package t\nimport rego.v1\np if x > 1\n"})
    assert exc.value.code == "rego_unsafe_var_error"
    assert exc.value.line == 3


def test_unknown_builtin_is_a_compile_error_naming_it() -> None:
    with pytest.raises(RegoError) as exc:
        compile({"t.rego": "package t\nimport rego.v1\np := http.send({})\n"})
    assert exc.value.code == "rego_type_error"
    assert "http.send" in str(exc.value)


def test_builtin_arity_is_checked_at_compile_time() -> None:
    with pytest.raises(RegoError) as exc:
        compile({"t.rego": "package t\nimport rego.v1\np := count(1, 2, 3)\n"})
    assert exc.value.code == "rego_type_error"


def test_recursion_is_a_compile_error() -> None:
    src = "package t\nimport rego.v1\np if q\nq if p\n"
    with pytest.raises(RegoError) as exc:
        compile({"t.rego": src})
    assert exc.value.code == "rego_recursion_error"


def test_strict_builtin_errors() -> None:
    pol = compile({"t.rego": "package t\nimport rego.v1\np := units.parse(input.q)\n"})
    assert pol.eval("data.t.p", {"q": "10k"}).value == 10000
    assert pol.eval("data.t.p", {"q": "bogus"}).value is UNDEFINED
    with pytest.raises(RegoError) as exc:
        pol.eval("data.t.p", {"q": "bogus"}, strict_builtin_errors=True)
    assert exc.value.code == "eval_builtin_error"


def test_print_collects_output() -> None:
    pol = compile({"t.rego": 'package t\nimport rego.v1\np if { print("hi", input.x, input.y) }\n'})
    res = pol.eval("data.t.p", {"x": [1]})
    assert res.value is True
    assert res.prints == ["hi [1] <undefined>"]


def test_query_with_several_expressions_and_bindings() -> None:
    pol = compile({})
    res = pol.eval("x := [1, 2, 3][_]; x > 1")
    assert res.bindings == [{"x": 2}, {"x": 3}]
    assert pol.eval("1 == 2").value is False
    assert pol.eval("1 == 2; true").bindings == []


def test_policy_is_reused_across_inputs() -> None:
    pol = compile({"t.rego": "package t\nimport rego.v1\np := input.x * 2\n"})
    assert [pol.eval("data.t.p", {"x": i}).value for i in range(5)] == [0, 2, 4, 6, 8]


def test_input_is_not_mutated() -> None:
    src = (
        "package t\nimport rego.v1\n"
        "s contains c if some c in input.cs\n"
        'p := json.patch(input.o, [{"op": "add", "path": "/z", "value": 1}])\n'
    )
    inp = {"cs": [{"a": [1, {"b": 2}]}], "o": {"a": 1}}
    snapshot = repr(inp)
    pol = compile({"t.rego": src})
    pol.eval("data.t", inp)
    assert repr(inp) == snapshot


def test_composite_keys_patterns_and_data_function_mocks() -> None:
    src = (
        "package t\nimport rego.v1\nimport data.lib\n"
        'pairs := {[1, "a"]: true, [2, "b"]: true}\n'
        "ks := [n | pairs[[n, _]]]\n"
        "mocked := y if { y := lib.f(1) with data.lib.f as g }\n"
        "g(x) := x * 100\n"
        "real := lib.f(1)\n"
    )
    lib = "package lib\nimport rego.v1\nf(x) := x + 1\n"
    res = compile({"t.rego": src, "lib.rego": lib}).eval("data.t").value
    assert res["ks"] == [1, 2]
    assert (res["mocked"], res["real"]) == (100, 2)
    assert to_json(res["pairs"]) == {'[1,"a"]': True, '[2,"b"]': True}


@pytest.mark.parametrize(
    ("collection", "every_value", "some_value"),
    [
        (5, UNDEFINED, UNDEFINED),  # a scalar domain: undefined for both
        ("abc", UNDEFINED, UNDEFINED),
        ([], True, UNDEFINED),  # every over nothing is vacuously true
        ([1, 2], True, True),
        ([1, -2], UNDEFINED, True),
        ({"k": 1}, True, True),
    ],
)
def test_every_and_some_over_scalars_and_collections(
    collection: Any, every_value: Any, some_value: Any
) -> None:
    src = (
        "package t\nimport rego.v1\n"
        "every_positive if every x in input.c { x > 0 }\n"
        "some_positive if { some x in input.c; x > 0 }\n"
    )
    assert value(src, "data.t.every_positive", {"c": collection}) == every_value
    assert value(src, "data.t.some_positive", {"c": collection}) == some_value

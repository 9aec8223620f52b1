"""Rego semantics where the engine once differed from OPA (results, errors, accepted syntax).

Expected values follow OPA's documentation and its Go implementation's documented behaviour:
the builtin reference (array, object, encoding, net, time), the storage path rules for base
documents, and the v0 grammar (several bodies, bodiless function heads, trailing commas).
"""

from __future__ import annotations

from typing import Any

import pytest

from seccli.policy.rego import UNDEFINED, RegoError, RegoSet, compile, to_json

POLICY = compile({})


def ev(expr: str, input: Any = UNDEFINED, strict: bool = True) -> Any:
    res = POLICY.eval(f"r := {expr}", input, strict_builtin_errors=strict)
    return res.bindings[0]["r"] if res.bindings else UNDEFINED


def rule(src: str, query: str = "data.t.p", *, v0: bool = False, data: Any = None) -> Any:
    policy = compile({"t.rego": "package t\n" + src}, data=data, v0=v0)
    return policy.eval(query, strict_builtin_errors=True).value


# --- array.flatten: one level (OPA v1.13+) ----------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "want"),
    [
        ("array.flatten([[1, 2], [3]])", [1, 2, 3]),
        ("array.flatten([1, [2, [3, [4]]], []])", [1, 2, [3, [4]]]),
        ('array.flatten(["a", ["b"], {"c": [1]}])', ["a", "b", {"c": [1]}]),
        ("array.flatten([[[1]], [[2]]])", [[1], [2]]),
        ("array.flatten([])", []),
    ],
)
def test_array_flatten_splices_one_level(expr: str, want: Any) -> None:
    assert to_json(ev(expr)) == want


def test_array_flatten_requires_an_array() -> None:
    with pytest.raises(RegoError, match="array.flatten"):
        ev("array.flatten(input.x)", {"x": {"a": [1]}})


# --- numeric references into base documents with string keys -----------------------------------
DATA = {"x": {"2": "two", "2.5": "half", "list": ["a", "b", "c"]}, "1": "top"}


@pytest.mark.parametrize(
    ("src", "want"),
    [
        ("p := data.x[2]", "two"),
        ("p := data.x[2.5]", "half"),
        ("p := data[1]", "top"),
        ("p := data.x.list[1]", "b"),
        ("p := [v | some k in [2, 3]; v := data.x[k]]", ["two"]),
    ],
)
def test_numeric_keys_find_string_keys_in_base_data(src: str, want: Any) -> None:
    assert to_json(rule(src, data=DATA)) == want


def test_numeric_keys_do_not_convert_outside_base_data() -> None:
    # once the document is a value (not a data reference) the number is not converted
    assert rule("p := v if { q := data.x; v := q[2] }", data=DATA) is UNDEFINED
    assert rule('p := v if { v := {"2": 1}[2] }') is UNDEFINED
    assert rule("p := data.x[3]", data=DATA) is UNDEFINED
    assert rule("p := data.x[true]", data={"x": {"true": 1}}) is UNDEFINED


# --- object.subset: objects, sets, arrays, array ⊇ set --------------------------------------------
@pytest.mark.parametrize(
    ("expr", "want"),
    [
        ("object.subset([1, 2, 3, 4], [2, 3])", True),
        ("object.subset([1, 2, 3, 4], [1, 3])", False),  # arrays: contiguous, in order
        ("object.subset([1, 2, 3], [3, 2])", False),
        ("object.subset([1, 2, 3], [])", True),
        ("object.subset([1, 2, 3], {3, 1})", True),  # array ⊇ set: any order
        ("object.subset([1, 2, 3], {4})", False),
        ("object.subset({1, 2, 3}, {1, 3})", True),
        ("object.subset({1, 2}, {1, 3})", False),
        ('object.subset({"a": {"x": {10, 15, 20, 25}}, "b": 1}, {"a": {"x": {10, 15}}})', True),
        ('object.subset({"a": [1, 2, 3]}, {"a": [1, 2]})', True),
        ('object.subset({"a": 1}, {"a": 1, "b": 2})', False),
    ],
)
def test_object_subset(expr: str, want: bool) -> None:
    assert ev(expr) is want


@pytest.mark.parametrize(
    "expr",
    [
        "object.subset({1, 2, 3}, [1, 2])",  # set ⊇ array is not one of OPA's combinations
        'object.subset({"a": 1}, [1])',
        'object.subset([1], {"a": 1})',
    ],
)
def test_object_subset_mixed_kinds_are_errors(expr: str) -> None:
    with pytest.raises(RegoError, match="same type or array and set"):
        ev(expr)
    assert ev(expr, strict=False) is UNDEFINED


# --- YAML: the first document counts ------------------------------------------------------------
def test_yaml_multi_document_is_valid_and_unmarshals_the_first() -> None:
    assert ev('yaml.is_valid("a: 1\\n---\\nb: 2\\n")') is True
    assert ev('yaml.is_valid("---\\na: 1\\n---\\n")') is True
    assert to_json(ev('yaml.unmarshal("a: 1\\n---\\nb: 2\\n")')) == {"a": 1}
    assert ev('yaml.is_valid("a: [1\\n")') is False
    assert ev("yaml.is_valid(1)") is False


# --- net.cidr_merge: bare addresses as Go's net.ParseIP -------------------------------------------
@pytest.mark.parametrize(
    ("addrs", "want"),
    [
        ('["192.0.2.112"]', {"192.0.2.112/24"}),  # class C default mask, printed unmasked
        ('["10.1.2.3"]', {"10.1.2.3/8"}),  # class A
        ('["172.16.5.4"]', {"172.16.5.4/16"}),  # class B
        ('["192.0.2.112", "192.0.2.116/31", "192.0.2.118/31"]', {"192.0.2.0/24"}),
        ('["192.0.128.0/24", "192.0.129.0/24"]', {"192.0.128.0/23"}),
        ('["10.0.0.0/8", "10.1.0.0/16"]', {"10.0.0.0/8"}),
        (
            '["fe80::/120", "192.0.2.0/24", "192.0.3.0/24", "192.0.4.0/25", "192.0.4.128/25"]',
            {"192.0.2.0/23", "192.0.4.0/24", "fe80::/120"},
        ),
        ('{"2001:db8::/33", "2001:db8:8000::/33"}', {"2001:db8::/32"}),
    ],
)
def test_cidr_merge(addrs: str, want: set[str]) -> None:
    assert ev(f"net.cidr_merge({addrs})") == RegoSet(want)


@pytest.mark.parametrize(
    ("addrs", "message"),
    [
        ('["2001:db8::1"]', "IPv6 invalid: needs prefix length"),
        ('["10.0.0.0/8", "::1"]', "IPv6 invalid: needs prefix length"),
        ('["1.2.3.4/33"]', "invalid CIDR"),
        ('["not-an-address"]', "invalid CIDR"),
    ],
)
def test_cidr_merge_errors(addrs: str, message: str) -> None:
    with pytest.raises(RegoError, match=message):
        ev(f"net.cidr_merge({addrs})")


# --- time: nanoseconds must fit an int64 --------------------------------------------------------
@pytest.mark.parametrize(
    "expr",
    [
        'time.parse_rfc3339_ns("9999-12-31T23:59:59Z")',
        'time.parse_rfc3339_ns("1600-01-01T00:00:00Z")',
        'time.parse_rfc3339_ns("2262-04-11T23:47:17Z")',  # one second past the int64 maximum
        'time.parse_ns("2006-01-02", "3000-01-01")',
    ],
)
def test_times_outside_int64_are_errors(expr: str) -> None:
    with pytest.raises(RegoError, match="time outside of valid range"):
        ev(expr)
    assert ev(expr, strict=False) is UNDEFINED


def test_times_at_the_int64_edges_parse() -> None:
    assert ev('time.parse_rfc3339_ns("2262-04-11T23:47:16Z")') == 9223372036000000000
    assert ev('time.parse_rfc3339_ns("1677-09-21T00:12:44Z")') == -9223372036000000000


# --- v0 syntax that OPA accepts -----------------------------------------------------------------
def test_function_with_several_bodies() -> None:
    src = 'f(x) = y { x > 0; y := "pos" } { x < 0; y := "neg" }\np = [f(1), f(-1)]'
    assert to_json(rule(src, v0=True)) == ["pos", "neg"]
    assert rule('f(x) = y { x > 0; y := "pos" } { x < 0; y := "neg" }\np = f(0)', v0=True) is (
        UNDEFINED
    )
    with pytest.raises(RegoError, match="functions must not produce multiple outputs"):
        rule('f(x) = y { x > 0; y := "a" } { x > 0; y := "b" }\np = f(1)', v0=True)


def test_function_head_without_body_means_true() -> None:
    src = 'f("a", _)\nf(1, x) { x > 2 }\np { f("a", 1) }\nq { f("b", 1) }\nr { f(1, 3) }'
    assert to_json(compile({"t.rego": "package t\n" + src}, v0=True).eval("data.t").value) == {
        "p": True,
        "r": True,
    }
    with pytest.raises(RegoError, match="must have a body or assignment"):
        compile({"t.rego": 'package t\nf("a", _)\n'})  # Rego v1 requires a body


def test_zero_argument_function_referenced_by_name() -> None:
    assert rule("f() := 3\np := f + 1") == 4
    assert rule('f() := {"a": [1, 2]}\np := f.a[1]') == 2
    assert rule("f() := 3\np := x if { x := f }") == 3
    assert rule("f() := 3 if false\np := f") is UNDEFINED
    with pytest.raises(RegoError, match="must be called"):
        compile({"t.rego": "package t\nf(x) := x\np := f"})


@pytest.mark.parametrize(
    ("src", "want"),
    [
        ('p := concat(",", ["a", "b"],\n)', "a,b"),
        ("f(a, b,) := a + b\np := f(1, 2,)", 3),
        ("p := count([1],)", 1),
    ],
)
def test_trailing_comma_in_call_arguments(src: str, want: Any) -> None:
    assert rule(src) == want


@pytest.mark.parametrize("src", ["p := count(,)", 'p := concat(",", ["a"], , )', "p := f(1,,)"])
def test_misplaced_commas_stay_parse_errors(src: str) -> None:
    with pytest.raises(RegoError, match="rego_parse_error"):
        compile({"t.rego": "package t\n" + src})


# --- safety: composite unification with variables on both sides ----------------------------------
@pytest.mark.parametrize(
    ("body", "want"),
    [
        ('{"a": x, "b": 2} = {"a": 1, "b": y}; r := [x, y]', [1, 2]),
        ('{"a": x, "b": 2} = {"b": y, "a": 1}; r := [x, y]', [1, 2]),  # key order is irrelevant
        ("[x, 2] = [1, y]; r := [x, y]", [1, 2]),
        ('{"a": [x, 2]} = {"a": [1, y]}; r := [x, y]', [1, 2]),
    ],
)
def test_composite_unification_binds_both_sides(body: str, want: Any) -> None:
    assert to_json(rule(f"p := r if {{ {body} }}")) == want


@pytest.mark.parametrize(
    "body",
    ['{"a": x} = {"b": y}', '{"a": x, "b": 1} = {"a": y}', '{"a": x, "b": 1} = {"a": 1, "b": 2}'],
)
def test_composite_unification_that_cannot_match_is_undefined(body: str) -> None:
    assert rule(f"p if {{ {body} }}") is UNDEFINED


# --- type errors OPA only raises during evaluation ------------------------------------------------
@pytest.mark.parametrize(
    "call",
    ["bits.or(7.2, 42)", "bits.lsh(1, 0.5)", "numbers.range(1.5, 3)", 'substring("a", 0.5, 1)'],
)
def test_non_integral_numbers_are_evaluation_errors(call: str) -> None:
    # the module compiles (OPA's type checker only knows "number") ...
    policy = compile({"t.rego": f"package t\nq if {{ false; {call} }}\np if {{ {call} }}\n"})
    assert policy.eval("data.t.q").value is UNDEFINED
    # ... and evaluating the call is OPA's eval_type_error
    with pytest.raises(RegoError, match="must be integer number but got floating-point number"):
        policy.eval("data.t.p", strict_builtin_errors=True)


@pytest.mark.parametrize("call", ['bits.or("a", 42)', "count(1)", 'plus(1, "a")'])
def test_operand_type_mismatches_stay_compile_errors(call: str) -> None:
    with pytest.raises(RegoError, match="rego_type_error"):
        compile({"t.rego": f"package t\nq if {{ false; {call} }}\n"})

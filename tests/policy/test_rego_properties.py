"""Property tests: random inputs never crash the evaluator; fuzzed sources give parse errors."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seccli.policy.rego import RegoError, RegoSet, compile

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)

POLICY = compile(
    {
        "p.rego": """package p
import rego.v1

violation contains msg if {
  some c in input.review.object.spec.containers
  not startswith(c.image, input.parameters.repos[_])
  msg := sprintf("bad %v %v", [c.name, c.image])
}

counts := {k: count(v) | some k, v in input}
total := sum([x | some x in input.nums; is_number(x)])
sorted := sort([k | some k, _ in input])
labels := object.get(input, ["metadata", "labels"], {})
eq_self if input == input
keys_union := {k | some k, _ in input} | {"x"}
s := sprintf("%v %d %s", [input, input, input])
m := json.marshal(input)
r := json.unmarshal(json.marshal(input)) == input
"""
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_random_inputs_never_crash(doc: Any) -> None:
    for query in ("data.p", "data.p.violation", "x := data.p.counts[_]"):
        try:
            res = POLICY.eval(query, doc)
        except RegoError as err:  # structured errors are fine, crashes are not
            assert err.code.startswith(("eval_", "rego_"))
            continue
        if query == "data.p":
            assert isinstance(res.value, dict)
            assert res.value.get("eq_self") is True
            assert isinstance(res.value.get("keys_union"), RegoSet)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_json_round_trip_is_identity(doc: Any) -> None:
    res = POLICY.eval("data.p.r", doc)
    assert res.value is True


TOKENS = [
    "package",
    "p",
    "import",
    "rego.v1",
    "if",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ":=",
    "=",
    "==",
    "x",
    "input",
    "data",
    "some",
    "in",
    "every",
    "not",
    "with",
    "as",
    "contains",
    "default",
    "else",
    '"s"',
    "`r`",
    "1",
    "1.5",
    "-",
    "+",
    "|",
    "&",
    ",",
    ";",
    ".",
    "\n",
    "_",
    "#c\n",
    '"unterminated',
    "0x1",
    "@",
    "$",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30), st.text(max_size=40))
def test_fuzzed_sources_give_structured_errors(tokens: list[str], noise: str) -> None:
    for src in (" ".join(tokens), "package p\n" + " ".join(tokens), "package p\n" + noise):
        try:
            compile({"f.rego": src})
        except RegoError as err:
            assert err.code.startswith("rego_")
            if err.code == "rego_parse_error":
                assert err.file == "f.rego"
                assert err.line is not None and err.line >= 1


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_fuzzed_queries_give_structured_errors(q: str) -> None:
    try:
        POLICY.eval(q, {})
    except RegoError as err:
        assert err.code.startswith(("rego_", "eval_"))

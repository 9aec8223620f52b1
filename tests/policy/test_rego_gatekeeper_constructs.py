"""Constructs the public gatekeeper-library templates rely on (storage-class, container-limits,
pod-disruption-budget style), in minimal modules written here: a rule value chosen by
``else :=`` without a body, a function call as a set-member key, integers beyond int64, a set
of [key, value] pairs, and a helper whose builtin fails on a number (undefined, not an error)."""

from __future__ import annotations

from seccli.policy.rego import RegoSet, compile

SOURCE = """package k8sgk

violation[{"msg": pvc_msg}] {
  input.review.object.kind == "PersistentVolumeClaim"
  not allowed(input.review.object.spec.storageClassName)
}

allowed(name) {
  data.inventory.classes[name]
}

pvc_msg := sprintf("class <%v>; known: [%v]", args) {
  input.parameters.listClasses
  args := [input.review.object.spec.storageClassName, concat(", ", [n | data.inventory.classes[n]])]
} else := sprintf(
  "class <%v> is not allowed",
  [input.review.object.spec.storageClassName]
)

violation[{"msg": template_msg(t)}] {
  t := input.review.object.spec.volumeClaimTemplates[_]
  not allowed(t.spec.storageClassName)
}

template_msg(t) := m {
  m := sprintf("template class <%v>", [t.spec.storageClassName])
}

exabytes := 1152921504606846976000 * 2

is_percentage(x) = true {
  endswith(x, "%")
}

amount(v) = a { is_percentage(v); a := to_number(trim(v, "%")) / 100 }
amount(v) = a { not is_percentage(v); a := v }

minus_one := amount(-1)
half := amount("50%")

pairs := {[k, v] | some k; v := input.labels[k]}
"""

DATA = {"inventory": {"classes": {"standard": {}, "fast": {}}}}


def _eval(query: str, inp: dict) -> object:
    pol = compile({"gk.rego": SOURCE}, DATA, v0=True)
    return pol.eval(f"data.k8sgk.{query}", inp).value


def test_else_without_body_and_function_key() -> None:
    inp = {
        "review": {
            "object": {
                "kind": "PersistentVolumeClaim",
                "spec": {
                    "storageClassName": "slow",
                    "volumeClaimTemplates": [
                        {"spec": {"storageClassName": "fast"}},
                        {"spec": {"storageClassName": "other"}},
                    ],
                },
            }
        },
        "parameters": {},
    }
    assert _eval("violation", inp) == RegoSet(
        [{"msg": "class <slow> is not allowed"}, {"msg": "template class <other>"}]
    )
    inp["parameters"] = {"listClasses": True}
    assert _eval("violation", inp) == RegoSet(
        [{"msg": "class <slow>; known: [fast, standard]"}, {"msg": "template class <other>"}]
    )


def test_numbers_pairs_and_undefined_builtin_errors() -> None:
    assert _eval("exabytes", {}) == 2305843009213693952000
    assert _eval("minus_one", {}) == -1
    assert _eval("half", {}) == 0.5
    assert _eval("pairs", {"labels": {"a": "1", "b": "2"}}) == RegoSet([["a", "1"], ["b", "2"]])

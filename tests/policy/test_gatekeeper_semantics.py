"""Gatekeeper semantics: templates, constraints, match, the input document, inventory, results."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from seccli.core.documents import Document, parse_documents
from seccli.core.errors import DocumentInvalid
from seccli.policy.gatekeeper.constraint import ConstraintInvalid, parse_constraint
from seccli.policy.gatekeeper.gate import Evaluator
from seccli.policy.gatekeeper.match import (
    Match,
    MatchError,
    glob_match,
    matches_object,
    matches_review,
    parse_match,
)
from seccli.policy.gatekeeper.review import (
    ReviewItem,
    input_document,
    inventory_of,
    request_for_object,
    review_items,
)
from seccli.policy.gatekeeper.template import Template, TemplateInvalid, parse_template

# ----------------------------------------------------------------------------------------------
# helpers

ECHO_REGO = """\
package echo

violation[{"msg": msg, "details": {"input": input}}] {
  msg := "seen"
}
"""


def doc(text: str, source: str = "t.yaml") -> Document:
    documents = parse_documents(textwrap.dedent(text), source)
    assert len(documents) == 1
    return documents[0]


def template_yaml(
    rego: str,
    *,
    kind: str = "K8sEcho",
    api: str = "templates.gatekeeper.sh/v1",
    schema: str = "",
    libs: tuple[str, ...] = (),
) -> str:
    body = textwrap.indent(rego, " " * 10)
    lib_text = ""
    if libs:
        lib_text = "        libs:\n" + "".join(
            "          - |\n" + textwrap.indent(lib, " " * 12) for lib in libs
        )
    return (
        f"apiVersion: {api}\n"
        "kind: ConstraintTemplate\n"
        f"metadata:\n  name: {kind.lower()}\n"
        "spec:\n  crd:\n    spec:\n"
        f"      names:\n        kind: {kind}\n"
        + (f"      validation:\n        openAPIV3Schema:\n{schema}" if schema else "")
        + "  targets:\n"
        "      - target: admission.k8s.gatekeeper.sh\n"
        "        rego: |\n" + body + lib_text
    )


def make_template(rego: str = ECHO_REGO, **kw: Any) -> Template:
    return parse_template(doc(template_yaml(rego, **kw)))


def constraint_yaml(kind: str = "K8sEcho", spec: str = "spec: {}\n") -> str:
    return (
        "apiVersion: constraints.gatekeeper.sh/v1beta1\n"
        f"kind: {kind}\nmetadata:\n  name: c1\n" + spec
    )


def pod(
    name: str = "web", namespace: str | None = "shop", labels: dict[str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels or {"app": "web"}}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": []}}


def item_for(obj: dict[str, Any]) -> ReviewItem:
    items, problems = review_items([Document("obj.yaml", 0, obj, 1, {})])
    assert not problems
    return items[0]


def echo_input(
    obj: dict[str, Any], spec: str = "spec:\n  parameters:\n    x: 1\n", inventory=()
) -> dict[str, Any]:
    template = make_template()
    constraint = parse_constraint(doc(constraint_yaml(spec=spec)), {"K8sEcho": template})
    violations = Evaluator([constraint], list(inventory)).review(item_for(obj))
    assert len(violations) == 1 and violations[0].message == "seen"
    result: dict[str, Any] = violations[0].details["input"]
    return result


# ----------------------------------------------------------------------------------------------
# templates


def test_template_v1beta1_rego_and_libs() -> None:
    lib = 'package lib.util\n\nbad(x) {\n  x == "bad"\n}\n'
    rego = (
        "package k8sx\n\nimport data.lib.util\n\n"
        'violation[{"msg": "bad"}] {\n  util.bad(input.review.object.metadata.name)\n}\n'
    )
    template = make_template(rego, api="templates.gatekeeper.sh/v1beta1", libs=(lib,))
    assert template.package == "k8sx" and len(template.modules) == 2 and not template.v1
    constraint = parse_constraint(doc(constraint_yaml()), {"K8sEcho": template})
    assert [v.message for v in Evaluator([constraint]).review(item_for(pod("bad")))] == ["bad"]
    assert Evaluator([constraint]).review(item_for(pod("good"))) == []


CODE_FORM = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8scode
spec:
  crd:
    spec:
      names:
        kind: K8sCode
  targets:
    - target: admission.k8s.gatekeeper.sh
      code:
        - engine: K8sNativeValidation
          source:
            validations:
              - expression: "true"
        - engine: Rego
          source:
            version: v1
            rego: |
              package k8scode

              violation contains {"msg": msg} if {
                some c in input.review.object.spec.containers
                msg := c.name
              }
"""


def test_code_form_v1_with_cel_reported_not_ignored() -> None:
    template = parse_template(doc(CODE_FORM))
    assert template.v1 and template.kind == "K8sCode"
    assert len(template.notes) == 1 and "not supported" in template.notes[0]
    assert "K8sNativeValidation" in template.notes[0]
    constraint = parse_constraint(doc(constraint_yaml("K8sCode")), {"K8sCode": template})
    obj = pod()
    obj["spec"]["containers"] = [{"name": "a"}, {"name": "b"}]
    assert [v.message for v in Evaluator([constraint]).review(item_for(obj))] == ["a", "b"]


def test_cel_only_template_is_an_error() -> None:
    text = CODE_FORM.split("        - engine: Rego")[0]
    with pytest.raises(TemplateInvalid) as err:
        parse_template(doc(text))
    assert "CEL" in str(err.value) and "not supported" in str(err.value)


def test_rego_and_code_rego_both_given_is_an_error() -> None:
    text = CODE_FORM.replace("      code:\n", "      rego: |\n        package x\n      code:\n")
    with pytest.raises(TemplateInvalid, match="both rego and a code entry"):
        parse_template(doc(text))


def test_template_v0_is_the_default_and_v1_syntax_fails_with_the_yaml_line() -> None:
    rego = 'package k8sx\n\nviolation contains {"msg": "x"} if {\n  true\n}\n'
    with pytest.raises(TemplateInvalid) as err:
        make_template(rego)
    problem = err.value.problems[0]
    # "violation contains" is on line 3 of the Rego, whose first line is YAML line 13.
    assert problem.location.file == "t.yaml" and problem.location.line == 15
    assert "rego_parse_error" in problem.message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("name: k8secho", "name: other"), "lowercase kind"),
        (lambda t: t.replace("kind: K8sEcho", "kind: ''"), "names.kind is required"),
        (lambda t: t.replace("templates.gatekeeper.sh/v1", "example.com/v1"), "apiVersion"),
        (lambda t: t.replace("admission.k8s.gatekeeper.sh", "other.target"), "target must be"),
        (lambda t: t.replace("package echo", "package lib.echo"), "must not be under lib"),
        (lambda t: t.replace("violation[", "deny["), "define a violation rule"),
        (lambda t: t.replace('msg := "seen"', "msg := data.other.x"), "invalid data references"),
    ],
)
def test_template_problems(change: Any, message: str) -> None:
    with pytest.raises(TemplateInvalid) as err:
        parse_template(doc(change(template_yaml(ECHO_REGO))))
    assert message in str(err.value)


def test_lib_package_must_be_under_lib() -> None:
    with pytest.raises(TemplateInvalid, match="must start with lib"):
        make_template(libs=("package util\n\nx := 1\n",))


def test_bad_openapi_schema_is_an_error() -> None:
    schema = (
        "          type: object\n          properties:\n            x:\n              type: strng\n"
    )
    with pytest.raises(TemplateInvalid, match="unknown type 'strng'"):
        make_template(schema=schema)


# ----------------------------------------------------------------------------------------------
# constraints

SCHEMA = """\
          type: object
          required: [repos]
          properties:
            repos:
              type: array
              items:
                type: string
            mode:
              type: string
              enum: [strict, lax]
"""


def test_parameters_validated_against_schema_with_lines() -> None:
    template = make_template(schema=SCHEMA)
    spec = "spec:\n  parameters:\n    repos: registry.example/\n    mode: loose\n"
    with pytest.raises(ConstraintInvalid) as err:
        parse_constraint(doc(constraint_yaml(spec=spec), "c.yaml"), {"K8sEcho": template})
    lines = {p.location.path: (p.location.line, p.message) for p in err.value.problems}
    assert lines["spec.parameters.repos"][0] == 7
    assert "not of type 'array'" in lines["spec.parameters.repos"][1]
    assert (
        lines["spec.parameters.mode"][0] == 8
        and "is not one of" in lines["spec.parameters.mode"][1]
    )


def test_required_parameter_missing_and_valid_parameters() -> None:
    template = make_template(schema=SCHEMA)
    with pytest.raises(ConstraintInvalid, match="'repos' is a required property"):
        parse_constraint(
            doc(constraint_yaml(spec="spec:\n  parameters:\n    mode: strict\n")),
            {"K8sEcho": template},
        )
    ok = parse_constraint(
        doc(constraint_yaml(spec="spec:\n  parameters:\n    repos: [a/]\n    extra: 1\n")),
        {"K8sEcho": template},
    )
    assert ok.parameters == {"repos": ["a/"], "extra": 1}  # unknown fields are not errors


def test_constraint_kind_must_have_a_template() -> None:
    with pytest.raises(ConstraintInvalid, match="no ConstraintTemplate defines kind 'K8sOther'"):
        parse_constraint(doc(constraint_yaml("K8sOther")), {"K8sEcho": make_template()})


@pytest.mark.parametrize(
    ("spec", "action"),
    [
        ("spec: {}\n", "deny"),
        ("spec:\n  enforcementAction: ''\n", "deny"),
        ("spec:\n  enforcementAction: dryrun\n", "dryrun"),
        ("spec:\n  enforcementAction: warn\n", "warn"),
        (
            "spec:\n  enforcementAction: scoped\n  scopedEnforcementActions:\n"
            "    - action: warn\n      enforcementPoints:\n        - name: gator.gatekeeper.sh\n",
            "warn",
        ),
    ],
)
def test_enforcement_actions(spec: str, action: str) -> None:
    constraint = parse_constraint(doc(constraint_yaml(spec=spec)), {"K8sEcho": make_template()})
    assert constraint.action == action


def test_unknown_enforcement_action_is_an_error() -> None:
    with pytest.raises(ConstraintInvalid, match="enforcementAction must be"):
        parse_constraint(
            doc(constraint_yaml(spec="spec:\n  enforcementAction: block\n")),
            {"K8sEcho": make_template()},
        )


@pytest.mark.parametrize(
    ("match", "message"),
    [
        ("namespaces: ['a*b']", r"optional \* prefix or suffix"),
        ("scope: Global", "scope must be"),
        ("labelSelector:\n      matchExpressions:\n        - {key: a, operator: In}", "non-empty"),
        ("labelSelector:\n      matchExpressions:\n        - {key: a, operator: Has}", "operator"),
        ("kinds: Pod", "kinds must be a list"),
    ],
)
def test_bad_match_is_an_error(match: str, message: str) -> None:
    spec = f"spec:\n  match:\n    {match}\n"
    with pytest.raises(ConstraintInvalid, match=message):
        parse_constraint(doc(constraint_yaml(spec=spec)), {"K8sEcho": make_template()})


# ----------------------------------------------------------------------------------------------
# match semantics


def match_of(raw: dict[str, Any]) -> Match:
    problems: list[str] = []
    parsed = parse_match(raw, lambda path, message: problems.append(message))
    assert not problems
    return parsed


NO_NS = {}.get


def test_glob_match() -> None:
    assert glob_match("kube-*", "kube-system") and not glob_match("kube-*", "my-kube")
    assert glob_match("*-system", "kube-system") and not glob_match("*-system", "system-x")
    assert glob_match("*sys*", "kube-system") and glob_match("*", "anything")
    assert glob_match("shop", "shop") and not glob_match("shop", "shop2")


def test_kinds_match_groups_kinds_and_wildcards() -> None:
    m = match_of({"kinds": [{"apiGroups": ["apps"], "kinds": ["Deployment"]}]})
    assert matches_object(m, pod(), "apps", "Deployment", NO_NS)
    assert not matches_object(m, pod(), "", "Deployment", NO_NS)
    assert not matches_object(m, pod(), "apps", "StatefulSet", NO_NS)
    star = match_of({"kinds": [{"apiGroups": ["*"], "kinds": ["Pod"]}]})
    assert matches_object(star, pod(), "anything.io", "Pod", NO_NS)
    empty = match_of({"kinds": [{"apiGroups": [], "kinds": []}]})
    assert matches_object(empty, pod(), "x", "Y", NO_NS)
    assert matches_object(match_of({}), pod(), "x", "Y", NO_NS)


def test_scope() -> None:
    cluster = match_of({"scope": "Cluster"})
    namespaced = match_of({"scope": "Namespaced"})
    assert matches_object(cluster, pod(namespace=None), "", "Pod", NO_NS)
    assert not matches_object(cluster, pod(), "", "Pod", NO_NS)
    assert matches_object(namespaced, pod(), "", "Pod", NO_NS)
    assert not matches_object(namespaced, pod(namespace=None), "", "Pod", NO_NS)


def test_namespaces_and_excluded_namespaces_with_globs() -> None:
    m = match_of({"namespaces": ["shop-*", "billing"], "excludedNamespaces": ["*-sandbox"]})
    assert matches_object(m, pod(namespace="shop-eu"), "", "Pod", NO_NS)
    assert matches_object(m, pod(namespace="billing"), "", "Pod", NO_NS)
    assert not matches_object(m, pod(namespace="billing-2"), "", "Pod", NO_NS)
    assert not matches_object(m, pod(namespace="shop-sandbox"), "", "Pod", NO_NS)
    # cluster-scoped objects are not filtered by namespaces; Namespaces match by their name
    assert matches_object(m, pod(namespace=None), "rbac.authorization.k8s.io", "ClusterRole", NO_NS)
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop-us"}}
    assert matches_object(m, ns, "", "Namespace", NO_NS)
    ns["metadata"]["name"] = "other"
    assert not matches_object(m, ns, "", "Namespace", NO_NS)


def test_label_selector() -> None:
    m = match_of(
        {
            "labelSelector": {
                "matchLabels": {"app": "web"},
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["front", "edge"]},
                    {"key": "legacy", "operator": "DoesNotExist"},
                    {"key": "env", "operator": "NotIn", "values": ["dev"]},
                ],
            }
        }
    )
    assert matches_object(m, pod(labels={"app": "web", "tier": "front"}), "", "Pod", NO_NS)
    assert not matches_object(m, pod(labels={"app": "web", "tier": "back"}), "", "Pod", NO_NS)
    assert not matches_object(
        m, pod(labels={"app": "web", "tier": "edge", "legacy": "1"}), "", "Pod", NO_NS
    )
    assert not matches_object(
        m, pod(labels={"app": "web", "tier": "edge", "env": "dev"}), "", "Pod", NO_NS
    )
    exists = match_of({"labelSelector": {"matchExpressions": [{"key": "a", "operator": "Exists"}]}})
    assert matches_object(exists, pod(labels={"a": ""}), "", "Pod", NO_NS)


def test_namespace_selector_with_and_without_namespace_objects() -> None:
    m = match_of({"namespaceSelector": {"matchLabels": {"env": "prod"}}})
    namespaces = {
        "shop": {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "shop", "labels": {"env": "prod"}},
        },
        "lab": {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "lab", "labels": {"env": "dev"}},
        },
    }
    assert matches_object(m, pod(namespace="shop"), "", "Pod", namespaces.get)
    assert not matches_object(m, pod(namespace="lab"), "", "Pod", namespaces.get)
    # a Namespace is selected by its own labels; other cluster-scoped objects pass
    assert matches_object(m, namespaces["shop"], "", "Namespace", NO_NS)
    assert not matches_object(m, namespaces["lab"], "", "Namespace", NO_NS)
    assert matches_object(m, pod(namespace=None), "", "Node", NO_NS)
    # without the Namespace object the match cannot be decided (as in gator)
    with pytest.raises(MatchError, match="missing Namespace 'shop'"):
        matches_object(m, pod(namespace="shop"), "", "Pod", NO_NS)


def test_name_match() -> None:
    m = match_of({"name": "web-*"})
    assert matches_object(m, pod("web-1"), "", "Pod", NO_NS)
    assert not matches_object(m, pod("api"), "", "Pod", NO_NS)


def test_review_matches_object_or_old_object() -> None:
    m = match_of({"labelSelector": {"matchLabels": {"team": "shop"}}})
    new, old = pod(labels={"team": "other"}), pod(labels={"team": "shop"})
    request = {**request_for_object(new), "oldObject": old}
    assert matches_review(m, request, NO_NS)
    request["oldObject"] = pod(labels={"team": "other"})
    assert not matches_review(m, request, NO_NS)


def test_unknown_namespace_in_namespace_selector_fails_closed() -> None:
    spec = "spec:\n  match:\n    namespaceSelector:\n      matchLabels: {env: prod}\n"
    constraint = parse_constraint(doc(constraint_yaml(spec=spec)), {"K8sEcho": make_template()})
    results = Evaluator([constraint]).review(item_for(pod(namespace="shop")))
    assert len(results) == 1 and results[0].error and results[0].denies
    assert "missing Namespace" in results[0].message
    shop = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"env": "prod"}},
    }
    results = Evaluator([constraint], [shop]).review(item_for(pod(namespace="shop")))
    assert [r.message for r in results] == ["seen"] and not results[0].error


# ----------------------------------------------------------------------------------------------
# the input document


def test_input_review_has_go_zero_values() -> None:
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
    }
    got = echo_input(obj)
    assert got == {
        "parameters": {"x": 1},
        "review": {
            "uid": "",
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "", "version": "", "resource": ""},
            "operation": "",
            "userInfo": {},
            "name": "web",
            "namespace": "shop",
            "object": obj,
            "oldObject": None,
            "options": None,
        },
    }


def test_cluster_scoped_object_omits_namespace_and_parameters_default_to_null() -> None:
    obj = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "r"},
    }
    got = echo_input(obj, spec="spec: {}\n")
    assert "namespace" not in got["review"] and got["review"]["name"] == "r"
    assert got["review"]["kind"]["group"] == "rbac.authorization.k8s.io"
    assert got["parameters"] is None


def test_admission_review_is_reviewed_as_its_request() -> None:
    new, old = pod(labels={"v": "2"}), pod(labels={"v": "1"})
    review = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "abc",
            "operation": "UPDATE",
            "userInfo": {"username": "jane", "groups": ["devs"]},
            "object": new,
            "oldObject": old,
            "dryRun": True,
        },
    }
    got = echo_input(review)["review"]
    assert got["uid"] == "abc" and got["operation"] == "UPDATE" and got["dryRun"] is True
    assert got["userInfo"] == {"username": "jane", "groups": ["devs"]}
    assert got["object"] == new and got["oldObject"] == old
    # kind, name and namespace filled from the object when the request leaves them out
    assert got["kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert got["name"] == "web" and got["namespace"] == "shop"
    assert got["resource"] == {"group": "", "version": "", "resource": ""}


def test_delete_review_uses_old_object_as_object() -> None:
    old = pod()
    review = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {"operation": "DELETE", "oldObject": old},
    }
    got = echo_input(review)["review"]
    assert got["object"] == old and got["oldObject"] == old and got["operation"] == "DELETE"


def test_admission_review_without_objects_is_an_input_problem() -> None:
    review = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {"operation": "CREATE"},
    }
    items, problems = review_items([Document("r.yaml", 0, review, 3, {})])
    assert not items and "neither object nor oldObject" in problems[0].message
    assert problems[0].location.file == "r.yaml"


def test_namespace_object_is_added_when_known() -> None:
    shop = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"a": "b"}},
    }
    got = echo_input(pod(), inventory=[shop])
    assert got["review"]["namespaceObject"] == shop
    assert "namespaceObject" not in echo_input(pod())["review"]


def test_input_document_shape() -> None:
    request = request_for_object(pod())
    assert set(input_document(request, {"a": 1})) == {"review", "parameters"}


# ----------------------------------------------------------------------------------------------
# inventory and results

INVENTORY_REGO = """\
package k8sinv

violation[{"msg": msg}] {
  ns := input.review.object.metadata.namespace
  not data.inventory.namespace[ns]["networking.k8s.io/v1"].NetworkPolicy
  msg := sprintf("no policy in %v", [ns])
}

violation[{"msg": msg}] {
  ns := data.inventory.cluster.v1.Namespace[input.review.object.metadata.namespace]
  ns.metadata.labels.frozen == "true"
  msg := "namespace is frozen"
}
"""


def test_inventory_layout_and_referential_template() -> None:
    netpol = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "d", "namespace": "shop"},
    }
    frozen = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"frozen": "true"}},
    }
    inventory = inventory_of([netpol, frozen])
    assert inventory["namespace"]["shop"]["networking.k8s.io/v1"]["NetworkPolicy"]["d"] == netpol
    assert inventory["cluster"]["v1"]["Namespace"]["shop"] == frozen
    template = make_template(INVENTORY_REGO)
    assert template.uses_inventory
    constraint = parse_constraint(doc(constraint_yaml()), {"K8sEcho": template})
    assert [v.message for v in Evaluator([constraint]).review(item_for(pod()))] == [
        "no policy in shop"
    ]
    assert [v.message for v in Evaluator([constraint], [netpol]).review(item_for(pod()))] == []
    assert [
        v.message for v in Evaluator([constraint], [netpol, frozen]).review(item_for(pod()))
    ] == ["namespace is frozen"]


def test_violations_kept_verbatim_with_details() -> None:
    rego = (
        "package k8sv\n\n"
        'violation[{"msg": "Ünïcode  spaces\\tand %v stay",\n'
        '           "details": {"n": 1.5, "l": [1, "a"]}}] {\n'
        "  true\n}\n"
    )
    constraint = parse_constraint(
        doc(constraint_yaml(spec="spec:\n  enforcementAction: warn\n")),
        {"K8sEcho": make_template(rego)},
    )
    (violation,) = Evaluator([constraint]).review(item_for(pod()))
    assert violation.message == "Ünïcode  spaces\tand %v stay"
    assert violation.details == {"n": 1.5, "l": [1, "a"]}
    assert violation.action == "warn" and not violation.denies


def test_evaluation_errors_fail_closed() -> None:
    rego = 'package k8se\n\nviolation[{"msg": msg}] {\n  msg := 1 / 0\n}\n'
    missing_msg = 'package k8se\n\nviolation[{"message": "x"}] {\n  true\n}\n'
    conflict = 'package k8se\n\nv = 1 { true }\nv = 2 { true }\nviolation[{"msg": "m"}] {\n  v\n}\n'
    for source in (rego, missing_msg, conflict):
        constraint = parse_constraint(
            doc(constraint_yaml(spec="spec:\n  enforcementAction: dryrun\n")),
            {"K8sEcho": make_template(source)},
        )
        results = Evaluator([constraint]).review(item_for(pod()))
        if source is rego and not results:
            continue  # division by zero is undefined unless strict; nothing to deny
        assert len(results) == 1 and results[0].error and results[0].denies, source
        assert results[0].action == "deny"


def test_malformed_objects_are_problems_with_lines() -> None:
    documents = parse_documents(
        "apiVersion: v1\nkind: Pod\n---\n- a list\n---\nkind: X\n", "m.yaml"
    )
    items, problems = review_items(documents)
    assert len(items) == 1
    assert [
        (p.location.line, "Kubernetes object" in p.message or "apiVersion" in p.message)
        for p in problems
    ] == [(4, True), (6, True)]


def test_list_kinds_are_expanded() -> None:
    documents = parse_documents(
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n"
        "    metadata: {name: a}\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: b}\n",
        "l.yaml",
    )
    items, problems = review_items(documents)
    assert not problems and [i.name for i in items] == ["a", "b"]
    assert [i.line for i in items] == [4, 7] and items[1].path == "items[1]"


def test_document_invalid_collects_template_problems() -> None:
    text = (
        template_yaml(ECHO_REGO)
        .replace("name: k8secho", "name: x")
        .replace("admission.k8s.gatekeeper.sh", "t")
    )
    with pytest.raises(DocumentInvalid) as err:
        parse_template(doc(text))
    assert len(err.value.problems) == 2

"""``seccli policy verify`` and ``seccli policy test``: output, exit codes, bad input."""

from __future__ import annotations

import io
import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from seccli.policy.gatekeeper.library import load_library, load_objects
from seccli.policy.gatekeeper.run import PARALLEL_THRESHOLD, run_tests
from tests.capture import run_main as run

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "rego"


@pytest.fixture(autouse=True)
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ACTOR", "tester")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


TEMPLATE = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sneedowner
spec:
  crd:
    spec:
      names:
        kind: K8sNeedOwner
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sneedowner

        violation[{"msg": msg}] {
          not input.review.object.metadata.labels.owner
          name := input.review.object.metadata.name
          msg := sprintf("%v %v has no owner", [input.review.kind.kind, name])
        }
"""

CONSTRAINT = """\
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sNeedOwner
metadata:
  name: need-owner
spec:
  enforcementAction: {action}
  match:
    kinds:
      - apiGroups: [""]
        kinds: ["Pod", "ConfigMap"]
"""


def pod_yaml(name: str, owner: str | None = None, namespace: str = "shop") -> str:
    labels = f"\n  labels:\n    owner: {owner}" if owner else ""
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {namespace}{labels}\n"
        "spec:\n  containers: []\n"
    )


def small_library(tmp_path: Path, action: str = "deny") -> Path:
    lib = tmp_path / "lib"
    write(lib / "need-owner" / "template.yaml", TEMPLATE)
    write(lib / "need-owner" / "constraint.yaml", CONSTRAINT.format(action=action))
    return lib


def suite(tmp_path: Path, cases: str, extra_tests: str = "") -> Path:
    lib = small_library(tmp_path)
    write(lib / "need-owner" / "samples" / "good.yaml", pod_yaml("good", "ana"))
    write(lib / "need-owner" / "samples" / "bad.yaml", pod_yaml("bad"))
    return write(
        lib / "need-owner" / "suite.yaml",
        "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\ntests:\n"
        "- name: need-owner\n  template: template.yaml\n  constraint: constraint.yaml\n"
        "  cases:\n" + cases + extra_tests,
    )


GOOD_CASES = """\
  - name: good
    object: samples/good.yaml
    assertions:
    - violations: no
  - name: bad
    object: samples/bad.yaml
    assertions:
    - violations: yes
    - violations: 1
      message: "^Pod bad has no owner$"
    - violations: no
      message: unrelated
"""


# ----------------------------------------------------------------------------------------------
# verify


def test_verify_passes_in_go_test_style(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = suite(tmp_path, GOOD_CASES)
    code, out, _ = run(capsys, "policy", "verify", str(path.parent))
    assert code == 0, out
    assert "--- PASS: need-owner (" in out
    assert "    --- PASS: need-owner/good (" in out and "    --- PASS: need-owner/bad (" in out
    assert out.rstrip().endswith("PASS") and f"ok  \t{path}" in out


def test_verify_failure_reasons_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = GOOD_CASES + (
        "  - name: wrong\n    object: samples/good.yaml\n    assertions:\n    - violations: 2\n"
    )
    path = suite(tmp_path, cases)
    code, out, _ = run(capsys, "policy", "verify", str(path))
    assert code == 1
    assert "    --- FAIL: need-owner/wrong (" in out and "got 0 violations, want 2" in out
    assert "--- FAIL: need-owner (" in out and out.rstrip().endswith("FAIL")


def test_verify_run_filter_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = GOOD_CASES + (
        "  - name: wrong\n    object: samples/good.yaml\n    assertions:\n    - violations: 2\n"
    )
    path = suite(tmp_path, cases)
    code, out, _ = run(
        capsys, "policy", "verify", str(path), "--run", "need-owner/bad$", "-f", "json"
    )
    assert code == 0
    document = json.loads(out)
    cases_run = [c["name"] for c in document["suites"][0]["tests"][0]["cases"]]
    assert cases_run == ["bad"] and document["status"] == "pass"
    assert document["summary"] == {"pass": 1, "fail": 0, "skip": 0, "error": 0}
    code, out, _ = run(capsys, "policy", "verify", str(path), "--run", "wrong", "-f", "json")
    assert code == 1 and json.loads(out)["summary"]["fail"] == 1


def test_verify_invalid_and_skip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = (
        "- name: expects-invalid\n  template: template.yaml\n  constraint: broken.yaml\n"
        "  invalid: true\n"
        "- name: wrongly-expects-invalid\n  template: template.yaml\n"
        "  constraint: constraint.yaml\n"
        "  invalid: true\n"
        "- name: skipped\n  template: missing.yaml\n  constraint: constraint.yaml\n  skip: true\n"
    )
    path = suite(tmp_path, GOOD_CASES, extra)
    write(path.parent / "broken.yaml", CONSTRAINT.format(action="block"))
    code, out, _ = run(capsys, "policy", "verify", str(path), "-f", "json")
    tests = {t["name"]: t for t in json.loads(out)["suites"][0]["tests"]}
    assert tests["expects-invalid"]["status"] == "pass"
    assert "enforcementAction must be" in tests["expects-invalid"]["reasons"][0]
    assert tests["wrongly-expects-invalid"]["status"] == "fail"
    assert tests["skipped"]["status"] == "skip"
    assert code == 1


def test_verify_admission_review_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = (
        "  - name: delete-review\n    object: samples/review.yaml\n    assertions:\n"
        "    - violations: 1\n      message: has no owner\n"
    )
    path = suite(tmp_path, cases)
    write(
        path.parent / "samples" / "review.yaml",
        "apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest:\n  operation: DELETE\n"
        "  oldObject:\n" + textwrap.indent(pod_yaml("old"), "    "),
    )
    code, out, _ = run(capsys, "policy", "verify", str(path))
    assert code == 0, out


def test_malformed_suite_is_exit_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = suite(
        tmp_path,
        "  - name: x\n    object: samples/good.yaml\n    assertions:\n    - violations: maybe\n",
    )
    code, _, err = run(capsys, "policy", "verify", str(path))
    assert code == 2 and f"{path}:11:" in err and "violations must be yes, no" in err
    assert "at least one assertion" not in err
    bad_yaml = write(
        tmp_path / "s2" / "suite.yaml",
        "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\ntests: [\n",
    )
    code, _, err = run(capsys, "policy", "verify", str(bad_yaml))
    assert code == 2 and f"{bad_yaml}:" in err and "invalid YAML" in err


def test_malformed_template_in_suite_is_an_error_with_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = suite(tmp_path, GOOD_CASES)
    template = path.parent / "template.yaml"
    template.write_text(template.read_text().replace("violation[", "violation[["))
    code, out, _ = run(capsys, "policy", "verify", str(path))
    assert code == 2
    assert f"error: {template}:" in out and "rego_parse_error" in out


def test_case_object_with_two_objects_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = suite(
        tmp_path,
        "  - name: two\n    object: samples/two.yaml\n    assertions:\n    - violations: no\n",
    )
    write(path.parent / "samples" / "two.yaml", pod_yaml("a") + "---\n" + pod_yaml("b"))
    code, out, _ = run(capsys, "policy", "verify", str(path))
    assert code == 2 and "exactly one object, found 2" in out


def test_gator_recursive_spelling(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = suite(tmp_path, GOOD_CASES)
    monkeypatch.chdir(tmp_path)
    for spelling in ("./...", "lib/...", "..."):
        code, out, _ = run(capsys, "policy", "verify", spelling)
        assert code == 0 and "need-owner/bad" in out, spelling
    assert path.exists()


def test_malformed_template_in_library_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = small_library(tmp_path)
    template = lib / "need-owner" / "template.yaml"
    template.write_text(
        TEMPLATE.replace("package k8sneedowner", "package k8sneedowner\n        }{")
    )
    manifests = write(tmp_path / "pods.yaml", pod_yaml("b"))
    code, _, err = run(capsys, "policy", "test", str(manifests), "--library", str(lib))
    assert code == 2 and f"{template}:14:" in err and "rego_parse_error" in err
    template.write_text("apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\n x: [\n")
    code, _, err = run(capsys, "policy", "test", str(manifests), "--library", str(lib))
    assert code == 2 and f"{template}:3" in err


def test_no_suites_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "policy", "verify", str(tmp_path / "empty"))
    assert code == 2 and "no suites found" in err


# ----------------------------------------------------------------------------------------------
# test


def test_policy_test_deny_exit_1_and_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    lib = small_library(tmp_path)
    manifests = write(tmp_path / "m" / "pods.yaml", pod_yaml("a", "ana") + "---\n" + pod_yaml("b"))
    code, out, _ = run(
        capsys, "policy", "test", str(manifests), "--library", str(lib), "-f", "table"
    )
    assert code == 1
    assert "Pod b has no owner" in out and "Pod a has no owner" not in out
    assert "2 object(s): 1 deny" in out and "denied" in out


@pytest.mark.parametrize("action", ["warn", "dryrun"])
def test_policy_test_non_deny_actions_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], action: str
) -> None:
    lib = small_library(tmp_path, action)
    manifests = write(tmp_path / "pods.yaml", pod_yaml("b"))
    code, out, _ = run(
        capsys, "policy", "test", str(manifests), "--library", str(lib), "-f", "json"
    )
    assert code == 0
    document = json.loads(out)
    assert document["summary"]["violations"][action] == 1 and not document["summary"]["denied"]
    code, out, _ = run(
        capsys, "policy", "test", str(manifests), "--library", str(lib), "-f", "json", "--deny-only"
    )
    assert code == 0 and json.loads(out)["objects"] == []


def test_policy_test_json_sarif_lists_stdin_and_constraints_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = small_library(tmp_path)
    other = write(tmp_path / "constraints" / "c.yaml", CONSTRAINT.format(action="warn"))
    listed = "apiVersion: v1\nkind: List\nitems:\n" + textwrap.indent(
        "- " + pod_yaml("x").replace("\n", "\n  ").rstrip() + "\n", "  "
    )
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(listed.encode())))
    code, out, _ = run(
        capsys,
        "policy",
        "test",
        "-",
        "--library",
        str(lib),
        "--constraints",
        str(other.parent),
        "-f",
        "json",
    )
    assert code == 0
    (entry,) = json.loads(out)["objects"]
    assert entry["source"] == {"file": "<stdin>", "line": 4, "path": "items[0]"}
    assert entry["violations"][0]["enforcementAction"] == "warn"
    manifests = write(tmp_path / "pods.yaml", pod_yaml("b"))
    code, out, _ = run(
        capsys, "policy", "test", str(manifests), "--library", str(lib), "-f", "sarif"
    )
    log = json.loads(out)
    assert code == 1 and log["version"] == "2.1.0"
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "K8sNeedOwner/need-owner" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_policy_test_malformed_manifest_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = small_library(tmp_path)
    manifests = write(tmp_path / "m.yaml", pod_yaml("a") + "---\nkind: Pod\nmetadata: {name: x}\n")
    code, _, err = run(capsys, "policy", "test", str(manifests), "--library", str(lib))
    assert code == 2 and f"{manifests}:9:" in err and "no apiVersion" in err
    broken = write(tmp_path / "b.yaml", "apiVersion: v1\nkind: Pod\n  bad: indent\n")
    code, _, err = run(capsys, "policy", "test", str(broken), "--library", str(lib))
    assert code == 2 and f"{broken}:3" in err


def test_policy_test_malformed_library_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = small_library(tmp_path)
    constraint = lib / "need-owner" / "constraint.yaml"
    constraint.write_text(
        constraint.read_text().replace('kinds: ["Pod", "ConfigMap"]', "kinds: Pod")
    )
    manifests = write(tmp_path / "pods.yaml", pod_yaml("b"))
    code, _, err = run(capsys, "policy", "test", str(manifests), "--library", str(lib))
    assert code == 2 and f"{constraint}:" in err and "must be a list of strings" in err


def test_policy_test_evaluation_error_denies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = small_library(tmp_path, "dryrun")
    conflicting = TEMPLATE.replace(
        'violation[{"msg": msg}] {',
        'v = 1 { true }\n        v = 2 { true }\n        violation[{"msg": msg}] {\n          v',
    )
    write(lib / "need-owner" / "template.yaml", conflicting)
    manifests = write(tmp_path / "pods.yaml", pod_yaml("b"))
    code, out, _ = run(
        capsys, "policy", "test", str(manifests), "--library", str(lib), "-f", "json"
    )
    document = json.loads(out)
    # the constraint is only dryrun, but an evaluation error denies (fail closed): exit 3
    assert code == 3 and document["summary"]["violations"]["error"] == 1
    assert "evaluation error" in document["objects"][0]["violations"][0]["msg"]


def test_namespace_selector_uses_namespaces_among_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = small_library(tmp_path)
    constraint = lib / "need-owner" / "constraint.yaml"
    constraint.write_text(
        constraint.read_text() + "    namespaceSelector:\n      matchLabels: {env: prod}\n"
    )
    ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {n}\n  labels: {{env: {e}}}\n"
    manifests = write(
        tmp_path / "m.yaml",
        ns.format(n="shop", e="prod")
        + "---\n"
        + ns.format(n="lab", e="dev")
        + "---\n"
        + pod_yaml("p1", namespace="shop")
        + "---\n"
        + pod_yaml("p2", namespace="lab"),
    )
    code, out, _ = run(
        capsys, "policy", "test", str(manifests), "--library", str(lib), "-f", "json"
    )
    names = [o["object"]["name"] for o in json.loads(out)["objects"]]
    assert code == 1 and names == ["p1"]
    orphan = write(tmp_path / "o.yaml", pod_yaml("p3", namespace="nowhere"))
    code, out, _ = run(capsys, "policy", "test", str(orphan), "--library", str(lib), "-f", "json")
    (entry,) = json.loads(out)["objects"]
    # an object that cannot be judged is an error: a denial, exit 3
    assert code == 3 and entry["violations"][0]["error"] is True
    assert "missing Namespace 'nowhere'" in entry["violations"][0]["msg"]


def test_two_workers_give_the_same_results(tmp_path: Path) -> None:
    lib_dir = small_library(tmp_path)
    count = PARALLEL_THRESHOLD + 37
    text = "---\n".join(pod_yaml(f"p{i}", "ana" if i % 3 else None) for i in range(count))
    manifests = write(tmp_path / "many.yaml", text)
    library = load_library([lib_dir])
    items = load_objects([str(manifests)])
    serial = run_tests(library.constraints, items, workers=1)
    parallel = run_tests(library.constraints, items, workers=2)
    assert parallel.workers == 2 and serial.workers == 1

    def flat(report: Any) -> list[tuple[str, str]]:
        return [(r.item.name, v.message) for r in report.results for v in r.violations]

    assert flat(serial) == flat(parallel) and len(flat(serial)) == (count + 2) // 3
    assert parallel.evaluations == serial.evaluations == count


def test_default_library_against_rendered_pods(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = tmp_path / "samples"
    shutil.copy(
        LIBRARY / "pss-privileged" / "samples" / "disallowed-pod.yaml", samples.with_suffix(".yaml")
    )
    code, out, _ = run(
        capsys,
        "policy",
        "test",
        str(samples.with_suffix(".yaml")),
        "--library",
        str(LIBRARY),
        "-f",
        "json",
    )
    document = json.loads(out)
    constraints = {v["constraint"]["kind"] for o in document["objects"] for v in o["violations"]}
    assert code == 1 and "K8sPSSPrivileged" in constraints


def test_progress_reports_every_object(tmp_path: Path) -> None:
    lib_dir = small_library(tmp_path)
    manifests = write(tmp_path / "p.yaml", "---\n".join(pod_yaml(f"p{i}") for i in range(600)))
    library = load_library([lib_dir])
    done: list[int] = []
    report = run_tests(library.constraints, load_objects([str(manifests)]), progress=done.append)
    assert sum(done) == 600 and len(done) > 1 and report.denied


def test_findings_carry_controls_and_stable_ids(tmp_path: Path) -> None:
    from seccli.policy.gatekeeper.gate import to_findings

    library = load_library([LIBRARY])
    sample = LIBRARY / "pss-privileged" / "samples" / "disallowed-pod.yaml"
    items = load_objects([str(sample)])
    first = to_findings(run_tests(library.constraints, items).results, library.constraints)
    again = to_findings(run_tests(library.constraints, items).results, library.constraints)
    assert [f.id for f in first] == [f.id for f in again]
    privileged = next(f for f in first if f.rule_id.startswith("K8sPSSPrivileged/"))
    assert privileged.severity == "critical" and privileged.tool == "gatekeeper"
    assert {str(c) for c in privileged.controls} >= {"SOC2 CC6.1", "ISO27001:2022 A.8.2"}
    assert "CIS-Kubernetes 5.2.2" in {str(c) for c in privileged.controls}
    assert privileged.location.file == str(sample) and privileged.location.line == 1

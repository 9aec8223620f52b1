"""``policy test`` as a capability: recorded runs and audit entries, SARIF from the render
package, declared formats, and default constraints (generic, or from an estate)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from seccli.policy.gatekeeper.instantiate import generic_settings, instantiate
from seccli.render.sarif import FINGERPRINT_KEY, SECURITY_SEVERITY
from seccli.store.sqlite import SqliteStore
from tests.capture import run_main as run

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "rego"
ESTATE = ROOT / "examples" / "claytom" / "estate.yaml"


@pytest.fixture(autouse=True)
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ACTOR", "tester")


def pod(name: str, image: str, labels: dict[str, str] | None = None, ns: str = "shop") -> str:
    """A Pod that passes the library's pod-security templates (only image and labels vary)."""
    label_text = "".join(f"\n    {k}: {v}" for k, v in (labels or {}).items()) or " {}"
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
        f"  labels:{label_text}\n"
        + textwrap.dedent(
            f"""\
            spec:
              automountServiceAccountToken: false
              serviceAccountName: app
              securityContext:
                runAsNonRoot: true
                seccompProfile: {{type: RuntimeDefault}}
              containers:
              - name: app
                image: {image}
                securityContext:
                  allowPrivilegeEscalation: false
                  readOnlyRootFilesystem: true
                  capabilities: {{drop: [ALL]}}
                resources:
                  requests: {{cpu: 100m, memory: 64Mi}}
                  limits: {{memory: 64Mi}}
            """
        )
    )


def payload_of(entry: object) -> dict[str, Any]:
    raw = entry.payload  # type: ignore[attr-defined]
    data: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else raw
    return data


def violations_of(document: dict[str, object], kind: str) -> list[str]:
    return [
        v["msg"]
        for o in document["objects"]  # type: ignore[attr-defined]
        for v in o["violations"]
        if v["constraint"]["kind"] == kind
    ]


def test_a_run_and_its_audit_entry_are_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(pod("p", "nginx:latest"))
    code, _, _ = run(capsys, "policy", "test", str(bad), "--library", str(LIBRARY))
    assert code == 1
    store = SqliteStore.open(tmp_path / "state.db")
    [record] = store.runs()
    assert (record.command, record.status, record.exit_code) == ("policy test", "violations", 1)
    [entry] = store.audit_entries()
    assert entry.action == "policy.test" and entry.actor == "tester"
    result = payload_of(entry)["result"]
    assert result["objects"] == 1 and result["verdict"] == "denied"
    assert "K8sDisallowLatestTag" in result["violations"]
    assert set(result["violations"]["K8sDisallowLatestTag"]) <= set(SECURITY_SEVERITY_NAMES)
    assert any(c.startswith("K8sDisallowLatestTag/") for c in result["constraints"])
    assert result["constraintSource"] == "generic defaults"
    assert store.verify_audit().ok


SECURITY_SEVERITY_NAMES = {level.value for level in SECURITY_SEVERITY}


def test_an_input_error_is_recorded_as_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "policy", "test", str(tmp_path / "missing.yaml"), "--library", str(LIBRARY)
    )
    assert code == 2 and "not found" in err
    store = SqliteStore.open(tmp_path / "state.db")
    [record] = store.runs()
    assert record.status == "input-error" and record.exit_code == 2
    [entry] = store.audit_entries()
    assert payload_of(entry)["status"] == "input-error"


def test_an_admitted_run_is_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    digest = "sha256:" + "a" * 64
    good.write_text(pod("p", f"registry.example/app@{digest}", {"app.kubernetes.io/name": "p"}))
    code, out, _ = run(capsys, "policy", "test", str(good), "--library", str(LIBRARY), "-f", "json")
    document = json.loads(out)
    assert code == 0 and not document["summary"]["denied"], document["objects"]
    [entry] = SqliteStore.open(tmp_path / "state.db").audit_entries()
    assert payload_of(entry)["result"]["verdict"] == "admitted"


def test_sarif_comes_from_the_render_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "bad.yaml").write_text(pod("p", "nginx:latest"))
    code, out, _ = run(
        capsys, "policy", "test", "deploy/bad.yaml", "--library", str(LIBRARY), "-f", "sarif"
    )
    log = json.loads(out)
    assert code == 1
    [sarif_run] = log["runs"]
    assert sarif_run["tool"]["driver"]["name"] == "gatekeeper"
    assert sarif_run["originalUriBaseIds"]["SRCROOT"]["uri"] == tmp_path.resolve().as_uri() + "/"
    rules = {r["id"]: r for r in sarif_run["tool"]["driver"]["rules"]}
    latest = next(r for r in rules if r.startswith("K8sDisallowLatestTag/"))
    assert rules[latest]["help"]["text"] and latest in rules[latest]["help"]["text"]
    levels = {level.value: number for level, number in SECURITY_SEVERITY.items()}
    for rule in rules.values():
        assert rule["properties"]["security-severity"] in levels.values()
    result = next(r for r in sarif_run["results"] if r["ruleId"] == latest)
    assert list(result["partialFingerprints"]) == [FINGERPRINT_KEY]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "deploy/bad.yaml", "uriBaseId": "SRCROOT"}


@pytest.mark.parametrize("fmt", ["markdown", "csv", "yaml"])
def test_formats_not_rendered_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(pod("p", "nginx:latest"))
    code, out, err = run(capsys, "policy", "test", str(bad), "-f", fmt)
    assert code == 2 and out == "" and "table, json, sarif, lines" in err


@pytest.mark.parametrize(
    ("command", "shown", "hidden"),
    [
        (["policy", "test"], "[table|json|sarif|lines]", "markdown"),
        (["policy", "verify"], "[table|json]", "sarif"),
        (["policy", "conformance"], "[table|json]", "sarif"),
        (["generate"], "[table|json]", "sarif"),
    ],
)
def test_help_lists_only_supported_formats(
    capsys: pytest.CaptureFixture[str], command: list[str], shown: str, hidden: str
) -> None:
    code, out, _ = run(capsys, *command, "--help")
    flat = " ".join(out.split())
    assert code == 0 and shown in flat and hidden not in flat


def test_generic_defaults_name_no_company(tmp_path: Path) -> None:
    made = instantiate(LIBRARY, generic_settings())
    text = json.dumps(made.constraints)
    assert "claytom" not in text.lower()
    kinds = {c["kind"] for c in made.constraints}
    assert "K8sAllowedRepos" not in kinds
    assert any("no allowed registries known" in n for n in made.notes)
    [labels] = [c for c in made.constraints if c["kind"] == "K8sRequiredLabels"]
    assert labels["spec"]["parameters"]["labels"] == [{"key": "app.kubernetes.io/name"}]
    assert {k for entry in labels["spec"]["match"]["kinds"] for k in entry["kinds"]} >= {
        "Pod",
        "Deployment",
    }


def test_default_constraints_generic_versus_estate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = "sha256:" + "b" * 64
    foreign = tmp_path / "foreign.yaml"
    foreign.write_text(
        pod("p", f"docker.io/library/app@{digest}", {"app.kubernetes.io/name": "p"}, "holding")
    )
    code, out, err = run(
        capsys, "policy", "test", str(foreign), "--library", str(LIBRARY), "-f", "json"
    )
    generic = json.loads(out)
    assert violations_of(generic, "K8sAllowedRepos") == []
    assert violations_of(generic, "K8sRequiredLabels") == []
    assert "no allowed registries known" in err
    code, out, _ = run(
        capsys,
        "policy",
        "test",
        str(foreign),
        "--library",
        str(LIBRARY),
        "--estate",
        str(ESTATE),
        "-f",
        "json",
    )
    estate = json.loads(out)
    assert code == 1
    [repos] = violations_of(estate, "K8sAllowedRepos")
    assert "docker.io/library/app" in repos
    labels = violations_of(estate, "K8sRequiredLabels")
    assert any("app.kubernetes.io/part-of" in m for m in labels)
    [entry] = SqliteStore.open(tmp_path / "state.db").audit_entries()[-1:]
    assert payload_of(entry)["result"]["constraintSource"] == "estate claytom"


def test_generic_required_label_denies_a_workload_without_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unlabelled = tmp_path / "p.yaml"
    unlabelled.write_text(pod("p", "registry.example/app@sha256:" + "c" * 64))
    code, out, _ = run(
        capsys, "policy", "test", str(unlabelled), "--library", str(LIBRARY), "-f", "json"
    )
    [message] = violations_of(json.loads(out), "K8sRequiredLabels")
    assert code == 1 and "app.kubernetes.io/name" in message


def test_estate_and_constraints_together_are_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "p.yaml"
    manifest.write_text(pod("p", "nginx:1"))
    code, _, err = run(
        capsys,
        "policy",
        "test",
        str(manifest),
        "--estate",
        str(ESTATE),
        "--constraints",
        str(tmp_path),
    )
    assert code == 2 and "not both" in err

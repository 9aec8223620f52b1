"""What ``seccli generate`` writes passes the Gatekeeper constraints it generates, for every
mesh; the tree ships the ConstraintTemplates those constraints need and builds with kubectl."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from seccli.core.documents import parse_documents
from seccli.zerotrust.meshes import MeshChoice
from tests.capture import run_main as run

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "examples" / "claytom" / "estate.yaml"
KUBECTL = shutil.which("kubectl")


@pytest.fixture(autouse=True)
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ACTOR", "tester")
    monkeypatch.chdir(ROOT)  # generate finds ./rego


def generated(tmp_path: Path, capsys: pytest.CaptureFixture[str], mesh: str) -> Path:
    out = tmp_path / f"gen-{mesh}"
    code, _, err = run(capsys, "generate", str(ESTATE), "--out", str(out), "--mesh", mesh)
    assert code == 0, err
    return out


def judge(capsys: pytest.CaptureFixture[str], out: Path, *paths: Path) -> dict[str, object]:
    code, stdout, err = run(
        capsys,
        "policy",
        "test",
        *(str(p) for p in paths),
        "--library",
        str(out / "gatekeeper-templates"),
        "--constraints",
        str(out / "cluster"),
        "--workers",
        "1",
        "-f",
        "json",
    )
    document: dict[str, object] = json.loads(stdout)
    document["exit"] = code
    document["stderr"] = err
    return document


@pytest.mark.parametrize("mesh", [m.value for m in MeshChoice])
def test_generated_tree_passes_its_own_constraints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mesh: str
) -> None:
    out = generated(tmp_path, capsys, mesh)
    document = judge(capsys, out, out)  # the whole tree: vault/ JSON files are skipped
    summary = document["summary"]
    assert isinstance(summary, dict)
    assert summary["violations"] == {"deny": 0, "warn": 0, "dryrun": 0, "error": 0}, document[
        "objects"
    ]
    assert document["exit"] == 0 and summary["objects"] > 36  # every namespace was judged
    constraints = (out / "cluster" / "gatekeeper-constraints.yaml").read_text()
    assert "K8sRequiredLabels" in constraints and "K8sAllowedRepos" in constraints


def test_generated_constraints_still_deny_what_the_estate_does_not_allow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = generated(tmp_path, capsys, "none")
    intruders = tmp_path / "intruders.yaml"
    intruders.write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: holding\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: rogue\n  namespace: holding\n"
        "spec:\n  selector: {matchLabels: {app: rogue}}\n  template:\n"
        "    metadata: {labels: {app: rogue}}\n"
        "    spec:\n      containers: [{name: c, image: 'docker.io/evil/miner:latest'}]\n"
    )
    document = judge(capsys, out, intruders)
    kinds = {
        v["constraint"]["kind"]
        for o in document["objects"]  # type: ignore[attr-defined]
        for v in o["violations"]
    }
    # the bare Namespace lacks the labels generate puts on Namespaces; the Deployment pulls
    # from a foreign registry, by tag, without the estate's workload labels
    assert {"K8sRequiredLabels", "K8sAllowedRepos", "K8sDisallowLatestTag"} <= kinds
    assert document["exit"] == 1
    messages = [
        v["msg"]
        for o in document["objects"]  # type: ignore[attr-defined]
        for v in o["violations"]
        if v["constraint"]["kind"] == "K8sRequiredLabels"
    ]
    assert any("Namespace holding must carry label seccli.dev/role" in m for m in messages)
    assert any("app.kubernetes.io/part-of" in m for m in messages)


def test_tree_ships_every_template_its_constraints_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = generated(tmp_path, capsys, "istio")
    text = (out / "cluster" / "gatekeeper-constraints.yaml").read_text()
    used = {d.data["kind"] for d in parse_documents(text, "c.yaml")}
    folder = out / "gatekeeper-templates"
    shipped = set()
    for path in folder.glob("*.yaml"):
        if path.name == "kustomization.yaml":
            continue
        for document in parse_documents(path.read_text(), str(path)):
            assert document.data["kind"] == "ConstraintTemplate"
            shipped.add(document.data["spec"]["crd"]["spec"]["names"]["kind"])
    assert used == shipped
    root = (out / "kustomization.yaml").read_text()
    assert "gatekeeper-templates" not in root  # applied first, on its own


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
@pytest.mark.parametrize("mesh", ["istio", "linkerd"])
def test_kubectl_kustomize_builds_the_tree_and_its_templates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mesh: str
) -> None:
    assert KUBECTL is not None
    out = generated(tmp_path, capsys, mesh)
    templates = subprocess.run(
        [KUBECTL, "kustomize", str(out / "gatekeeper-templates")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert templates.returncode == 0, templates.stderr
    built = [d.data for d in parse_documents(templates.stdout, "templates")]
    assert built and {d["kind"] for d in built} == {"ConstraintTemplate"}
    tree = subprocess.run(
        [KUBECTL, "kustomize", str(out)], capture_output=True, text=True, timeout=120, check=False
    )
    assert tree.returncode == 0, tree.stderr
    kinds = {d.data["kind"] for d in parse_documents(tree.stdout, "tree")}
    assert "NetworkPolicy" in kinds and "K8sRequiredLabels" in kinds
    assert "ConstraintTemplate" not in kinds
    constraint_kinds = {
        d.data["kind"]
        for d in parse_documents(tree.stdout, "tree")
        if d.data["apiVersion"].startswith("constraints.gatekeeper.sh/")
    }
    assert constraint_kinds <= {d["spec"]["crd"]["spec"]["names"]["kind"] for d in built}

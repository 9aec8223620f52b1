"""``netpol prove`` and ``reach`` judge what the tree deploys: its kustomize build, parsed in full.

A permissive policy written in any YAML/JSON spelling is judged (no text pre-filter skips it);
a policy file beside the kustomization but not listed in it is not counted; a listed file that
is missing, or a feature seccli cannot reproduce, is exit 2. Where kubectl is installed, each
variant is also checked to be something ``kubectl kustomize`` really deploys.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.capture import run_main as run

MINI = Path(__file__).parent / "fixtures" / "mini-estate.yaml"
KUBECTL = shutil.which("kubectl")

HEADER = "apiVersion: networking.k8s.io/v1\n"
META = "metadata: {name: allow-all, namespace: core}\n"
SPEC = "spec: {podSelector: {}, policyTypes: [Ingress, Egress], ingress: [{}], egress: [{}]}\n"

VARIANTS: dict[str, tuple[str, str]] = {
    "plain": ("allow-all.yaml", f"{HEADER}kind: NetworkPolicy\n{META}{SPEC}"),
    "anchor": ("allow-all.yaml", f"{HEADER}kind: &k NetworkPolicy\n{META}{SPEC}"),
    "alias": (
        "allow-all.yaml",
        f"{HEADER}metadata:\n  name: allow-all\n  namespace: core\n"
        "  annotations: {kind: &k NetworkPolicy}\n"
        f"kind: *k\n{SPEC}",
    ),
    "folded": ("allow-all.yaml", f"{HEADER}kind: >-\n  NetworkPolicy\n{META}{SPEC}"),
    "literal-block": ("allow-all.yaml", f"{HEADER}kind: |-\n  NetworkPolicy\n{META}{SPEC}"),
    "single-quoted": ("allow-all.yaml", f"{HEADER}kind: 'NetworkPolicy'\n{META}{SPEC}"),
    "escaped": ("allow-all.yaml", f'{HEADER}kind: "Network\\u0050olicy"\n{META}{SPEC}'),
    "hex-escaped": ("allow-all.yaml", f'{HEADER}kind: "\\x4eetworkPolicy"\n{META}{SPEC}'),
    "tagged": ("allow-all.yaml", f"{HEADER}kind: !!str NetworkPolicy\n{META}{SPEC}"),
    "comment-split": ("allow-all.yaml", f"{HEADER}kind: # the kind\n  NetworkPolicy\n{META}{SPEC}"),
    "flow-mapping": (
        "allow-all.yaml",
        '{apiVersion: networking.k8s.io/v1, "kind": NetworkPolicy, metadata: {name: allow-all, '
        "namespace: core}, spec: {podSelector: {}, policyTypes: [Ingress, Egress], "
        "ingress: [{}], egress: [{}]}}\n",
    ),
    "json-file": (
        "allow-all.json",
        json.dumps(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "allow-all", "namespace": "core"},
                "spec": {
                    "podSelector": {},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [{}],
                    "egress": [{}],
                },
            }
        ),
    ),
    "list-item": (
        "allow-all.yaml",
        f"apiVersion: v1\nkind: List\nitems:\n- {HEADER}  kind: NetworkPolicy\n  {META}  {SPEC}",
    ),
    "typed-list": (
        "allow-all.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems:\n"
        f"- {HEADER}  kind: NetworkPolicy\n  {META}  {SPEC}",
    ),
    "second-document": (
        "allow-all.yaml",
        "# comment first\n---\n"
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: core}}\n"
        f"---\n{HEADER}kind: NetworkPolicy\n{META}{SPEC}",
    ),
}


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ACTOR", "tester")


@pytest.fixture
def tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "tree"
    code, _, err = run(capsys, "generate", str(MINI), "--out", str(out))
    assert code == 0, err
    code, _, err = run(capsys, "netpol", "prove", str(MINI), str(out))
    assert code == 0, err
    return out


def _add_resource(folder: Path, name: str) -> None:
    kustomization = folder / "kustomization.yaml"
    text = kustomization.read_text()
    kustomization.write_text(
        text.replace("resources:\n", f"resources:\n- {name}\n", 1)
        if "resources:\n" in text
        else text.replace('resources: ["', f'resources: ["{name}", "', 1)
    )
    assert name in kustomization.read_text()


def _kubectl_policies(folder: Path) -> set[str]:
    assert KUBECTL is not None
    run_ = subprocess.run(
        [KUBECTL, "kustomize", str(folder)], capture_output=True, text=True, timeout=120
    )
    assert run_.returncode == 0, run_.stderr
    from seccli.core.documents import parse_documents

    return {
        f"{d.data['metadata'].get('namespace')}/{d.data['metadata']['name']}"
        for d in parse_documents(run_.stdout, "kubectl")
        if d.data.get("kind") == "NetworkPolicy"
    }


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_permissive_policy_is_judged_however_it_is_written(
    tree: Path, capsys: pytest.CaptureFixture[str], variant: str
) -> None:
    name, text = VARIANTS[variant]
    core = tree / "namespaces" / "core"
    (core / name).write_text(text)
    _add_resource(core, name)
    if KUBECTL is not None:
        assert "core/allow-all" in _kubectl_policies(tree)  # it really is deployed
    code, stdout, stderr = run(capsys, "netpol", "prove", str(MINI), str(tree), "-f", "json")
    assert code == 1, stderr
    payload = json.loads(stdout)
    assert payload["equal"] is False
    assert any("core/allow-all" in " ".join(d["responsible"]) for d in payload["differences"])
    assert f"{core / name}" in payload["files"]
    code, stdout, stderr = run(capsys, "netpol", "reach", str(tree), "-f", "json")
    assert code == 2 and "no workloads" in stderr  # policies alone: nothing to judge
    pod = tree.parent / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: core}\n"
        "spec: {containers: [{name: c, image: i}]}\n"
    )
    code, stdout, stderr = run(capsys, "netpol", "reach", str(tree), str(pod), "-f", "json")
    assert code == 0, stderr
    assert f"{core / name}" in json.loads(stdout)["files"]


def test_a_policy_file_not_listed_in_the_kustomization_is_not_counted(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    core = tree / "namespaces" / "core"
    kustomization = core / "kustomization.yaml"
    text = kustomization.read_text()
    dropped = text.replace("networkpolicies.yaml", "namespace.yaml", 1)
    dropped = dropped.replace('"namespace.yaml", "namespace.yaml"', '"namespace.yaml"')
    dropped = dropped.replace("- namespace.yaml\n- namespace.yaml\n", "- namespace.yaml\n")
    assert "networkpolicies.yaml" not in dropped
    kustomization.write_text(dropped)
    assert (core / "networkpolicies.yaml").is_file()  # still in the folder
    if KUBECTL is not None:
        assert not any(p.startswith("core/") for p in _kubectl_policies(tree))
    code, stdout, _ = run(capsys, "netpol", "prove", str(MINI), str(tree), "-f", "json")
    assert code == 1
    payload = json.loads(stdout)
    assert str(core / "networkpolicies.yaml") not in payload["files"]
    assert any(d["kind"] == "extra" for d in payload["differences"])
    # A restricting policy dropped next to the tree's root is not counted either.
    (tree / "namespaces" / "deny.yaml").write_text(
        f"{HEADER}kind: NetworkPolicy\nmetadata: {{name: deny, namespace: core}}\n"
        "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n"
    )
    code, stdout, _ = run(capsys, "netpol", "prove", str(MINI), str(tree), "-f", "json")
    assert code == 1 and "deny.yaml" not in stdout


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("- missing.yaml", "'missing.yaml' not found"),
        ("- ../../../outside", "outside the root"),
        ("- https://example.com/policies.yaml", "remote reference"),
    ],
)
def test_broken_references_are_exit_2(
    tree: Path, capsys: pytest.CaptureFixture[str], edit: str, message: str
) -> None:
    (tree.parent / "outside").mkdir()
    _add_resource(tree / "namespaces" / "core", edit[2:])
    code, stdout, stderr = run(capsys, "netpol", "prove", str(MINI), str(tree))
    assert code == 2 and stdout == "" and "Traceback" not in stderr
    assert message in stderr and "kustomization.yaml" in stderr


@pytest.mark.parametrize(
    "line",
    [
        "namePrefix: x-",
        "images: [{name: a, newTag: b}]",
        "configMapGenerator: [{name: c, literals: [a=b]}]",
        "helmCharts: [{name: c}]",
        "replacements: [{path: r.yaml}]",
        "unknownField: 1",
    ],
)
def test_unsupported_kustomization_features_are_exit_2(
    tree: Path, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    kustomization = tree / "namespaces" / "core" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + line + "\n")
    for args in (("prove", str(MINI), str(tree)), ("reach", str(tree))):
        code, stdout, stderr = run(capsys, "netpol", *args)
        assert code == 2 and stdout == "", stderr
        assert "namespaces/core/kustomization.yaml" in stderr
        assert line.split(":")[0] in stderr


def test_prove_table_names_the_files_of_the_build(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = run(capsys, "netpol", "prove", str(MINI), str(tree))
    assert code == 0 and "proven" in stdout
    assert "judged the build of" in stdout
    assert "namespaces/core/networkpolicies.yaml" in stdout
    assert "vault/" not in stdout  # not part of the build


def test_reach_on_a_folder_without_manifests_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("nothing here\n")
    code, _, stderr = run(capsys, "netpol", "reach", str(tmp_path / "empty"))
    assert code == 2 and "no Kubernetes manifests" in stderr


def test_root_option_allows_bases_beside_the_overlay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "p.yaml").write_text(f"{HEADER}kind: NetworkPolicy\n{META}{SPEC}")
    (base / "pod.yaml").write_text(  # a workload: policies alone are nothing to judge
        "apiVersion: v1\nkind: Pod\nmetadata: {name: w}\nspec: {containers: [{name: c}]}\n"
    )
    (base / "kustomization.yaml").write_text("resources: [p.yaml, pod.yaml]\n")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text("resources: [../base]\nnamespace: other\n")
    code, _, stderr = run(capsys, "netpol", "reach", str(overlay))
    assert code == 2 and "outside the root" in stderr
    code, stdout, _ = run(
        capsys, "netpol", "reach", str(overlay), "--root", str(tmp_path), "-f", "json"
    )
    assert code == 0
    assert json.loads(stdout)["files"] == [
        f"{overlay}/kustomization.yaml",
        f"{base}/kustomization.yaml",
        f"{base}/p.yaml",
        f"{base}/pod.yaml",
    ]

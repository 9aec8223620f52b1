"""``seccli generate`` and ``seccli netpol reach|prove``: outputs and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.capture import run_main as run

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini-estate.yaml"


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ACTOR", "tester")


def test_generate_check_and_prove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tree"
    code, stdout, _ = run(capsys, "generate", str(MINI), "--out", str(out))
    assert code == 0 and "generated" in stdout and "mail.example.com has no CIDRs" in stdout
    code, stdout, _ = run(capsys, "generate", str(MINI), "--out", str(out), "--check")
    assert code == 0 and "up to date" in stdout
    graph = tmp_path / "graph.dot"
    code, stdout, _ = run(
        capsys, "netpol", "prove", str(MINI), str(out), "--dot", str(graph), "-n", "subs-a"
    )
    assert code == 0 and "proven" in stdout
    picture = graph.read_text()
    assert '"core/gateway" -> "subs-a/shop" [label="TCP/8081"]' in picture
    assert '"core/gateway" -> "core/audit"' not in picture  # outside subs-a
    assert "203.0.113.0/25" in picture

    policies = out / "namespaces/subs-a/networkpolicies.yaml"
    text = policies.read_text()
    # Widen the shop policy to every pod of subs-a.
    widened = text.replace(
        '  podSelector: {"matchLabels": {"app.kubernetes.io/name": "shop"}}\n',
        "  podSelector: {}\n",
    )
    assert widened != text
    policies.write_text(widened)
    code, stdout, _ = run(capsys, "generate", str(MINI), "--out", str(out), "--check")
    assert code == 1 and "changed" in stdout and "networkpolicies.yaml" in stdout
    code, stdout, _ = run(capsys, "netpol", "prove", str(MINI), str(out), "--format", "json")
    assert code == 1
    payload = json.loads(stdout)
    assert payload["equal"] is False
    assert any(
        d["kind"] == "extra" and d["src"] == "subs-a/worker" and d["dst"] == "external"
        for d in payload["differences"]
    )
    # Regenerating repairs the tree; a file seccli does not own is kept and reported.
    (out / "namespaces/core/old.yaml").write_text("kind: ConfigMap\n")
    code, stdout, _ = run(capsys, "generate", str(MINI), "--out", str(out))
    assert code == 0 and "foreign:" in stdout and "old.yaml" in stdout
    assert (out / "namespaces/core/old.yaml").exists()
    code, stdout, _ = run(capsys, "generate", str(MINI), "--out", str(out), "--check")
    assert code == 0 and "foreign" in stdout and "old.yaml" in stdout
    code, _, _ = run(capsys, "netpol", "prove", str(MINI), str(out))
    assert code == 0


def test_generate_json_and_mesh_choice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tree"
    crds = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "crds"
    extra = ["--crd-schemas", str(crds)] if crds.is_dir() else []
    code, stdout, _ = run(
        capsys, "generate", str(MINI), "--out", str(out), "--mesh", "linkerd", "-f", "json", *extra
    )
    assert code == 0
    payload = json.loads(stdout)
    assert payload["mesh"] == "linkerd"
    assert payload["validated"]["crd"] > 0 or not extra
    assert "namespaces/core/linkerd-policy.yaml" in payload["files"]
    # The proof must be told the mesh the tree was made for.
    code, _, _ = run(capsys, "netpol", "prove", str(MINI), str(out), "--mesh", "linkerd")
    assert code == 0
    code, stdout, _ = run(capsys, "netpol", "prove", str(MINI), str(out))
    assert code == 1 and "missing" in stdout and "istiod" in stdout


def test_reach_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifests = tmp_path / "m.yaml"
    manifests.write_text(
        """
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
spec: {containers: [{name: c, ports: [{name: web, containerPort: 80}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{podSelector: {matchLabels: {app: a}}}], ports: [{port: web}]}]
  egress: [{to: [{podSelector: {}}]}, {to: [{ipBlock: {cidr: 192.0.2.0/24}}], ports: [{port: 443}]}]
"""
    )
    code, stdout, _ = run(capsys, "netpol", "reach", str(manifests), "-f", "json")
    assert code == 0
    payload = json.loads(stdout)
    assert payload["edges"] == [{"src": "x/a", "dst": "x/b", "ports": {"TCP": ["80"]}}]
    assert payload["external"] == [
        {
            "workload": "x/a",
            "direction": "egress",
            "cidrs": ["192.0.2.0/24"],
            "ports": {"TCP": ["443"]},
        },
        {
            "workload": "x/b",
            "direction": "egress",
            "cidrs": ["192.0.2.0/24"],
            "ports": {"TCP": ["443"]},
        },
    ]
    code, stdout, stderr = run(capsys, "netpol", "reach", str(manifests))
    # Off a terminal: one grep-able line per allowed pair, never a table cut at 80 columns.
    lines = stdout.splitlines()
    assert code == 0 and "x/a -> x/b: TCP/80" in lines
    assert "x/a -> 192.0.2.0/24: TCP/443" in lines
    assert "x/b -> x/a: TCP/80" not in lines and not any("│" in line for line in lines)
    assert "judged the build of 1 files" in stderr
    code, stdout, _ = run(capsys, "netpol", "reach", str(manifests), "-f", "table")
    assert code == 0 and "x/a" in stdout and "TCP/80" in stdout and "judged the build" in stdout
    assert "x/a -> x/b" not in stdout
    code, stdout, _ = run(capsys, "netpol", "reach", str(tmp_path), "-f", "dot")
    assert (
        code == 0 and stdout.startswith("digraph") and '"x/a" -> "x/b" [label="TCP/80"]' in stdout
    )
    if shutil.which("dot"):
        svg = tmp_path / "graph.svg"
        code, _, _ = run(capsys, "netpol", "reach", str(manifests), "--svg", str(svg))
        assert code == 0 and svg.read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("kind: NetworkPolicy\nmetadata: {name: p}\nspec: [\n", "bad.yaml:4:1: invalid YAML"),
        # Named explicitly, a broken file is parsed even when no kind can be seen in it.
        ("items: [\n", "bad.yaml:2:1: invalid YAML"),
        (
            "kind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {}\n"
            "  ingress:\n  - ports: [{port: 70000}]\n",
            "bad.yaml:6",
        ),
        (
            "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n"
            "    ports: [{containerPort: http}]\n",
            "bad.yaml:6",
        ),
    ],
)
def test_malformed_manifests_exit_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    code, stdout, stderr = run(capsys, "netpol", "reach", str(bad))
    assert code == 2 and stdout == ""
    assert expected in stderr and "Traceback" not in stderr


def test_prove_and_generate_input_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, stderr = run(capsys, "netpol", "prove", str(MINI), str(tmp_path / "absent"))
    assert code == 2 and "folder not found" in stderr
    broken = tmp_path / "estate.yaml"
    broken.write_text(MINI.read_text().replace("port: 4317\n", "port: 4317\n        bogus: 1\n"))
    code, _, stderr = run(capsys, "generate", str(broken), "--out", str(tmp_path / "o"))
    assert code == 2 and "estate.yaml:" in stderr and "bogus" in stderr
    assert not (tmp_path / "o").exists()
    tree = tmp_path / "tree"
    run(capsys, "generate", str(MINI), "--out", str(tree))
    (tree / "namespaces/core/networkpolicies.yaml").write_text(
        "kind: NetworkPolicy\nspec: {podSelector: [\n"
    )
    code, _, stderr = run(capsys, "netpol", "prove", str(MINI), str(tree))
    assert code == 2 and "networkpolicies.yaml:3" in stderr

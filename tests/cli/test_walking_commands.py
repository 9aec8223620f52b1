"""Every command that walks a tree takes ``--exclude`` (repeatable), ``--no-ignore-files`` and
``--verbose``: an excluded file is never read, skipped files are counted, and listed with
``--verbose``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.capture import run_main as run

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "zerotrust" / "fixtures"
MINI_ESTATE = FIXTURES / "mini-estate.yaml"
WORKLOADS = FIXTURES / "mini-workloads.yaml"
TRUST_POLICY = ROOT / "examples" / "claytom" / "trust-policy.yaml"
HELM = shutil.which("helm")

BROKEN = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: indent\n"
TEMPLATE = "{{- range .Values.items }}\n---\napiVersion: v1\nkind: ConfigMap\n{{- end }}\n"


@pytest.fixture(autouse=True)
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ACTOR", "tester")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def tree_with_broken_vendor(root: Path) -> Path:
    """Workloads in deploy/, a Helm template in chart/, a broken manifest in vendor/."""
    write(root / "deploy" / "workloads.yaml", WORKLOADS.read_text())
    write(root / "chart" / "templates" / "range.yaml", TEMPLATE)
    write(root / "vendor" / "broken.yaml", BROKEN)
    return root


WALKING_COMMANDS = {
    "images list": ["images", "list"],
    "netpol reach": ["netpol", "reach"],
    "policy test": ["policy", "test", "--library", str(ROOT / "rego")],
}


@pytest.mark.parametrize("command", sorted(WALKING_COMMANDS))
def test_an_excluded_broken_manifest_is_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    tree = tree_with_broken_vendor(tmp_path / "repo")
    args = [*WALKING_COMMANDS[command], str(tree)]
    code, _, err = run(capsys, *args)
    assert code == 2 and "vendor/broken.yaml" in err
    code, _, err = run(capsys, *args, "--exclude", "vendor")
    assert code in (0, 1) and "broken.yaml" not in err, err
    # repeatable: both globs apply
    code, _, err = run(capsys, *args, "--exclude", "vendor", "--exclude", "chart/")
    assert code in (0, 1) and "skipped" not in err, err


@pytest.mark.parametrize("command", sorted(WALKING_COMMANDS))
def test_verbose_lists_skipped_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    tree = tree_with_broken_vendor(tmp_path / "repo")
    args = [*WALKING_COMMANDS[command], str(tree), "--exclude", "vendor"]
    _, _, err = run(capsys, *args)
    assert "1 file(s) skipped" in err and "range.yaml" not in err
    _, _, err = run(capsys, *args, "--verbose")
    notes = [line for line in err.splitlines() if line.startswith("note: skipped ")]
    assert len(notes) == 1 and "chart/templates/range.yaml: a template" in notes[0]


@pytest.mark.parametrize("command", sorted(WALKING_COMMANDS))
def test_seccliignore_is_honoured_unless_no_ignore_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    tree = tree_with_broken_vendor(tmp_path / "repo")
    write(tree / ".seccliignore", "vendor/\n")
    args = [*WALKING_COMMANDS[command], str(tree)]
    code, _, err = run(capsys, *args)
    assert code in (0, 1), err
    code, _, err = run(capsys, *args, "--no-ignore-files")
    assert code == 2 and "vendor/broken.yaml" in err


def test_images_verify_excludes_files_when_given_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tree_with_broken_vendor(tmp_path / "repo")
    args = ["images", "verify", str(tree), "--policy", str(TRUST_POLICY), "-f", "json"]
    args += ["--require-digest", "--no-cache"]
    code, _, err = run(capsys, *args)
    assert code == 2 and "vendor/broken.yaml" in err
    # the references are tags, so --require-digest blocks them without a registry
    code, out, err = run(capsys, *args, "--exclude", "vendor", "-v")
    assert code == 1, err
    images = json.loads(out)["images"]
    assert {i["reference"] for i in images} == {
        "registry.example.com/web:1.0",
        "registry.example.com/client:1.0",
    }
    assert {i["verdict"] for i in images} == {"block"}
    assert "note: skipped " in err and "range.yaml" in err
    # excluding every manifest leaves nothing to judge (exit 2), not a pass
    code, _, err = run(capsys, *args, "--exclude", "vendor", "--exclude", "deploy")
    assert code == 2 and "nothing to verify" in err


def test_netpol_prove_excludes_in_a_tree_without_kustomization(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generated = tmp_path / "generated"
    code, _, err = run(capsys, "generate", str(MINI_ESTATE), "--out", str(generated))
    assert code == 0, err
    # applied as `kubectl apply -R -f`: the folders without the root kustomization
    tree = tmp_path / "loose"
    shutil.copytree(generated / "namespaces", tree / "namespaces")
    write(tree / "scratch" / "broken.yaml", BROKEN)
    write(tree / "chart" / "templates" / "range.yaml", TEMPLATE)
    code, _, err = run(capsys, "netpol", "prove", str(MINI_ESTATE), str(tree))
    assert code == 2 and "scratch/broken.yaml" in err
    code, out, err = run(
        capsys, "netpol", "prove", str(MINI_ESTATE), str(tree), "--exclude", "scratch", "-v"
    )
    assert code in (0, 1) and "broken.yaml" not in out + err, err
    assert "note: skipped " in err and "range.yaml: a template" in err


def test_images_helm_without_helm_is_a_dependency_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tree_with_broken_vendor(tmp_path / "repo")
    write(tree / "chart" / "Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    code, _, err = run(capsys, "images", "list", str(tree), "--exclude", "vendor", "--helm")
    assert code == 3 and "helm is not installed" in err
    code, _, err = run(capsys, "images", "list", str(tree / "chart"), "--helm")
    assert code == 3 and "helm is not installed" in err
    # without --helm the chart's template is skipped, not fatal
    code, out, err = run(capsys, "images", "list", str(tree), "--exclude", "vendor")
    assert code == 0 and "registry.example.com/web:1.0" in out and "1 file(s) skipped" in err


@pytest.mark.skipif(HELM is None, reason="helm is not installed")
def test_images_list_renders_charts_with_helm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = tmp_path / "repo" / "chart"
    write(chart / "Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    write(chart / "values.yaml", "tag: '2.1'\n")
    write(
        chart / "templates" / "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "  - name: app\n    image: registry.example/app:{{ .Values.tag }}\n",
    )
    for target in (tmp_path / "repo", chart):  # a tree holding the chart, or the chart itself
        code, out, err = run(capsys, "images", "list", str(target), "--helm", "-f", "json")
        assert code == 0, err
        images = json.loads(out)["images"]
        assert [i["normalised"] for i in images] == ["registry.example/app:2.1"]


def test_policy_test_prints_lines_off_a_terminal_and_a_table_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tree_with_broken_vendor(tmp_path / "repo")
    args = [*WALKING_COMMANDS["policy test"], str(tree), "--exclude", "vendor"]
    code, out, err = run(capsys, *args)  # captured stdout is not a terminal
    assert code == 1
    lines = out.splitlines()
    assert lines and all(line.startswith(f"{tree}/deploy/workloads.yaml:") for line in lines)
    assert any(" K8sPSSRunAsNonRoot/" in line and "shop/web" in line for line in lines)
    assert "object(s):" not in out and "object(s):" in err and "-> denied" in err
    code, table, _ = run(capsys, *args, "-f", "table")
    assert code == 1 and "┃ object" in table and "object(s):" in table

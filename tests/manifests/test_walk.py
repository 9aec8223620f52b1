"""Walking real trees: excludes, ignore files, files that are not manifests, Helm charts.

Each class of non-manifest is tried in several variants, through ``policy test``, the netpol
collector and ``images list``; files named explicitly and files that read like broken
manifests stay errors, and a tree where nothing was judged stays exit 2.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from seccli.core.errors import DependencyError, InputError
from seccli.manifests import collect_documents
from seccli.manifests.walk import IgnoreRules, WalkOptions, excluded, unparsable_reason
from seccli.supplychain.refs import scan_inputs
from tests.capture import run_main as run

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "rego"
HELM = shutil.which("helm")

POD = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\n"
    "spec:\n  containers:\n  - name: app\n    image: registry.example/{name}:1\n"
)
HELM_TEMPLATES = {
    "include": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        '  labels:\n    {{- include "chart.labels" . | nindent 4 }}\nspec: {}\n'
    ),
    "range": "{{- range .Values.items }}\n---\napiVersion: v1\nkind: ConfigMap\n{{- end }}\n",
    "if-block": (
        "{{- if .Values.enabled }}\napiVersion: v1\nkind: Service\nmetadata:\n"
        '  name: {{ template "x" . }}\n{{- end }}\n'
    ),
}
JSON_WITH_COMMENTS = {
    "line-comment": '{\n  // compiler options\n  "compilerOptions": {"strict": true}\n}\n',
    "block-comment": '/* generated */\n{"extends": "./base.json"}\n',
    "trailing-comment": '{\n  "a": 1, // one\n  "b": 2\n}\n',
}
NOT_OBJECTS = {
    "Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    "values.yaml": "replicaCount: 1\nimage:\n  repository: nginx\n",
    "workflow.yml": "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
    "package.json": '{"name": "web", "version": "1.0.0"}\n',
}


@pytest.fixture(autouse=True)
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ACTOR", "tester")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def real_world_tree(root: Path) -> Path:
    """A repository as people have them: a pod, a chart, a web app, CI, docs."""
    write(root / "deploy" / "pod.yaml", POD.format(name="api"))
    write(root / "chart" / "Chart.yaml", NOT_OBJECTS["Chart.yaml"])
    write(root / "chart" / "values.yaml", NOT_OBJECTS["values.yaml"])
    for name, text in HELM_TEMPLATES.items():
        write(root / "chart" / "templates" / f"{name}.yaml", text)
    for name, text in JSON_WITH_COMMENTS.items():
        write(root / "web" / f"tsconfig.{name}.json", text)
    write(root / ".github" / "workflows" / "ci.yml", NOT_OBJECTS["workflow.yml"])
    write(root / "web" / "package.json", NOT_OBJECTS["package.json"])
    return root


def policy_test(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code, out, err = run(capsys, "policy", "test", *args, "--library", str(LIBRARY), "-f", "json")
    return code, (json.loads(out) if out.strip() else {}), err


def judged_names(document: dict) -> set[str]:
    return {o["object"]["name"] for o in document.get("objects", [])}


# -- policy test ---------------------------------------------------------------------------


def test_policy_test_skips_what_is_not_a_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = real_world_tree(tmp_path / "repo")
    code, document, err = policy_test(capsys, str(tree))
    assert code in (0, 1), err
    assert document["summary"]["objects"] == 1 and judged_names(document) <= {"api"}
    skipped = {Path(s["file"]).name: s["reason"] for s in document["skipped"]}
    for name in HELM_TEMPLATES:
        assert "template" in skipped[f"{name}.yaml"]
    for name in JSON_WITH_COMMENTS:
        assert "comments" in skipped[f"tsconfig.{name}.json"]
    assert "apiVersion and kind" in skipped["Chart.yaml"]
    assert "apiVersion and kind" in skipped["values.yaml"]
    assert "apiVersion and kind" in skipped["package.json"]
    assert "ci.yml" not in skipped  # dot-folders are not read by policy test
    assert document["summary"]["skippedFiles"] == len(skipped) == 9
    assert "9 file(s) skipped" in err and "--verbose" in err


def test_verbose_lists_every_skipped_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = real_world_tree(tmp_path / "repo")
    code, _, err = run(capsys, "policy", "test", str(tree), "--library", str(LIBRARY), "-v")
    lines = [line for line in err.splitlines() if line.startswith("note: skipped ")]
    assert len(lines) == 9 and code in (0, 1)
    assert any("range.yaml: a template" in line for line in lines)
    code, out, _ = run(
        capsys, "policy", "test", str(tree), "--library", str(LIBRARY), "-f", "table"
    )
    assert "9 file(s) skipped" in out


@pytest.mark.parametrize(
    "name",
    ["chart/templates/include.yaml", "web/tsconfig.line-comment.json", "chart/values.yaml"],
)
def test_a_file_named_explicitly_stays_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    tree = real_world_tree(tmp_path / "repo")
    code, _, err = run(capsys, "policy", "test", str(tree / name), "--library", str(LIBRARY))
    assert code == 2 and str(tree / name) in err


@pytest.mark.parametrize(
    "broken",
    [
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: indent\n",
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},}\n',
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: 1\n  a: 2\n",
    ],
    ids=["bad-indent", "trailing-comma-json", "duplicate-key"],
)
def test_a_broken_manifest_in_a_tree_is_still_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], broken: str
) -> None:
    tree = real_world_tree(tmp_path / "repo")
    suffix = ".json" if broken.startswith("{") else ".yaml"
    bad = write(tree / "deploy" / f"broken{suffix}", broken)
    code, _, err = policy_test(capsys, str(tree))
    assert code == 2 and str(bad) in err


def test_a_manifest_with_template_braces_that_parses_is_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Prometheus rules and Argo workflows carry {{ }} in strings: they are manifests
    rules = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: braces\n  namespace: shop\n"
        "  annotations:\n    summary: 'Instance {{ $labels.instance }} down'\n"
        "spec:\n  containers:\n  - name: app\n    image: nginx:latest\n"
    )
    write(tmp_path / "repo" / "rules.yaml", rules)
    code, document, _ = policy_test(capsys, str(tmp_path / "repo"))
    assert code == 1 and "braces" in judged_names(document) and document["skipped"] == []


@pytest.mark.parametrize("allow", [False, True])
def test_a_tree_of_nothing_but_skipped_files_is_nothing_to_judge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], allow: bool
) -> None:
    tree = real_world_tree(tmp_path / "repo")
    (tree / "deploy" / "pod.yaml").unlink()
    extra = ["--allow-empty"] if allow else []
    code, _, err = policy_test(capsys, str(tree), *extra)
    if allow:
        assert code == 0
    else:
        assert code == 2 and "nothing to judge" in err and "9 file(s) skipped" in err


@pytest.mark.parametrize(
    ("patterns", "left"),
    [
        (["chart"], 4),  # a folder name anywhere
        (["chart/", "web/*.json"], 0),  # a folder and a glob with a slash
        (["*.json"], 5),  # a name glob in every folder
        (["./web"], 5),
    ],
)
def test_exclude_leaves_paths_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], patterns: list[str], left: int
) -> None:
    tree = real_world_tree(tmp_path / "repo")
    args = [item for p in patterns for item in ("--exclude", p)]
    code, document, _ = policy_test(capsys, str(tree), *args)
    assert document["summary"]["skippedFiles"] == left and code in (0, 1)


def test_excluding_every_manifest_is_nothing_to_judge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = real_world_tree(tmp_path / "repo")
    code, _, err = policy_test(capsys, str(tree), "--exclude", "deploy")
    assert code == 2 and "nothing to judge" in err


def test_gitignore_and_seccliignore_are_honoured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "repo"
    write(tree / "deploy" / "pod.yaml", POD.format(name="kept"))
    write(tree / "vendor" / "pod.yaml", POD.format(name="vendored"))
    write(tree / "build" / "out" / "pod.yaml", POD.format(name="built"))
    write(tree / "deploy" / "local.yaml", POD.format(name="local"))
    write(tree / "deploy" / "important.yaml", POD.format(name="important"))
    write(tree / ".gitignore", "# dependencies\nvendor/\n/build\n")
    write(tree / "deploy" / ".seccliignore", "*.yaml\n!pod.yaml\n!important.yaml\n")
    code, document, _ = policy_test(capsys, str(tree))
    assert judged_names(document) <= {"kept", "important"} and code in (0, 1)
    assert document["summary"]["objects"] == 2
    code, document, _ = policy_test(capsys, str(tree), "--no-ignore-files")
    assert document["summary"]["objects"] == 5


# -- the ignore rules and globs themselves -------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "path", "is_dir", "ignored"),
    [
        (["*.log"], "a/b/c.log", False, True),
        (["/build"], "build", True, True),
        (["/build"], "src/build", True, False),  # anchored to the ignore file's folder
        (["docs/"], "docs", True, True),
        (["docs/"], "docs", False, False),  # a trailing slash: folders only
        (["*.yaml", "!keep.yaml"], "keep.yaml", False, False),
        (["*.yaml", "!keep.yaml", "keep.yaml"], "keep.yaml", False, True),  # last match wins
        (["a/**/z.yaml"], "a/b/c/z.yaml", False, True),
        (["**/gen"], "x/y/gen", True, True),
        (["# comment", "", "   "], "comment", False, False),
        (["file[0-9].yaml"], "file7.yaml", False, True),
        (["\\#hash.yaml"], "#hash.yaml", False, True),
    ],
)
def test_ignore_rules(
    tmp_path: Path, lines: list[str], path: str, is_dir: bool, ignored: bool
) -> None:
    write(tmp_path / ".gitignore", "\n".join(lines) + "\n")
    rules = IgnoreRules().with_folder(tmp_path, "")
    assert rules.ignored(path, is_dir) is ignored


def test_nested_ignore_files_are_relative_to_their_folder(tmp_path: Path) -> None:
    write(tmp_path / "sub" / ".gitignore", "/local.yaml\n")
    rules = IgnoreRules().with_folder(tmp_path, "").with_folder(tmp_path / "sub", "sub")
    assert rules.ignored("sub/local.yaml", False)
    assert not rules.ignored("local.yaml", False)
    assert not rules.ignored("sub/deeper/local.yaml", False)


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        ("vendor/a/b.yaml", ["vendor"], True),
        ("a/vendor/b.yaml", ["vendor"], True),
        ("a/b.yaml", ["vendor"], False),
        ("docs/x/gen/y.yaml", ["docs/*/gen"], True),
        ("a.json", ["*.json"], True),
        ("a.yaml", ["*.json"], False),
        ("a.yaml", ["", "  "], False),
    ],
)
def test_exclude_globs(path: str, patterns: list[str], expected: bool) -> None:
    assert excluded(path, patterns) is expected


@pytest.mark.parametrize(
    ("text", "name", "skip"),
    [
        ("a: {{ .x }}\n", "t.yaml", True),
        ('{ // c\n "a": 1}', "t.json", True),
        ("foo: [unclosed\n", "notes.yaml", True),  # no apiVersion/kind at all
        ("apiVersion: v1\nkind: Pod\n  bad\n", "p.yaml", False),  # reads like a manifest
        ('{"kind": "Pod", }', "p.json", False),
    ],
)
def test_unparsable_reason(text: str, name: str, skip: bool) -> None:
    assert (unparsable_reason(text, name) is not None) is skip


# -- the netpol collector and images list share the rules ------------------------------------


def test_collector_skips_and_excludes_in_loose_folders(tmp_path: Path) -> None:
    tree = real_world_tree(tmp_path / "repo")
    write(tree / "vendor" / "pod.yaml", POD.format(name="vendored"))
    write(tree / ".gitignore", "vendor\n")
    build = collect_documents([tree])
    names = {obj.data["metadata"]["name"] for obj in build.objects}
    assert names == {"api"}
    skipped = {Path(s.path).name for s in build.skipped}
    assert {"include.yaml", "range.yaml", "tsconfig.block-comment.json", "ci.yml"} <= skipped
    excluded_build = collect_documents([tree], options=WalkOptions(excludes=("deploy",)))
    assert excluded_build.objects == []
    with pytest.raises(InputError):
        collect_documents([tree / "chart" / "templates" / "include.yaml"])


def test_collector_keeps_kustomize_listed_files_strict(tmp_path: Path) -> None:
    tree = tmp_path / "k"
    write(tree / "kustomization.yaml", "resources:\n- tpl.yaml\n")
    write(tree / "tpl.yaml", HELM_TEMPLATES["include"])
    with pytest.raises(InputError):
        collect_documents([tree])


def test_images_list_walks_past_non_manifests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = real_world_tree(tmp_path / "repo")
    [item] = scan_inputs([tree])
    skipped = {Path(s.path).name for s in item.skipped}
    assert {"include.yaml", "range.yaml", "if-block.yaml"} <= skipped
    assert {"tsconfig.line-comment.json", "tsconfig.trailing-comment.json"} <= skipped
    code, out, err = run(capsys, "images", "list", str(tree), "-f", "json")
    assert code == 0, err
    assert "registry.example/api:1" in out
    code, _, err = run(capsys, "images", "list", str(tree / "web" / "tsconfig.line-comment.json"))
    assert code == 2 and "tsconfig.line-comment.json" in err
    [only_ignored] = scan_inputs([tree], options=WalkOptions(excludes=("deploy",)))
    assert not only_ignored.images and only_ignored.emptiness is not None


# -- Helm --------------------------------------------------------------------------------


def test_helm_flag_without_helm_is_a_dependency_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    tree = real_world_tree(tmp_path / "repo")
    code, _, err = run(capsys, "policy", "test", str(tree), "--library", str(LIBRARY), "--helm")
    assert code == 3 and "helm is not installed" in err
    with pytest.raises(DependencyError):
        collect_documents([tree], options=WalkOptions(helm=True))


@pytest.mark.skipif(HELM is None, reason="helm is not installed")
def test_helm_renders_charts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chart = tmp_path / "repo" / "chart"
    write(chart / "Chart.yaml", NOT_OBJECTS["Chart.yaml"])
    write(chart / "values.yaml", "name: rendered\n")
    write(
        chart / "templates" / "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n  namespace: shop\n"
        "spec:\n  containers:\n  - name: app\n    image: nginx:latest\n",
    )
    code, document, _ = policy_test(capsys, str(tmp_path / "repo"), "--helm")
    assert code == 1 and judged_names(document) == {"rendered"}

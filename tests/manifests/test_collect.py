"""Folder rules and refusals: what is read, what is not, and what is an error (exit 2)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from seccli.core.errors import InputError
from seccli.manifests import collect_documents

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: NAME}\n"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def _names(root: Path, **kwargs: object) -> list[str]:
    return sorted(o.name for o in collect_documents([root], **kwargs).objects)  # type: ignore[arg-type]


def test_loose_folder_reads_like_kubectl_apply_recursive(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "a.yaml": CM.replace("NAME", "a"),
            "sub/b.yml": CM.replace("NAME", "b"),
            "sub/deeper/c.json": json.dumps(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
            ),
            ".hidden/d.yaml": CM.replace("NAME", "d"),  # dot-folders are not hidden from a gate
            ".e.yaml": CM.replace("NAME", "e"),
            "notes.txt": CM.replace("NAME", "txt"),  # not a manifest suffix
            "upper.YAML": CM.replace("NAME", "upper"),  # kubectl matches suffixes exactly
            "workflow.yml": "on: push\njobs: {}\n",  # no kind: not an object
        },
    )
    build = collect_documents([tmp_path])
    assert sorted(o.name for o in build.objects) == ["a", "b", "c", "d", "e"]
    assert f"{tmp_path}/workflow.yml" in build.ignored
    assert f"{tmp_path}/workflow.yml" not in build.files


def test_kustomization_folder_counts_only_what_it_lists(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "kustomization.yaml": "resources: [listed.yaml]\n",
            "listed.yaml": CM.replace("NAME", "listed"),
            "dropped.yaml": CM.replace("NAME", "dropped"),
            "sub/other.yaml": CM.replace("NAME", "other"),
        },
    )
    build = collect_documents([tmp_path])
    assert [o.name for o in build.objects] == ["listed"]
    assert build.files == [f"{tmp_path}/kustomization.yaml", f"{tmp_path}/listed.yaml"]


def test_sub_folder_with_a_kustomization_is_built_not_walked(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "loose.yaml": CM.replace("NAME", "loose"),
            "app/kustomization.yaml": "resources: [a.yaml]\nnamespace: app\n",
            "app/a.yaml": CM.replace("NAME", "a"),
            "app/unlisted.yaml": CM.replace("NAME", "unlisted"),
        },
    )
    build = collect_documents([tmp_path])
    assert sorted((o.name, o.namespace) for o in build.objects) == [("a", "app"), ("loose", "")]


def test_naming_a_kustomization_file_builds_its_folder(tmp_path: Path) -> None:
    _write(
        tmp_path, {"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": CM.replace("NAME", "a")}
    )
    assert _names(tmp_path / "kustomization.yaml") == ["a"]


def test_a_file_named_explicitly_is_read_whatever_its_suffix(tmp_path: Path) -> None:
    _write(tmp_path, {"x.txt": CM.replace("NAME", "x")})
    assert _names(tmp_path / "x.txt") == ["x"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"kustomization.yaml": "resources: [missing.yaml]\n"}, "'missing.yaml' not found"),
        ({"kustomization.yaml": "resources: [sub]\n", "sub/x.yaml": CM}, "no kustomization file"),
        ({"kustomization.yaml": "resources: [../outside]\n"}, "outside the root"),
        ({"kustomization.yaml": "resources: [/etc/hosts]\n"}, "must be a relative path"),
        (
            {"kustomization.yaml": "resources: [https://example.com/base.yaml]\n"},
            "remote reference",
        ),
        (
            {"kustomization.yaml": "resources: ['git@github.com:o/r//base']\n"},
            "remote reference",
        ),
        (
            {"kustomization.yaml": "resources: [a]\n", "a/kustomization.yaml": "resources: [..]\n"},
            "reference cycle",
        ),
        (
            {
                "kustomization.yaml": "resources: [a]\n",
                "a/kustomization.yaml": "resources: [../b]\n",
                "b/kustomization.yaml": "resources: [../a]\n",
            },
            "reference cycle",
        ),
        (
            {"kustomization.yaml": "resources: [x.yaml]\n", "Kustomization": "resources: []\n"},
            "several kustomization files",
        ),
        ({"kustomization.yaml": ""}, "the kustomization is empty"),
        ({"kustomization.yaml": "resources: [a.yaml, a.yaml]\n", "a.yaml": CM}, "already in"),
        (
            {
                "kustomization.yaml": "resources: [c]\n",
                "c/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
                "kind: Component\n",
            },
            "expected a Kustomization here but found a Component",
        ),
        (
            {"kustomization.yaml": "components: [c]\n", "c/kustomization.yaml": "resources: []\n"},
            "expected a Component here but found a Kustomization",
        ),
        (
            {"kustomization.yaml": "apiVersion: v1\nresources: []\n"},
            "should be kustomize.config.k8s.io/v1beta1",
        ),
        (
            {"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": "kind: ConfigMap\n"},
            "needs metadata",
        ),
        (
            {"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": "metadata: {name: x}\n"},
            "kind must be a non-empty string",
        ),
        (
            {
                "kustomization.yaml": "resources: [a.yaml, b.yaml]\nnamespace: one\n",
                "a.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
                "b.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
            },
            "already in the build",
        ),
    ],
)
def test_broken_kustomizations_are_errors(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    root = _write(tmp_path / "root", files)
    with pytest.raises(InputError, match=message):
        collect_documents([root])


UNSUPPORTED = [
    "namePrefix: p-",
    "nameSuffix: -s",
    "images: [{name: nginx, newTag: '2'}]",
    "replicas: [{name: d, count: 2}]",
    "configMapGenerator: [{name: c, literals: [a=b]}]",
    "secretGenerator: [{name: s, literals: [a=b]}]",
    "helmCharts: [{name: chart}]",
    "replacements: [{source: {kind: ConfigMap}}]",
    "vars: [{name: v}]",
    "transformers: [t.yaml]",
    "generators: [g.yaml]",
    "crds: [crd.json]",
    "openapi: {path: schema.json}",
    "buildMetadata: [originAnnotations]",
]


@pytest.mark.parametrize("line", UNSUPPORTED)
def test_unsupported_kustomization_fields_are_refused(tmp_path: Path, line: str) -> None:
    _write(tmp_path, {"kustomization.yaml": f"resources: [a.yaml]\n{line}\n", "a.yaml": CM})
    field = line.split(":")[0]
    with pytest.raises(InputError, match=f"kustomization.yaml:2.*'{field}' is not supported"):
        collect_documents([tmp_path])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("bogus: 1", "unknown kustomization field 'bogus'"),
        ("labels: [{pairs: {a: b}, fields: [{path: spec/x}]}]", "'fields' is not supported"),
        ("commonLabels: {a: 1}", "must map strings to strings"),
        ("namespace: [x]", "namespace must be a string"),
        (
            "patches: [{path: p.yaml, options: {allowNameChange: true}}]",
            "patch options",
        ),
        ("patches: [{patch: '[]', target: {kind: X, bogus: y}}]", "target takes only"),
        ('patches: [{patch: \'[{"op": "add", "path": "/x", "value": 1}]\'}]', "needs a target"),
        (
            'patchesStrategicMerge: [\'{"kind": "ConfigMap", "metadata": {"name": "nope"}}\']',
            "no object in the build match",
        ),
        (
            'patchesStrategicMerge: [\'{"kind": "ConfigMap", "metadata": {"name": "c"}, '
            '"$patch": "delete"}\']',
            "directive '\\$patch'",
        ),
        (
            'patchesStrategicMerge: [\'{"kind": "ConfigMap", "metadata": {"name": "c", '
            '"finalizers": ["x"]}}\']',
            "merge strategy is not known",
        ),
        (
            'patchesJson6902: [{target: {kind: ConfigMap}, patch: \'[{"op": "test", '
            '"path": "/data", "value": 1}]\'}]',
            "does not exist",
        ),
        (
            'patchesJson6902: [{target: {kind: ConfigMap}, patch: \'[{"op": "replace", '
            '"path": "/metadata/name", "value": "other"}]\'}]',
            "may not change an object's",
        ),
        (
            "patches: [{target: {kind: ConfigMap, labelSelector: 'a in (b)'}, patch: '[]'}]",
            "only equality terms",
        ),
        ("patches: [{path: ../escape.yaml}]", "outside the root|not in or below"),
    ],
)
def test_kustomization_mistakes_are_refused(tmp_path: Path, extra: str, message: str) -> None:
    root = _write(
        tmp_path / "root",
        {
            "kustomization.yaml": f"resources: [a.yaml]\n{extra}\n",
            "a.yaml": CM.replace("NAME", "c"),
            "p.yaml": CM.replace("NAME", "c"),
        },
    )
    (tmp_path / "escape.yaml").write_text(CM.replace("NAME", "c"))
    with pytest.raises(InputError, match=message):
        collect_documents([root])


def test_resource_files_must_be_inside_their_kustomization_folder(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "base/a.yaml": CM.replace("NAME", "a"),
            "overlay/kustomization.yaml": "resources: [../base/a.yaml]\n",
        },
    )
    with pytest.raises(InputError, match="not in or below"):
        collect_documents([tmp_path / "overlay"], root=tmp_path)


def test_links_leaving_the_root_are_refused_and_loops_read_once(tmp_path: Path) -> None:
    outside = _write(tmp_path / "outside", {"x.yaml": CM.replace("NAME", "x")})
    tree = _write(tmp_path / "tree", {"a.yaml": CM.replace("NAME", "a")})
    (tree / "loop").symlink_to(tree)
    (tree / "alias.yaml").symlink_to(tree / "a.yaml")
    assert _names(tree) == ["a"]  # the loop and the second name of a.yaml are read once
    (tree / "out").symlink_to(outside)
    with pytest.raises(InputError, match="outside the folder being judged"):
        collect_documents([tree])
    (tree / "out").unlink()
    (tree / "out.yaml").symlink_to(outside / "x.yaml")
    with pytest.raises(InputError, match="outside the folder being judged"):
        collect_documents([tree])
    (tree / "out.yaml").unlink()
    (tree / "kustomization.yaml").write_text("resources: [../outside/x.yaml]\n")
    with pytest.raises(InputError, match="outside the root"):
        collect_documents([tree])


def test_non_regular_files_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, {"a.yaml": CM.replace("NAME", "a")})
    os.mkfifo(tmp_path / "pipe.yaml")
    with pytest.raises(InputError, match="not a regular file"):
        collect_documents([tmp_path])
    (tmp_path / "pipe.yaml").unlink()
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "kustomization.yaml").write_text("resources: [pipe.yaml]\n")
    with pytest.raises(InputError, match="not a regular file"):
        collect_documents([tmp_path])


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        collect_documents([tmp_path / "absent"])


def test_sources_and_locations_of_objects(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "kustomization.yaml": "resources: [l.yaml]\nnamespace: n\n",
            "l.yaml": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n"
            "  metadata: {name: a}\n",
        },
    )
    [obj] = collect_documents([tmp_path]).objects
    assert obj.source == f"{tmp_path}/l.yaml" and obj.path == ("items", 0)
    assert obj.transformed and obj.namespace == "n"
    assert obj.locate("metadata").line == 6
    original = obj.document.data["items"][0]
    assert "namespace" not in original["metadata"]  # the parsed document is never modified

"""The policy library's single source: rego/ is exactly what rego/_source generates.

Every template's Rego is a real ``src.rego`` file that seccli's own Rego engine parses and
compiles; the generator reproduces the checked-in ``rego/`` byte for byte, its ``--check`` mode
notices each kind of drift (a changed, missing or extra file, the folder of a deleted spec) and
its write mode removes what deleted specs left without touching what it did not generate.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from seccli.policy.rego import RegoError
from seccli.policy.rego import compile as rego_compile

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "rego"
SOURCE = LIBRARY / "_source"
GENERATOR = SOURCE / "generate.py"
NOT_GENERATED = {"_source", "README.md"}


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rego_library_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATE = _load_generator()
SPECS = GENERATE.specs.SPECS


def generator(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` except what the generator does not own: path → bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).parts[0] not in NOT_GENERATED
    }


@pytest.fixture
def library_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "rego"
    shutil.copytree(LIBRARY, copy, ignore=shutil.ignore_patterns("_source"))
    return copy


def test_generator_reproduces_the_checked_in_library(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    result = generator("--output", out)
    assert result.returncode == 0, result.stderr
    generated, checked_in = tree(out), tree(LIBRARY)
    assert len(checked_in) > 300  # the whole library, not an empty folder
    assert sorted(generated.keys() - checked_in.keys()) == []
    assert sorted(checked_in.keys() - generated.keys()) == []  # includes deleted specs' folders
    assert [p for p in sorted(generated) if generated[p] != checked_in[p]] == []
    folders = {path.split("/", 1)[0] for path in checked_in}
    assert folders == {spec["folder"] for spec in SPECS}


def test_check_mode_passes_on_the_checked_in_library() -> None:
    result = generator("--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "matches its source" in result.stdout


def _stale_folder(root: Path) -> str:
    shutil.copytree(root / "pss-privileged", root / "pss-removed-spec")
    return "not generated: pss-removed-spec/template.yaml"


def _changed_byte(root: Path) -> str:
    sample = root / "pss-privileged" / "samples" / "allowed-pod.yaml"
    sample.write_bytes(sample.read_bytes().replace(b"web", b"wab", 1))
    return "differs: pss-privileged/samples/allowed-pod.yaml"


def _trailing_newline(root: Path) -> str:
    template = root / "ingress-tls" / "template.yaml"
    template.write_bytes(template.read_bytes() + b"\n")
    return "differs: ingress-tls/template.yaml"


def _missing_file(root: Path) -> str:
    (root / "rbac-no-wildcards" / "suite.yaml").unlink()
    return "missing: rbac-no-wildcards/suite.yaml"


def _missing_folder(root: Path) -> str:
    shutil.rmtree(root / "pss-seccomp")
    return "missing: pss-seccomp/template.yaml"


def _extra_sample(root: Path) -> str:
    (root / "pss-privileged" / "samples" / "allowed-extra.yaml").write_text("kind: Pod\n")
    return "not generated: pss-privileged/samples/allowed-extra.yaml"


def _extra_top_level_file(root: Path) -> str:
    (root / "stray.yaml").write_text("kind: ConstraintTemplate\n")
    return "not generated: stray.yaml"


def _hidden_folder(root: Path) -> str:
    shutil.copytree(root / "pss-privileged", root / ".old-privileged")
    return "not generated: .old-privileged/template.yaml"


@pytest.mark.parametrize(
    "drift",
    [
        _stale_folder,
        _changed_byte,
        _trailing_newline,
        _missing_file,
        _missing_folder,
        _extra_sample,
        _extra_top_level_file,
        _hidden_folder,
    ],
)
def test_check_mode_fails_on_every_kind_of_drift(library_copy: Path, drift: object) -> None:
    assert generator("--check", "--output", library_copy).returncode == 0
    assert callable(drift)
    expected = drift(library_copy)
    result = generator("--check", "--output", library_copy)
    assert result.returncode == 1, result.stdout
    assert expected in result.stdout.splitlines()


def test_write_removes_what_deleted_specs_left(library_copy: Path) -> None:
    _stale_folder(library_copy)
    _extra_sample(library_copy)
    _changed_byte(library_copy)
    result = generator("--output", library_copy)
    assert result.returncode == 0, result.stderr
    assert "removed pss-removed-spec" in result.stdout
    assert not (library_copy / "pss-removed-spec").exists()
    assert tree(library_copy) == tree(LIBRARY)
    assert (library_copy / "README.md").is_file()  # not the generator's: kept


@pytest.mark.parametrize("foreign", ["notes", "mine.yaml"])
def test_write_refuses_entries_it_did_not_generate(library_copy: Path, foreign: str) -> None:
    target = library_copy / foreign
    if foreign.endswith(".yaml"):
        target.write_text("kind: Pod\n")
    else:
        target.mkdir()
        (target / "template.yaml").write_text("# my own template\n")
    expected = _changed_byte(library_copy)
    result = generator("--output", library_copy)
    assert result.returncode != 0
    assert foreign in result.stderr
    assert target.exists()
    # Nothing was written: the drift is still there.
    assert expected in generator("--check", "--output", library_copy).stdout.splitlines()


def test_every_template_rego_is_a_source_file_that_compiles() -> None:
    sources = sorted(SOURCE.glob("*/src.rego"))
    assert {path.parent.name for path in sources} == {spec["folder"] for spec in SPECS}
    for spec in SPECS:
        path = GENERATE.rego_source(spec["folder"])
        text = path.read_text(encoding="utf-8")
        package = re.search(r"^package (\S+)$", text, re.MULTILINE)
        assert package is not None and package.group(1) == spec["kind"].lower(), path
        modules = {"src.rego": text}
        if spec["uses_lib"]:
            modules["lib.rego"] = GENERATE.LIB_SOURCES[spec["v1"]].read_text(encoding="utf-8")
        try:
            rego_compile(modules, {"inventory": {}}, v0=not spec["v1"])
        except RegoError as err:
            pytest.fail(f"{path}: {err}")
    for version, lib in GENERATE.LIB_SOURCES.items():
        rego_compile({lib.name: lib.read_text(encoding="utf-8")}, v0=not version)


@pytest.mark.parametrize(
    ("source", "v0"),
    [
        ('package k8sbroken\n\nviolation[{"msg": msg}] {\n  msg := \n}\n', True),
        ('package k8sbroken\n\nviolation[{"msg": msg}] {\n  input.x == y\n}\n', True),
        ("package k8sbroken\n\nviolation contains msg if {\n  msg := 1\n", False),
        ("package k8sbroken\n\nviolation[msg] {\n  msg := 1\n}\n", False),  # v0 syntax as v1
    ],
)
def test_the_lint_catches_broken_rego(source: str, v0: bool) -> None:
    with pytest.raises(RegoError):
        rego_compile({"src.rego": source}, v0=v0)

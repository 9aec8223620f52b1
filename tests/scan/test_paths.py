"""Source root, rebased paths and ``--exclude`` globs (pure functions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccli.core.findings import Finding
from seccli.core.location import Location
from seccli.core.severity import Severity
from seccli.scan.inventory import build_inventory
from seccli.scan.paths import excluded, rebase, source_root


def _finding(file: str) -> Finding:
    return Finding.create(
        tool="bandit",
        rule_id="B602",
        title="t",
        message="m",
        severity=Severity.HIGH,
        location=Location(file, 3),
        basis="x",
    )


def test_source_root_is_the_git_work_tree(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "infrastructure" / "info-app").mkdir(parents=True)
    (repo / ".git").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for target in (repo / "infrastructure", repo / "infrastructure" / "info-app", repo):
        assert source_root(target, cwd=elsewhere) == repo.resolve()
    # A .git file (worktrees, submodules) counts too.
    sub = tmp_path / "sub"
    (sub / "src").mkdir(parents=True)
    (sub / ".git").write_text("gitdir: /somewhere\n")
    assert source_root(sub / "src", cwd=tmp_path) == sub.resolve()


def test_source_root_without_git_is_the_cwd_when_the_target_is_inside(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert source_root(tmp_path / "a" / "b", cwd=tmp_path) == tmp_path.resolve()
    assert source_root(tmp_path / "a", cwd=tmp_path / "a") == (tmp_path / "a").resolve()
    # Outside the cwd: the scanned folder itself.
    assert source_root(tmp_path / "a", cwd=tmp_path / "a" / "b") == (tmp_path / "a").resolve()


def test_rebase_prefixes_the_path_and_keeps_the_id() -> None:
    finding = _finding("info-app/app.py")
    moved = rebase(finding, "infrastructure")
    assert moved.location.file == "infrastructure/info-app/app.py"
    assert moved.id == finding.id and moved.location.line == 3
    assert rebase(finding, "") is finding
    whole_tree = _finding(".")
    assert rebase(whole_tree, "infrastructure") is whole_tree


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        ("vendor/lib/x.py", ["vendor"], True),
        ("vendor/lib/x.py", ["vendor/"], True),
        ("vendor/lib/x.py", ["./vendor/"], True),
        ("vendor/lib/x.py", ["vendor/*"], True),
        ("src/vendor/x.py", ["vendor"], True),  # a name anywhere in the path
        ("src/vendor/x.py", ["vendor/*"], False),  # with a '/': from the scanned folder
        ("src/vendored.py", ["vendor"], False),
        ("a/b/c.tf", ["*.tf"], True),
        ("a/b/c.tfvars", ["*.tf"], False),
        ("docs/api/gen/x.py", ["docs/*/gen"], True),
        ("docs/api/x.py", ["docs/*/gen"], False),
        ("app.py", [], False),
        ("app.py", ["", "  "], False),
        ("tests/fixtures/bad.py", ["other", "tests/fixtures"], True),
    ],
)
def test_exclude_globs(path: str, patterns: list[str], expected: bool) -> None:
    assert excluded(path, patterns) is expected


def test_inventory_leaves_out_excluded_paths(tmp_path: Path) -> None:
    for name in ("app.py", "vendor/lib.py", "src/vendor/x.py", "infra/main.tf", "infra/x.py"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    everything = build_inventory(tmp_path)
    assert len(everything.files) == 5
    kept = build_inventory(tmp_path, exclude=("vendor", "*.tf"))
    assert kept.paths() == ["app.py", "infra/x.py"]

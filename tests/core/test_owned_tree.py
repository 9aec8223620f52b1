"""``seccli.core.owned_tree``: ownership manifest, stale and foreign files, refusals."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from seccli.core import tree_swap
from seccli.core.atomic import UnsafeTarget
from seccli.core.hashing import sha256_hex
from seccli.core.owned_tree import MANIFEST_NAME, inspect_tree, manifest_bytes, replace_tree

GEN = "test generator"
OLD = {"kustomization.yaml": b"old root\n", "a/one.yaml": b"one\n", "b/two.yaml": b"two\n"}
NEW = {"kustomization.yaml": b"new root\n", "a/one.yaml": b"one\n", "c/three.yaml": b"3\n"}


def files_under(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def test_first_write_then_nothing_to_do(tmp_path: Path) -> None:
    root = tmp_path / "out"
    result = replace_tree(root, OLD, generator=GEN)
    assert result.switched and result.written == tuple(sorted(OLD)) and not result.removed
    on_disk = files_under(root)
    assert on_disk.pop(MANIFEST_NAME) == manifest_bytes(OLD, GEN)
    assert on_disk == OLD
    manifest = json.loads((root / MANIFEST_NAME).read_text())
    assert manifest["files"] == {p: sha256_hex(d) for p, d in OLD.items()}
    inode = (root / "a/one.yaml").stat().st_ino
    again = replace_tree(root, OLD, generator=GEN)
    assert not again.switched and again.written == () and again.removed == ()
    assert (root / "a/one.yaml").stat().st_ino == inode  # untouched
    assert inspect_tree(root, OLD, generator=GEN).clean
    assert sorted(os.listdir(tmp_path)) == ["out"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in root.rglob("*") if p.is_file())


def test_upgrade_deletes_stale_owned_keeps_foreign(tmp_path: Path) -> None:
    root = tmp_path / "out"
    replace_tree(root, OLD, generator=GEN)
    (root / "b" / "mine.txt").write_text("user's")
    (root / "notes.md").write_text("user's")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref")
    (root / "empty").mkdir()
    (root / "link").symlink_to("/etc/hostname")
    drift = inspect_tree(root, NEW, generator=GEN)
    assert drift.missing == ("c/three.yaml",)
    assert drift.changed == ("kustomization.yaml",)
    assert drift.stale == ("b/two.yaml",)
    assert drift.foreign == ("b/mine.txt", "link", "notes.md")
    assert drift.manifest == "out of date" and not drift.clean
    result = replace_tree(root, NEW, generator=GEN)
    assert result.removed == ("b/two.yaml",)
    assert result.foreign == ("b/mine.txt", "link", "notes.md")
    assert result.written == ("c/three.yaml", "kustomization.yaml")
    assert (root / "b" / "mine.txt").read_text() == "user's"
    assert (root / ".git" / "HEAD").read_text() == "ref"
    assert (root / "empty").is_dir() and os.readlink(root / "link") == "/etc/hostname"
    assert not (root / "b" / "two.yaml").exists()
    after = inspect_tree(root, NEW, generator=GEN)
    assert after.clean and after.foreign == result.foreign  # foreign files do not fail a check
    assert json.loads((root / MANIFEST_NAME).read_text())["files"].keys() == NEW.keys()


def test_a_folder_emptied_by_the_upgrade_goes(tmp_path: Path) -> None:
    root = tmp_path / "out"
    replace_tree(root, OLD, generator=GEN)
    replace_tree(root, NEW, generator=GEN)
    assert not (root / "b").exists()


def test_edited_files(tmp_path: Path) -> None:
    root = tmp_path / "out"
    replace_tree(root, OLD, generator=GEN)
    (root / "a/one.yaml").write_text("hand edit\n")  # still generated: repaired
    (root / "b/two.yaml").write_text("hand edit\n")  # no longer generated: kept, reported
    drift = inspect_tree(root, NEW, generator=GEN)
    assert drift.edited == ("a/one.yaml", "b/two.yaml")
    assert "a/one.yaml" in drift.changed and drift.stale == ()
    assert drift.foreign == ("b/two.yaml",)
    result = replace_tree(root, NEW, generator=GEN)
    assert (root / "a/one.yaml").read_bytes() == b"one\n"
    assert (root / "b/two.yaml").read_text() == "hand edit\n"
    assert result.foreign == ("b/two.yaml",) and result.removed == ()


@pytest.mark.parametrize(
    "manifest",
    [
        b"{not json",
        b'{"apiVersion": "seccli.dev/v1", "kind": "GeneratedFiles", "files": {"../x": "'
        + b"0" * 64
        + b'"}}',
        b'{"apiVersion": "seccli.dev/v1", "kind": "GeneratedFiles", "files": {"b/two.yaml": 1}}',
        b'{"apiVersion": "seccli.dev/v1", "kind": "Other", "files": {}}',
        b'{"a": 1, "a": 2}',
        b"\xff\xfe\x00",
        b"[" * 10_000 + b"]" * 10_000,
    ],
)
def test_an_unreadable_manifest_owns_nothing(manifest: bytes, tmp_path: Path) -> None:
    root = tmp_path / "out"
    replace_tree(root, OLD, generator=GEN)
    (root / MANIFEST_NAME).write_bytes(manifest)
    drift = inspect_tree(root, OLD, generator=GEN)
    assert drift.manifest is not None and drift.manifest.startswith("unreadable")
    assert not drift.clean
    result = replace_tree(root, NEW, generator=GEN)
    assert result.removed == () and "b/two.yaml" in result.foreign  # nothing deleted
    assert any("no file was treated as owned" in n for n in result.notes)
    assert (root / "b/two.yaml").exists()
    assert inspect_tree(root, NEW, generator=GEN).clean


def test_a_tree_of_an_older_version_is_adopted(tmp_path: Path) -> None:
    """No manifest: generated paths are taken over, the rest is foreign, old temporaries go."""
    root = tmp_path / "out"
    for path, data in OLD.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    litter = [root / "a" / ".one.yaml.k2x9_abc.tmp", root / ".kustomization.yaml.zz00aa11.tmp"]
    for leftover in litter:
        leftover.write_text("half")
    lookalike = root / "a" / ".notes.k2x9_abc.tmp"  # not beside a generated file: not ours
    lookalike.write_text("user's")
    drift = inspect_tree(root, NEW, generator=GEN)
    assert drift.manifest == "missing" and not drift.clean
    assert set(drift.stale) == {"a/.one.yaml.k2x9_abc.tmp", ".kustomization.yaml.zz00aa11.tmp"}
    result = replace_tree(root, NEW, generator=GEN)
    assert not any(p.exists() for p in litter) and lookalike.exists()
    assert result.foreign == ("b/two.yaml",)
    assert inspect_tree(root, NEW, generator=GEN).clean


@pytest.mark.parametrize(
    "plant",
    ["link-folder", "link-file", "file-for-folder", "folder-for-file", "fifo", "link-manifest"],
)
def test_planted_entries_on_generated_paths_are_refused(plant: str, tmp_path: Path) -> None:
    root = tmp_path / "out"
    replace_tree(root, OLD, generator=GEN)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.yaml").write_text("victim")
    if plant == "link-folder":
        for child in (root / "c").glob("*") if (root / "c").exists() else []:
            child.unlink()
        (root / "c").symlink_to(outside)
    elif plant == "link-file":
        (root / "a/one.yaml").unlink()
        (root / "a/one.yaml").symlink_to(outside / "victim.yaml")
    elif plant == "file-for-folder":
        (root / "c").write_text("a file where a folder goes")
    elif plant == "folder-for-file":
        (root / "kustomization.yaml").unlink()
        (root / "kustomization.yaml").mkdir()
    elif plant == "fifo":
        (root / "a/one.yaml").unlink()
        os.mkfifo(root / "a/one.yaml")
    else:
        (root / MANIFEST_NAME).unlink()
        (root / MANIFEST_NAME).symlink_to(outside / "victim.yaml")
    before = sorted((p.relative_to(tmp_path).as_posix(), p.is_symlink()) for p in root.rglob("*"))
    drift = inspect_tree(root, NEW, generator=GEN)
    assert drift.unsafe and not drift.clean
    with pytest.raises(UnsafeTarget, match="nothing was written"):
        replace_tree(root, NEW, generator=GEN)
    after = sorted((p.relative_to(tmp_path).as_posix(), p.is_symlink()) for p in root.rglob("*"))
    assert after == before
    assert sorted(os.listdir(outside)) == ["victim.yaml"]
    assert (outside / "victim.yaml").read_text() == "victim"
    assert sorted(os.listdir(tmp_path)) == ["out", "outside"]


def test_the_root_named_through_a_link_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real)
    replace_tree(tmp_path / "alias", OLD, generator=GEN)
    replace_tree(tmp_path / "alias", NEW, generator=GEN)
    assert (tmp_path / "alias").is_symlink()
    assert (real / "c/three.yaml").read_bytes() == b"3\n"
    for bad in ("file", "dangling"):
        target = tmp_path / bad
        if bad == "file":
            target.write_text("x")
        else:
            target.symlink_to(tmp_path / "nowhere")
        with pytest.raises(UnsafeTarget):
            replace_tree(target, OLD, generator=GEN)
    assert (tmp_path / "file").read_text() == "x"


def test_generated_paths_must_stay_inside(tmp_path: Path) -> None:
    for bad in ("../x", "/etc/x", "a//b", "a/./b", "", MANIFEST_NAME):
        with pytest.raises(UnsafeTarget):
            replace_tree(tmp_path / "out", {bad: b"x"}, generator=GEN)
    assert not (tmp_path / "x").exists() and not (tmp_path / "out").exists()


def test_fallback_without_exchange_gives_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tree_swap, "_RENAMEAT2", [None])
    root = tmp_path / "out"
    replace_tree(root, OLD, generator=GEN)
    (root / "mine.txt").write_text("kept")
    replace_tree(root, NEW, generator=GEN)
    on_disk = files_under(root)
    assert on_disk.pop(MANIFEST_NAME) == manifest_bytes(NEW, GEN)
    assert on_disk == {**NEW, "mine.txt": b"kept"}
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_exchange_is_really_used_here(tmp_path: Path) -> None:
    first, second = tmp_path / "1", tmp_path / "2"
    first.mkdir()
    second.mkdir()
    (first / "f").write_text("1")
    assert tree_swap.exchange(first, second)
    assert (second / "f").read_text() == "1" and not (first / "f").exists()


def test_a_second_writer_waits_then_gives_up(tmp_path: Path) -> None:
    from seccli.core.errors import DependencyError

    root = tmp_path / "out"
    with tree_swap.locked_parent(tmp_path):
        pid = os.fork()
        if pid == 0:  # the child tries to take the lock the parent holds
            code = 1
            try:
                with tree_swap.locked_parent(tmp_path, wait=0.2):
                    code = 2
            except DependencyError:
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    replace_tree(root, OLD, generator=GEN)  # free again


def test_foreign_special_files_are_kept_as_they_are(tmp_path: Path) -> None:
    import socket

    root = tmp_path / "out"
    replace_tree(root, OLD, generator=GEN)
    os.mkfifo(root / "a" / "fifo")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(root / "sock"))
    try:
        fifo_inode = (root / "a" / "fifo").stat().st_ino
        result = replace_tree(root, NEW, generator=GEN)
        assert result.foreign == ("a/fifo", "sock")
        assert stat.S_ISFIFO(os.lstat(root / "a" / "fifo").st_mode)
        assert os.lstat(root / "a" / "fifo").st_ino == fifo_inode  # the same node, not a copy
        assert stat.S_ISSOCK(os.lstat(root / "sock").st_mode)
    finally:
        server.close()


def test_a_failed_build_changes_nothing_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seccli.core.errors import DependencyError

    root = tmp_path / "out"
    replace_tree(root, OLD, generator=GEN)
    (root / "mine.txt").write_text("user's")
    before = files_under(root)

    def no_links(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    with pytest.raises(DependencyError, match="mine.txt.*nothing was changed"):
        replace_tree(root, NEW, generator=GEN)
    assert files_under(root) == before
    assert sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.parametrize("planted", ["stage", "old", "both"])
def test_planted_staging_links_are_removed_not_followed(planted: str, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("victim")
    (victim / MANIFEST_NAME).write_bytes(manifest_bytes({}, GEN))
    parent = tmp_path / "p"
    parent.mkdir()
    for name in ("stage", "old") if planted == "both" else (planted,):
        (parent / f".out.seccli-{name}").symlink_to(victim)
    result = replace_tree(parent / "out", OLD, generator=GEN)
    assert not (parent / "out").is_symlink() and (parent / "out").is_dir()
    assert result.written == tuple(sorted(OLD)) and result.foreign == ()
    assert not (parent / "out" / "keep.txt").exists()
    assert sorted(os.listdir(parent)) == ["out"]
    assert sorted(os.listdir(victim)) == [MANIFEST_NAME, "keep.txt"]

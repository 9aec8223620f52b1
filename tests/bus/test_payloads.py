"""File and folder arguments travel as archives that cannot write outside the job's folder."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from seccli.bus.jobs import prepare
from seccli.bus.model import JobVerb
from seccli.bus.payloads import pack, unpack
from seccli.core.errors import InputError


def test_a_folder_round_trips_and_packs_deterministically(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.yaml").write_text("a: 1\n")
    (tree / "sub" / "b.yaml").write_text("b: 2\n")
    (tree / ".git").mkdir()
    (tree / ".git" / "HEAD").write_text("ref\n")
    first = pack(tree)
    os.utime(tree / "a.yaml", (1, 1))
    assert pack(tree).data == first.data, "metadata must not change the archive"
    out = unpack(first.data, tmp_path / "job")
    assert (out / "a.yaml").read_text() == "a: 1\n"
    assert (out / "sub" / "b.yaml").read_text() == "b: 2\n"
    assert not (out / ".git").exists()


def test_a_file_argument_stays_a_file(tmp_path: Path) -> None:
    doc = tmp_path / "pod.yaml"
    doc.write_text("kind: Pod\n")
    out = unpack(pack(doc).data, tmp_path / "job")
    assert out.is_file() and out.name == "pod.yaml" and out.read_text() == "kind: Pod\n"


def test_links_are_not_sent(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "leak").symlink_to("/etc/passwd")
    with pytest.raises(InputError, match="symbolic links"):
        pack(tree)


def _archive(*entries: tarfile.TarInfo) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for entry in entries:
            archive.addfile(entry, io.BytesIO(b"x" * entry.size) if entry.isfile() else None)
    return buffer.getvalue()


def _entry(name: str, kind: bytes = tarfile.REGTYPE, size: int = 1) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size if kind == tarfile.REGTYPE else 0
    if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        info.linkname = "/etc/passwd"
    return info


@pytest.mark.parametrize(
    "entry",
    [
        _entry("tree/../../escape"),
        _entry("/abs/path"),
        _entry("tree/link", tarfile.SYMTYPE),
        _entry("tree/hard", tarfile.LNKTYPE),
        _entry("tree/dev", tarfile.CHRTYPE),
        _entry("tree/fifo", tarfile.FIFOTYPE),
        _entry("elsewhere/file"),
        _entry("file"),
    ],
)
def test_hostile_archives_write_nothing_outside(tmp_path: Path, entry: tarfile.TarInfo) -> None:
    job = tmp_path / "job"
    job.mkdir()
    with pytest.raises(InputError):
        unpack(_archive(entry), job)
    assert not (tmp_path / "escape").exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_not_an_archive(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a tar"):
        unpack(b"garbage" * 100, tmp_path)


def test_existing_paths_travel_and_the_rest_stays_an_argument(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("kind: TrustPolicy\n")
    prepared = prepare(
        ["images", "verify", "registry.example/app:1", "--policy", "policy.yaml"],
        "holding",
        tmp_path,
    )
    assert prepared.job.verb is JobVerb.IMAGES_VERIFY
    assert prepared.job.args == ("registry.example/app:1", "--policy", "policy.yaml")
    assert [ref.argument for ref in prepared.job.files] == [2]
    assert len(prepared.payloads) == 1


@pytest.mark.parametrize(
    "words",
    [
        ["scan", "repo", "-o", "/etc/cron.d/x"],
        ["scan", "repo", "--output=/tmp/x"],
        ["scan", "repo", "--write-baseline", "b.json"],
        ["policy", "test", "/nonexistent/tree"],
        ["policy", "test", "../outside"],
        ["rm", "-rf", "/"],
        [],
    ],
)
def test_jobs_that_would_write_or_read_on_the_worker_are_refused(
    tmp_path: Path, words: list[str]
) -> None:
    (tmp_path / "repo").mkdir()
    with pytest.raises(InputError):
        prepare(words, "holding", tmp_path)

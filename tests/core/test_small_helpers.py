"""Atomic writes, hashing, image references, locations, errors and clocks."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from seccli.core import atomic
from seccli.core.clock import FixedClock, utc_iso
from seccli.core.errors import DocumentInvalid, ExitCode, InputError, Problem, raise_if_problems
from seccli.core.hashing import canonical_json, sha256_file, sha256_hex, sha256_json
from seccli.core.imageref import parse_image_ref
from seccli.core.location import Location, format_doc_path


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out.txt"
    atomic.atomic_write_text(target, "first")
    atomic.atomic_write_text(target, "second")
    assert target.read_text() == "second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_atomic_write_failure_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic.atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_canonical_json_is_deterministic() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'.encode()
    assert sha256_json({"a": 1, "b": 2}) == sha256_json({"b": 2, "a": 1})
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_sha256_helpers(tmp_path: Path) -> None:
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex(b"") == empty
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    assert sha256_file(path) == sha256_hex(path.read_bytes())


@pytest.mark.parametrize(
    ("reference", "normalised", "pinned"),
    [
        ("nginx", "docker.io/library/nginx:latest", False),
        ("nginx:1.25", "docker.io/library/nginx:1.25", False),
        ("bitnami/redis", "docker.io/bitnami/redis:latest", False),
        ("index.docker.io/library/alpine:3", "docker.io/library/alpine:3", False),
        (
            "localhost:5000/team/app@sha256:" + "a" * 64,
            "localhost:5000/team/app@sha256:" + "a" * 64,
            True,
        ),
        ("ghcr.io/o/r:v1@sha256:" + "B" * 64, "ghcr.io/o/r:v1@sha256:" + "b" * 64, True),
    ],
)
def test_image_refs_normalise(reference: str, normalised: str, pinned: bool) -> None:
    ref = parse_image_ref(reference)
    assert str(ref) == normalised
    assert ref.pinned is pinned


@pytest.mark.parametrize(
    "reference",
    [
        "",
        "Nginx",
        "nginx:",
        "a b",
        "x@sha256:1234",
        "registry..io/x",
        "x:" + "t" * 200,
        "x@sha256:" + "a" * 63,
    ],
)
def test_malformed_image_refs(reference: str) -> None:
    with pytest.raises(ValueError):
        parse_image_ref(reference)


def test_doc_paths_and_locations() -> None:
    assert format_doc_path(("services", 3, "intents", 0, "port")) == "services[3].intents[0].port"
    assert (
        format_doc_path(("labels", "app.kubernetes.io/name")) == 'labels["app.kubernetes.io/name"]'
    )
    assert str(Location("e.yaml", 4, 2, "a.b")) == "e.yaml:4:2: a.b"
    assert str(Location("e.yaml")) == "e.yaml"


def test_errors_carry_exit_codes_and_sort_problems() -> None:
    assert InputError("x").exit_code == ExitCode.INPUT == 2
    problems = [Problem(Location("e.yaml", 9), "late"), Problem(Location("e.yaml", 2), "early")]
    with pytest.raises(DocumentInvalid) as info:
        raise_if_problems(problems)
    assert info.value.lines() == ["e.yaml:2: early", "e.yaml:9: late"]
    raise_if_problems([])


def test_clock_and_timestamps() -> None:
    clock = FixedClock(datetime(2026, 11, 21, 3, 0, tzinfo=UTC))
    clock.advance(timedelta(minutes=90))
    assert utc_iso(clock.now()) == "2026-11-21T04:30:00.000000Z"
    with pytest.raises(ValueError):
        utc_iso(datetime(2026, 1, 1))


def test_atomic_write_many_writes_all_and_cleans_up_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {tmp_path / f"d{n % 3}" / f"f{n}.yaml": f"n: {n}\n".encode() for n in range(10)}
    atomic.atomic_write_many(files)
    assert all(path.read_bytes() == data for path, data in files.items())
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        p.name for p in files
    )

    def no_sync() -> None:
        raise OSError("sync failed")

    monkeypatch.setattr(atomic.os, "sync", no_sync)
    with pytest.raises(OSError):
        atomic.atomic_write_many(dict.fromkeys(files, b"new\n"))
    assert all(path.read_bytes() == data for path, data in files.items())
    assert not list(tmp_path.rglob("*.tmp"))

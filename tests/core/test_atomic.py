"""``seccli.core.atomic``: regular files replaced atomically, streams in place, the rest refused."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from seccli.core import atomic
from seccli.core.atomic import TargetKind, UnsafeTarget, target_kind
from seccli.core.errors import ExitCode
from tests.core.fifo import FifoReader

Writer = Callable[[Path, bytes, Path], None]


def write_one(path: Path, data: bytes, scratch: Path) -> None:
    atomic.atomic_write_bytes(path, data)


def write_batch(path: Path, data: bytes, scratch: Path) -> None:
    """The same target in a batch with two ordinary files (in the private ``scratch``)."""
    others = scratch / "batch"
    atomic.atomic_write_many({others / "a.txt": b"a", path: data, others / "b.txt": b"b"})


WRITERS = [pytest.param(write_one, id="bytes"), pytest.param(write_batch, id="many")]


@pytest.fixture(autouse=True)
def _dev_null_survives() -> Iterator[None]:
    yield
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode), "/dev/null is no longer a device"


@pytest.mark.parametrize("write", WRITERS)
def test_dev_null_is_written_in_place(write: Writer, tmp_path: Path) -> None:
    before = os.stat("/dev/null")
    write(Path("/dev/null"), b"discarded\n", tmp_path)
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino


@pytest.mark.parametrize("write", WRITERS)
def test_fifo_with_a_reader_gets_the_bytes(write: Writer, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    payload = b"through the pipe\n" * 10_000  # more than a pipe buffer holds
    write(fifo, payload, tmp_path)
    assert reader.finish() == payload
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert not list(tmp_path.glob(".pipe.*"))


@pytest.mark.parametrize("write", WRITERS)
def test_fifo_without_a_reader_is_refused_not_waited_for(write: Writer, tmp_path: Path) -> None:
    fifo = tmp_path / "lonely"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeTarget, match="no reader"):
        write(fifo, b"x", tmp_path)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_pipe_behind_dev_stdout_is_written_in_place() -> None:
    read_end, write_end = os.pipe()
    try:
        assert target_kind(Path(f"/proc/self/fd/{write_end}")) is TargetKind.IN_PLACE
        atomic.atomic_write_bytes(Path(f"/dev/fd/{write_end}"), b"to the pipe")
        os.close(write_end)
        write_end = -1
        assert os.read(read_end, 100) == b"to the pipe"
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


def _socket_at(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    return server


def _variant(tmp_path: Path, name: str) -> tuple[Path, Callable[[], None]]:
    """A refused target of the named shape, and a check that it is unchanged afterwards."""
    path = tmp_path / "private" / name
    path.parent.mkdir()
    if name == "folder":
        path.mkdir()
        (path / "inside").write_text("kept")

        def folder_check() -> None:
            assert (path / "inside").read_text() == "kept"

        return path, folder_check
    if name == "socket":
        server = _socket_at(path)

        def socket_check() -> None:
            assert stat.S_ISSOCK(os.lstat(path).st_mode)
            server.close()

        return path, socket_check
    if name == "dangling-link":
        path.symlink_to(tmp_path / "private" / "nowhere")

        def dangling_check() -> None:
            assert path.is_symlink() and not (tmp_path / "private" / "nowhere").exists()

        return path, dangling_check
    if name == "link-to-dev-null":
        path.symlink_to("/dev/null")
        return path, lambda: None if os.readlink(path) == "/dev/null" else pytest.fail("link")
    if name == "link-to-file":
        real = tmp_path / "private" / "real.txt"
        real.write_text("old")

        def file_link_check() -> None:
            assert path.is_symlink() and real.read_text() == "old"

        path.symlink_to(real)
        return path, file_link_check
    if name == "link-to-folder":
        (tmp_path / "private" / "d").mkdir()
        path.symlink_to(tmp_path / "private" / "d")
        return path, lambda: None if path.is_symlink() else pytest.fail("link replaced")
    if name == "parent-is-a-file":
        path.write_text("file")
        return path / "child.txt", lambda: None if path.read_text() == "file" else pytest.fail()
    raise AssertionError(name)


REFUSED = [
    ("folder", "is a folder"),
    ("socket", "is a socket"),
    ("dangling-link", "dangling symbolic link"),
    ("link-to-dev-null", "symbolic link .* to a character device"),
    ("link-to-file", "symbolic link .* to a regular file"),
    ("link-to-folder", "symbolic link .* to a folder"),
    ("parent-is-a-file", "not a folder"),
]


@pytest.mark.parametrize("write", WRITERS)
@pytest.mark.parametrize(("shape", "message"), REFUSED)
def test_non_regular_targets_are_refused_and_left_alone(
    write: Writer, shape: str, message: str, tmp_path: Path
) -> None:
    target, unchanged = _variant(tmp_path, shape)
    with pytest.raises(UnsafeTarget, match=message) as info:
        write(target, b"new", tmp_path)
    assert info.value.exit_code == ExitCode.INPUT
    unchanged()
    # a refused target in a batch means nothing of the batch was written
    assert not (tmp_path / "batch").exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_regular_files_and_new_paths_are_replaced(tmp_path: Path) -> None:
    existing = tmp_path / "old.txt"
    existing.write_text("old")
    inode = existing.stat().st_ino
    atomic.atomic_write_bytes(existing, b"new")
    assert existing.read_bytes() == b"new" and existing.stat().st_ino != inode
    fresh = tmp_path / "new" / "deeper" / "file.txt"
    assert target_kind(fresh) is TargetKind.REPLACE
    atomic.atomic_write_bytes(fresh, b"x", mode=0o600)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


def test_block_devices_are_refused(tmp_path: Path) -> None:
    devices = [Path("/dev") / n for n in os.listdir("/dev")]
    block = next((p for p in devices if stat.S_ISBLK(os.lstat(p).st_mode)), None)
    if block is None:
        pytest.skip("no block device node visible here")
    with pytest.raises(UnsafeTarget, match="block device"):
        target_kind(block)


@pytest.mark.parametrize(
    "inner",
    ["link", "file"],
)
def test_batch_with_root_refuses_to_pass_through_links(inner: str, tmp_path: Path) -> None:
    root = tmp_path / "out"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    if inner == "link":
        (root / "namespaces").symlink_to(outside)
    else:
        (root / "namespaces").write_text("a file")
    files = {root / "kustomization.yaml": b"k", root / "namespaces" / "core" / "ns.yaml": b"n"}
    with pytest.raises(UnsafeTarget, match="namespaces"):
        atomic.atomic_write_many(files, root=root)
    assert not list(outside.iterdir())
    assert not (root / "kustomization.yaml").exists()
    with pytest.raises(UnsafeTarget, match="outside"):
        atomic.atomic_write_many({tmp_path / "elsewhere.txt": b"x"}, root=root)
    with pytest.raises(UnsafeTarget, match="not a file path"):
        atomic.atomic_write_many({root / "a" / ".." / "b": b"x"}, root=root)

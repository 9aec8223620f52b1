"""``-o``/``--out`` of several commands: devices and FIFOs in place, links and the rest refused.

Every shape of target is tried on several commands; the real ``/dev/null`` is only ever
written to (and checked to be a character device afterwards), never replaced.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.capture import run_main as run
from tests.core.fifo import FifoReader

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "zerotrust" / "fixtures" / "mini-estate.yaml"
WORKLOADS = ROOT / "tests" / "zerotrust" / "fixtures" / "mini-workloads.yaml"


@pytest.fixture(autouse=True)
def _private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ACTOR", "tester")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "requirements.txt").write_text("requests==2.31.0\n")
    yield
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode), "/dev/null is no longer a device"


# Each command writes one file to TARGET; `marker` is text its output contains.
FILE_COMMANDS: dict[str, tuple[list[str], bytes]] = {
    "sbom": (["sbom", "project", "-o", "TARGET"], b"CycloneDX"),
    "org-roster": (["org", "roster", "-f", "json", "-o", "TARGET"], b'"people"'),
    "netpol-svg": (["netpol", "reach", str(WORKLOADS), "--svg", "TARGET"], b"<svg"),
}


def command(name: str, target: Path) -> list[str]:
    args, _ = FILE_COMMANDS[name]
    return [str(target) if a == "TARGET" else a for a in args]


@pytest.fixture(params=sorted(FILE_COMMANDS))
def file_command(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> str:
    name: str = request.param
    probe = Path("probe.out")
    code, _, err = run(capsys, *command(name, probe))
    assert code == 0, err
    assert FILE_COMMANDS[name][1] in probe.read_bytes()
    probe.unlink()
    return name


def make_refused(shape: str, folder: Path) -> tuple[Path, Callable[[], None]]:
    target = folder / "out"
    if shape == "folder":
        target.mkdir()
        return target, lambda: None if target.is_dir() else pytest.fail("folder replaced")
    if shape == "socket":
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(target))

        def closed() -> None:
            assert stat.S_ISSOCK(os.lstat(target).st_mode)
            server.close()

        return target, closed
    if shape == "dangling-link":
        target.symlink_to(folder / "nowhere")
        return target, lambda: None if not (folder / "nowhere").exists() else pytest.fail()
    if shape == "link-to-dev-null":
        target.symlink_to("/dev/null")
        return target, lambda: None if os.readlink(target) == "/dev/null" else pytest.fail()
    if shape == "link-to-file":
        (folder / "real").write_text("precious")
        target.symlink_to(folder / "real")
        precious = folder / "real"
        return target, lambda: None if precious.read_text() == "precious" else pytest.fail()
    if shape == "lonely-fifo":
        os.mkfifo(target)
        return target, lambda: None if stat.S_ISFIFO(os.lstat(target).st_mode) else pytest.fail()
    raise AssertionError(shape)


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ("folder", "is a folder"),
        ("socket", "is a socket"),
        ("dangling-link", "dangling symbolic link"),
        ("link-to-dev-null", "symbolic link"),
        ("link-to-file", "symbolic link"),
        ("lonely-fifo", "no reader"),
    ],
)
def test_refused_targets_exit_2_and_stay(
    file_command: str, shape: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target, unchanged = make_refused(shape, tmp_path)
    code, _, err = run(capsys, *command(file_command, target))
    assert code == 2, err
    assert message in err and "Traceback" not in err
    unchanged()
    assert not list(tmp_path.glob(".out.*.tmp"))


def test_dev_null_is_written_not_replaced(
    file_command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = os.stat("/dev/null")
    code, _, err = run(capsys, *command(file_command, Path("/dev/null")))
    assert code == 0, err
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (
        before.st_ino,
        before.st_rdev,
    )


def test_a_fifo_with_a_reader_receives_the_output(
    file_command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    code, _, err = run(capsys, *command(file_command, fifo))
    received = reader.finish()
    assert code == 0, err
    assert FILE_COMMANDS[file_command][1] in received
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_dev_stdout_on_a_pipe_and_on_a_file(tmp_path: Path) -> None:
    env = {**os.environ, "SECCLI_STORE": str(tmp_path / "state.db"), "SECCLI_ACTOR": "t"}
    args = [sys.executable, "-m", "seccli", "org", "roster", "-f", "json", "-o", "/dev/stdout"]
    piped = subprocess.run(args, capture_output=True, env=env, timeout=120, cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert b'"people"' in piped.stdout
    with open(tmp_path / "file.json", "wb") as handle:  # stdout a regular file behind a link
        to_file = subprocess.run(
            args, stdout=handle, stderr=subprocess.PIPE, env=env, timeout=120, cwd=tmp_path
        )
    assert to_file.returncode == 2 and b"symbolic link" in to_file.stderr
    assert (tmp_path / "file.json").read_bytes() == b""


# -- folder outputs: vault wiring and generate ------------------------------------------------

FOLDER_COMMANDS = {
    "vault-wiring": ["vault", "wiring", str(MINI), "-o", "TARGET"],
    "generate": ["generate", str(MINI), "--out", "TARGET"],
}


def folder_command(name: str, target: Path) -> list[str]:
    return [str(target) if a == "TARGET" else a for a in FOLDER_COMMANDS[name]]


@pytest.mark.parametrize("name", sorted(FOLDER_COMMANDS))
@pytest.mark.parametrize("plant", ["link-to-outside", "file-for-folder", "out-is-a-file"])
def test_folder_outputs_never_escape(
    name: str, plant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tree"
    code, _, err = run(capsys, *folder_command(name, out))
    assert code == 0, err
    first_folder = sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))[0]
    outside = tmp_path / "outside"
    outside.mkdir()
    if plant == "link-to-outside":
        for child in sorted(first_folder.rglob("*"), reverse=True):
            child.rmdir() if child.is_dir() else child.unlink()
        first_folder.rmdir()
        first_folder.symlink_to(outside)
        target = out
    elif plant == "file-for-folder":
        for child in sorted(first_folder.rglob("*"), reverse=True):
            child.rmdir() if child.is_dir() else child.unlink()
        first_folder.rmdir()
        first_folder.write_text("a file")
        target = out
    else:
        target = tmp_path / "plain-file"
        target.write_text("a file")
    code, _, err = run(capsys, *folder_command(name, target))
    assert code == 2, err
    assert "Traceback" not in err
    assert not list(outside.iterdir())
    if plant == "out-is-a-file":
        assert target.read_text() == "a file"
    elif plant == "file-for-folder":
        assert first_folder.read_text() == "a file"
    else:
        assert first_folder.is_symlink()

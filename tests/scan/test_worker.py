"""The warm checkov worker: same answers as checkov run directly, and its failure modes.

The mechanics (framing, time-outs, crashes, idle exit, one worker per identity, stale and
unsafe sockets) are tested against a stand-in ``checkov`` package (``tests/fakes/checkov_pkg``)
so each case costs milliseconds; equivalence is tested with the real checkov on the fixture repo.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from seccli.cli.app import main
from seccli.scan.engine import ScanOptions, run_scan
from seccli.scan.interface import ToolFailure
from seccli.scan.worker_client import endpoint_for, run_checkov, running_workers, stop_workers
from seccli.scan.worker_wire import (
    WorkerUnavailable,
    identity,
    peer_uid,
    receive_message,
    runtime_dir,
    send_message,
)

from .conftest import FIXTURES

FAKE_CHECKOV = Path(__file__).resolve().parents[1] / "fakes" / "checkov_pkg"
ENV = {"CHECKOV_PARALLELIZATION_TYPE": "none"}


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    directory = tmp_path / "rt"
    directory.mkdir(mode=0o700)
    monkeypatch.setenv("SECCLI_RUNTIME_DIR", str(directory))
    yield directory
    stop_workers(directory)


@pytest.fixture
def fake(runtime: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Workers started in this test import the stand-in checkov."""
    monkeypatch.setenv("PYTHONPATH", str(FAKE_CHECKOV))
    return runtime


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    """A runtime directory anyone may write to: never to be used."""
    directory = tmp_path / "shared"
    directory.mkdir()
    directory.chmod(0o777)
    return directory


def _run(cwd: Path, *argv: str, timeout: float = 60.0) -> tuple[int, dict[str, object], str]:
    done = run_checkov(list(argv), cwd=cwd, timeout=timeout, env=ENV, checkov_version="fake")
    payload = json.loads(done.stdout) if done.stdout.startswith(b"{") else {}
    return done.returncode, payload, done.stderr.decode()


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out + err


def _live(directory: Path) -> list[dict[str, object]]:
    return [w for w in running_workers(directory) if w["state"] == "live"]


def test_worker_forwards_argv_cwd_env_and_exit_code(fake: Path, tmp_path: Path) -> None:
    code, payload, stderr = _run(tmp_path, "-o", "json", "-d", ".")
    assert code == 1
    assert payload["argv"] == ["-o", "json", "-d", "."]
    assert payload["cwd"] == str(tmp_path.resolve())
    assert payload["parallel"] == "none"
    assert payload["warmed"] == 1  # graph checks were loaded once, before forking
    assert "fake stderr line" in stderr
    code, _, _ = _run(tmp_path, "--fake-exit", "0")
    assert code == 0


def test_each_run_sees_the_clients_environment_of_the_moment(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _run(tmp_path, "-d", ".")[1]["mark"] is None
    monkeypatch.setenv("FAKE_MARK", "second")  # set after the worker started
    assert _run(tmp_path, "-d", ".")[1]["mark"] == "second"
    assert len(_live(fake)) == 1


def test_every_run_starts_from_the_imported_state(fake: Path, tmp_path: Path) -> None:
    runs = [_run(tmp_path, "-d", ".")[1]["runs"] for _ in range(3)]
    assert runs == [1, 1, 1]  # a forked child's run never leaks into the next one
    (worker,) = _live(fake)
    assert worker["requests"] >= 3


def test_large_output_arrives_intact(fake: Path, tmp_path: Path) -> None:
    done = run_checkov(
        ["--fake-big", str(5_000_000)], cwd=tmp_path, timeout=60, env=ENV, checkov_version="f"
    )
    assert done.stdout == b"x" * 5_000_000


def test_checkov_raising_is_exit_2_with_the_traceback(fake: Path, tmp_path: Path) -> None:
    code, _, stderr = _run(tmp_path, "--fake-raise")
    assert code == 2
    assert "fake checkov blew up" in stderr


def test_a_child_that_dies_is_a_crash(fake: Path, tmp_path: Path) -> None:
    with pytest.raises(ToolFailure) as caught:
        _run(tmp_path, "--fake-crash")
    assert caught.value.kind == "crash"
    assert _live(fake), "the worker itself survives a child's death"


def test_time_out_kills_the_child_and_reports_timeout(fake: Path, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    started = time.monotonic()
    with pytest.raises(ToolFailure) as caught:
        _run(tmp_path, "--fake-pidfile", str(pidfile), "--fake-sleep", "60", timeout=2.0)
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 15
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def test_concurrent_first_clients_share_one_worker(fake: Path, tmp_path: Path) -> None:
    results: list[int] = []

    def scan() -> None:
        results.append(_run(tmp_path, "-d", ".")[0])

    threads = [threading.Thread(target=scan) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1, 1, 1]
    assert len(_live(fake)) == 1
    assert len(list(fake.glob("*.sock"))) == 1


def test_a_stale_socket_is_replaced(fake: Path, tmp_path: Path) -> None:
    path = endpoint_for("fake", {**os.environ, **ENV}).socket
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))  # bound, never listening: connecting is refused
    dead.close()
    assert running_workers(fake)[0]["state"] == "stale"
    code, _, _ = _run(tmp_path, "-d", ".")
    assert code == 1
    assert [w["state"] for w in running_workers(fake)] == ["live"]


def test_idle_worker_exits_and_removes_its_socket(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECCLI_SCAN_WORKER_IDLE", "1")
    _run(tmp_path, "-d", ".")
    assert list(fake.glob("*.sock"))
    deadline = time.monotonic() + 10
    while list(fake.glob("*.sock")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not list(fake.glob("*.sock"))


def test_worker_that_cannot_import_checkov_is_unavailable(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CHECKOV_BROKEN", "1")
    with pytest.raises(WorkerUnavailable, match="broken installation"):
        _run(tmp_path, "-d", ".")


def test_malformed_requests_are_refused(fake: Path, tmp_path: Path) -> None:
    _run(tmp_path, "-d", ".")  # start it
    path = endpoint_for("fake", {**os.environ, **ENV}).socket
    for request, expected in (
        ({"op": "scan", "argv": "-d .", "cwd": str(tmp_path), "timeout": 5}, "argv"),
        ({"op": "scan", "argv": [], "cwd": "relative", "timeout": 5}, "cwd"),
        ({"op": "scan", "argv": [], "cwd": str(tmp_path), "env": {}, "timeout": 0}, "timeout"),
        ({"op": "scan", "argv": [], "cwd": str(tmp_path), "env": {"A": 1}, "timeout": 5}, "env"),
        ({"op": "reboot"}, "unknown operation"),
    ):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(path))
            send_message(conn, request)
            answer = receive_message(conn, 1 << 20)
        assert answer["ok"] is False
        assert expected in answer["error"]


def test_runtime_dir_open_to_others_is_refused(tmp_path: Path, shared: Path) -> None:
    with pytest.raises(WorkerUnavailable, match="0700"):
        runtime_dir({"SECCLI_RUNTIME_DIR": str(shared)})
    created = tmp_path / "new" / "rt"
    assert runtime_dir({"SECCLI_RUNTIME_DIR": str(created)}) == created
    assert created.stat().st_mode & 0o777 == 0o700


def test_identity_follows_version_and_checkov_environment() -> None:
    base = identity("3.3.30", {"HOME": "/root"})
    assert identity("3.3.30", {"HOME": "/elsewhere"}) == base
    assert identity("3.3.31", {"HOME": "/root"}) != base
    assert identity("3.3.30", {"CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "1"}) != base
    assert identity("3.3.30", {"PYTHONPATH": "/x"}) != base


def test_peer_uid_is_ours() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        assert peer_uid(left) == os.getuid()


def test_status_and_stop_commands(
    fake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(tmp_path, "-d", ".")
    code, output = _cli(capsys, "scan-worker", "status", "-f", "json")
    assert code == 0, output
    (worker,) = json.loads(output)["workers"]
    assert worker["state"] == "live" and worker["checkov"] == "0.0.0-fake"
    code, output = _cli(capsys, "scan-worker", "stop")
    assert code == 0, output
    assert "stopped" in output
    assert not list(fake.glob("*.sock"))
    assert "no scan worker running" in _cli(capsys, "scan-worker", "status")[1]


def test_scan_worker_status_refuses_an_unsafe_runtime_dir(
    shared: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SECCLI_RUNTIME_DIR", str(shared))
    code, output = _cli(capsys, "scan-worker", "status")
    assert code == 2
    assert "0700" in output


@pytest.fixture(scope="module")
def checkov_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("warm") / "repo"
    shutil.copytree(FIXTURES / "repo", root)
    return root


def test_real_checkov_through_the_worker_finds_the_same(checkov_repo: Path, runtime: Path) -> None:
    options = ScanOptions(tools=("checkov",))
    direct = run_scan(checkov_repo, options)
    warm = run_scan(checkov_repo, ScanOptions(tools=("checkov",), warm=True))
    assert [run.status for run in warm.runs] == ["ok"]
    assert direct.findings, "the fixture repo has checkov findings"
    assert sorted(f.id for f in warm.findings) == sorted(f.id for f in direct.findings)
    groups = {tag for f in warm.findings for tag in f.tags if tag.startswith("checkov:")}
    assert {"checkov:terraform", "checkov:kubernetes", "checkov:dockerfile"} <= groups
    (worker,) = _live(runtime)
    assert worker["requests"] >= 1, "the warm scan went through the worker"


def test_unsafe_runtime_dir_falls_back_to_running_checkov(
    checkov_repo: Path, shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECCLI_RUNTIME_DIR", str(shared))
    report = run_scan(checkov_repo, ScanOptions(tools=("checkov",), warm=True))
    assert [run.status for run in report.runs] == ["ok"]
    assert report.findings
    assert not list(shared.iterdir()), "nothing was created in a directory others control"


@pytest.mark.parametrize(
    ("env", "flag", "expected"),
    [
        ({"CI": "true"}, None, False),
        ({"CI": "true"}, True, True),
        ({}, None, True),
        ({"SECCLI_SCAN_WORKER": "off"}, None, False),
        ({"SECCLI_SCAN_WORKER": "on", "CI": "1"}, None, True),
        ({"SECCLI_SCAN_WORKER": "off"}, True, True),
    ],
)
def test_worker_default_follows_flag_env_and_ci(
    env: dict[str, str], flag: bool | None, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seccli.cli.scan import _use_worker

    for name in ("CI", "SECCLI_SCAN_WORKER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert _use_worker(flag) is expected


def test_bad_worker_setting_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SECCLI_SCAN_WORKER", "sometimes")
    code, output = _cli(capsys, "--store", str(tmp_path / "s.db"), "scan", str(tmp_path))
    assert code == 2
    assert "SECCLI_SCAN_WORKER" in output


@pytest.mark.parametrize("idle", ["soon", "0", "-5", "inf"])
def test_bad_idle_setting_is_an_input_error(
    idle: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SECCLI_SCAN_WORKER_IDLE", idle)
    code, output = _cli(capsys, "--store", str(tmp_path / "s.db"), "scan", str(tmp_path))
    assert code == 2
    assert "SECCLI_SCAN_WORKER_IDLE" in output

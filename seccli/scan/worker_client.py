"""Talking to the warm checkov worker: start it when needed, scan through it, list and stop it.

``run_checkov`` is a drop-in for running the checkov executable: same argv, same output, same
exit code. It raises ``WorkerUnavailable`` before anything was asked of a worker (none could be
started, or the runtime directory is not private), so the caller can run checkov directly; once
a scan was handed over, a worker that dies or overruns is a ``ToolFailure`` like a crashed or
timed-out checkov process.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from seccli.scan.interface import ToolFailure
from seccli.scan.process import Completed
from seccli.scan.worker_wire import (
    MAX_REPLY_BYTES,
    MAX_REQUEST_BYTES,
    SOCKET_GLOB,
    Endpoint,
    WorkerUnavailable,
    identity,
    peer_uid,
    receive_frame,
    receive_message,
    runtime_dir,
    send_message,
)

DEFAULT_IDLE_SECONDS = 900.0
_START_TIMEOUT = 120.0
_POLL = 0.05
_STOP_WAIT = 5.0


def idle_seconds(environ: Mapping[str, str] | None = None) -> float:
    """How long a worker waits for work before exiting (``SECCLI_SCAN_WORKER_IDLE``, seconds).

    Raises ``ValueError`` naming the variable when it is not a positive number.
    """
    env = os.environ if environ is None else environ
    raw = env.get("SECCLI_SCAN_WORKER_IDLE", "").strip()
    if not raw:
        return DEFAULT_IDLE_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ValueError(f"SECCLI_SCAN_WORKER_IDLE={raw!r}: expected a positive number of seconds")
    return value


def endpoint_for(checkov_version: str, environment: Mapping[str, str]) -> Endpoint:
    """The endpoint of the worker matching this checkov and (whole) environment."""
    return Endpoint.of(runtime_dir(), identity(checkov_version, environment))


def run_checkov(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    env: Mapping[str, str],
    checkov_version: str,
) -> Completed:
    """Run ``checkov ARGV`` in ``cwd`` through a warm worker, starting one if none is running.

    ``env`` is added to this process's environment, as for a directly started checkov.
    """
    deadline = time.monotonic() + timeout
    environment = {**os.environ, **env}
    endpoint = endpoint_for(checkov_version, environment)
    conn = _connect(endpoint, deadline, environment)
    with conn:
        request = {
            "op": "scan",
            "argv": list(argv),
            "cwd": str(cwd.resolve()),
            "env": environment,
            "timeout": max(0.1, deadline - time.monotonic()),
        }
        try:
            send_message(conn, request)
        except OSError as exc:
            raise WorkerUnavailable(f"the worker did not take the request: {exc}") from None
        return _receive_answer(conn, deadline, timeout)


def _receive_answer(conn: socket.socket, deadline: float, timeout: float) -> Completed:
    overrun = ToolFailure("checkov", "timeout", f"did not finish within {timeout:g} s")
    # The worker kills its child at the deadline; allow a moment for the answer to arrive.
    conn.settimeout(max(0.1, deadline - time.monotonic()) + 5.0)
    try:
        header = receive_message(conn, MAX_REQUEST_BYTES)
        if not header.get("ok"):
            raise ToolFailure("checkov", "crash", f"worker: {header.get('error', '?')}")
        stdout = receive_frame(conn, MAX_REPLY_BYTES)
        stderr = receive_frame(conn, MAX_REPLY_BYTES)
    except TimeoutError:
        raise overrun from None
    except (ConnectionError, OSError) as exc:
        if time.monotonic() >= deadline:
            raise overrun from None
        raise ToolFailure(
            "checkov", "crash", f"the worker ended without an answer ({exc})"
        ) from None
    returncode = header.get("returncode")
    if not isinstance(returncode, int) or isinstance(returncode, bool):
        raise ToolFailure("checkov", "crash", "the worker's answer has no exit code")
    return Completed(returncode, stdout, stderr)


def running_workers(directory: Path | None = None) -> list[dict[str, Any]]:
    """Status of each worker socket in the runtime directory (``state`` live or stale)."""
    base = directory or runtime_dir()
    found: list[dict[str, Any]] = []
    for path in sorted(base.glob(SOCKET_GLOB)):
        try:
            with _open(path) as conn:
                send_message(conn, {"op": "status"})
                status = receive_message(conn, MAX_REQUEST_BYTES)
            status.pop("ok", None)
            found.append({**status, "state": "live", "socket": str(path)})
        except (OSError, ConnectionError, WorkerUnavailable):
            found.append({"state": "stale", "socket": str(path)})
    return found


def stop_workers(directory: Path | None = None) -> list[dict[str, Any]]:
    """Ask every live worker to exit and remove stale sockets; what was stopped or removed."""
    done: list[dict[str, Any]] = []
    for worker in running_workers(directory):
        path = Path(worker["socket"])
        if worker["state"] == "live":
            try:
                with _open(path) as conn:
                    send_message(conn, {"op": "stop"})
                    receive_message(conn, MAX_REQUEST_BYTES)
            except (OSError, ConnectionError, WorkerUnavailable):
                pass
            _wait_gone(path)
            done.append({**worker, "action": "stopped" if not path.exists() else "still running"})
        elif not _lock_held(Endpoint.at(path).lock):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            done.append({**worker, "action": "removed"})
    return done


def _connect(endpoint: Endpoint, deadline: float, environment: Mapping[str, str]) -> socket.socket:
    started: subprocess.Popen[bytes] | None = None
    give_up = min(deadline, time.monotonic() + _START_TIMEOUT)
    while True:
        try:
            return _open(endpoint.socket)
        except (FileNotFoundError, ConnectionRefusedError):
            pass
        except OSError as exc:
            raise WorkerUnavailable(f"{endpoint.socket}: {exc.strerror}") from None
        if started is None:
            started = _spawn(endpoint, environment)
        elif started.poll() not in (None, 0):
            raise WorkerUnavailable(f"the worker failed to start: {_log_tail(endpoint.log)}")
        if time.monotonic() >= give_up:
            raise WorkerUnavailable("the worker did not start in time")
        time.sleep(_POLL)


def _open(path: Path) -> socket.socket:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
        if peer_uid(conn) != os.getuid():
            raise WorkerUnavailable(f"{path}: served by another user")
    except BaseException:
        conn.close()
        raise
    return conn


def _spawn(endpoint: Endpoint, environment: Mapping[str, str]) -> subprocess.Popen[bytes]:
    try:
        idle = idle_seconds()
    except ValueError as exc:
        raise WorkerUnavailable(str(exc)) from None
    argv = [
        sys.executable,
        "-P",  # never import from the current directory
        "-m",
        "seccli.scan.checkov_worker",
        str(endpoint.socket),
        str(endpoint.lock),
        "--idle",
        str(idle),
    ]
    log_fd = os.open(endpoint.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        return subprocess.Popen(  # noqa: S603 - our own module, no shell
            argv,
            cwd=str(endpoint.directory),
            env=dict(environment),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log_fd,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        raise WorkerUnavailable(f"cannot start the worker: {exc.strerror}") from None
    finally:
        os.close(log_fd)


def _log_tail(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()[-400:] or "(no output)"
    except OSError:
        return "(no log)"


def _wait_gone(path: Path) -> None:
    until = time.monotonic() + _STOP_WAIT
    while path.exists() and time.monotonic() < until:
        time.sleep(_POLL)


def _lock_held(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False

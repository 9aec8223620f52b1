"""The warm checkov worker: checkov imported once, one forked child per scan.

checkov spends about three seconds importing itself before it looks at a file, which is most of
a re-scan after a one-file change. This process imports it once and listens on a Unix socket in
the private runtime directory. Each connection is served by a child forked from the imported
state: the child runs exactly what ``checkov ARGV`` would run, in the client's folder, and exits.
The parent never scans, so no run can leave state behind for the next one.

Only the user who started it may connect (checked with ``SO_PEERCRED``). It exits after
``--idle`` seconds without a request, when its socket file is removed or replaced, or on
SIGTERM. At most one worker per identity runs: the lock file is held for its whole life.

Started by ``seccli.scan.worker_client`` as
``python -P -m seccli.scan.checkov_worker SOCKET LOCK --idle S``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import select
import signal
import socket
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seccli.scan.worker_wire import (
    MAX_REQUEST_BYTES,
    peer_uid,
    receive_message,
    send_message,
)

_REQUEST_READ_TIMEOUT = 30.0
_TICK = 0.2


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until idle, stopped or displaced; 0 also when another worker already holds the lock."""
    parser = argparse.ArgumentParser(prog="python -m seccli.scan.checkov_worker")
    parser.add_argument("socket", type=Path)
    parser.add_argument("lock", type=Path)
    parser.add_argument("--idle", type=float, default=900.0, help="seconds before exiting")
    args = parser.parse_args(argv)
    lock_fd = os.open(args.lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # another worker of this identity is alive or starting
    os.chdir(args.socket.parent)
    version = _load_checkov()
    stopping: list[bool] = []
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda _signum, _frame: stopping.append(True))
    server = _listen(args.socket)
    inode = args.socket.stat().st_ino
    info: dict[str, Any] = {
        "pid": os.getpid(),
        "started": time.time(),
        "checkov": version,
        "python": sys.executable,
        "idle": args.idle,
        "requests": 0,
        "socket": str(args.socket),
    }
    children: set[int] = set()
    last_active = time.monotonic()
    try:
        while not stopping:
            if _reap(children):
                last_active = time.monotonic()
            if not children and time.monotonic() - last_active > args.idle:
                break
            if not _still_ours(args.socket, inode):
                break
            readable, _, _ = select.select([server], [], [], _TICK)
            if not readable:
                continue
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            last_active = time.monotonic()
            if peer_uid(conn) != os.getuid():
                conn.close()
                continue
            info["requests"] += 1
            pid = os.fork()
            if pid == 0:
                server.close()
                os._exit(_serve_connection(conn, info))
            children.add(pid)
            conn.close()
    finally:
        server.close()
        if _still_ours(args.socket, inode):
            args.socket.unlink()
        os.close(lock_fd)
    return 0


def _load_checkov() -> str:
    """Import checkov and parse its built-in graph checks (JSON/YAML policies) once.

    checkov's graph registries load their built-in checks on first use and keep them ("checks
    were previously loaded"); filtering by the run's options happens afterwards, per run. Loading
    them here gives every child the state its own first use would have built.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SyntaxWarning)
        import checkov.main  # noqa: F401 - the point of this process
        from checkov.common.checks_infra.registry import get_all_graph_checks_registries
        from checkov.version import version

        for registry in get_all_graph_checks_registries():
            registry.load_checks()
    return str(version)


def _listen(path: Path) -> socket.socket:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # a socket left by a worker that died (we hold the lock)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)
    try:
        server.bind(str(path))
    finally:
        os.umask(previous)
    server.listen(32)
    return server


def _reap(children: set[int]) -> bool:
    finished = False
    for pid in list(children):
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            children.discard(pid)
            finished = True
    return finished


def _still_ours(path: Path, inode: int) -> bool:
    try:
        return path.stat().st_ino == inode
    except OSError:
        return False


def _serve_connection(conn: socket.socket, info: dict[str, Any]) -> int:
    """In the forked child: answer one request and return the child's exit code."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    os.setpgid(0, 0)
    try:
        conn.settimeout(_REQUEST_READ_TIMEOUT)
        request = receive_message(conn, MAX_REQUEST_BYTES)
        operation = request.get("op")
        if operation == "status":
            send_message(conn, {"ok": True, **info})
        elif operation == "stop":
            send_message(conn, {"ok": True, "pid": info["pid"]})
            os.kill(info["pid"], signal.SIGTERM)
        elif operation == "scan":
            _scan(conn, request)
        else:
            send_message(conn, {"ok": False, "error": f"unknown operation {operation!r}"})
    except (OSError, ConnectionError):
        return 1
    finally:
        conn.close()
    return 0


def _scan(conn: socket.socket, request: dict[str, Any]) -> None:
    problem = _invalid(request)
    if problem:
        send_message(conn, {"ok": False, "error": problem})
        return
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    # The time-out kills this child and anything checkov started (helm, git).
    signal.signal(signal.SIGALRM, lambda _signum, _frame: os.killpg(0, signal.SIGKILL))
    signal.setitimer(signal.ITIMER_REAL, float(request["timeout"]))
    conn.settimeout(None)
    returncode, stdout, stderr = _run_checkov(request["argv"])
    signal.setitimer(signal.ITIMER_REAL, 0)
    send_message(conn, {"ok": True, "returncode": returncode}, stdout, stderr)


def _invalid(request: dict[str, Any]) -> str:
    argv, cwd, env, timeout = (request.get(k) for k in ("argv", "cwd", "env", "timeout"))
    if not isinstance(argv, list) or not all(isinstance(arg, str) for arg in argv):
        return "argv must be a list of strings"
    if not isinstance(cwd, str) or not os.path.isabs(cwd) or not os.path.isdir(cwd):
        return "cwd must be an existing absolute directory"
    if not (isinstance(env, dict) and all(isinstance(v, str) for v in env.values())):
        return "env must map names to strings"
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        return "timeout must be a positive number of seconds"
    return ""


def _run_checkov(argv: list[str]) -> tuple[int, bytes, bytes]:
    """Run checkov's own entry point with fds 1 and 2 going to files, as the console script."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        returncode = 0
        try:
            from checkov.main import Checkov

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=SyntaxWarning)
                returncode = Checkov(argv=list(argv)).run() or 0
        except SystemExit as exit_:
            if isinstance(exit_.code, int):
                returncode = exit_.code
            elif exit_.code is not None:
                print(exit_.code, file=sys.stderr)
                returncode = 1
        except BaseException:  # noqa: BLE001 - any failure is checkov's crash, reported as such
            traceback.print_exc()
            returncode = 2
        sys.stdout.flush()
        sys.stderr.flush()
        out.seek(0)
        err.seek(0)
        return returncode, out.read(), err.read()


if __name__ == "__main__":
    sys.exit(main())

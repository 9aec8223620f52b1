"""What the warm checkov worker and its clients share: where the socket lives and the framing.

A worker is identified by everything that changes what checkov would answer: the Python
interpreter, checkov's version, seccli's version and the environment variables checkov reads
when it is imported. A different identity means a different socket, so an upgrade never talks
to a stale worker.

Sockets live in a private runtime directory (``SECCLI_RUNTIME_DIR``, else
``$XDG_RUNTIME_DIR/seccli``, else ``<tmp>/seccli-<uid>``). A directory another user owns or can
write to is refused: a socket there could be a worker that answers "no findings".

Frames are a 4-byte big-endian length followed by that many bytes; a message is one JSON frame,
optionally followed by raw byte frames (checkov's stdout and stderr).
"""

from __future__ import annotations

import json
import os
import socket
import stat
import struct
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccli import __version__
from seccli.core.hashing import sha256_json

MAX_REQUEST_BYTES = 1 << 20
MAX_REPLY_BYTES = 1 << 30
# Environment variables checkov reads (some at import time) or that change which checkov is
# imported: part of the worker's identity.
_ENV_PREFIXES = ("CHECKOV_", "BC_", "CKV_", "PRISMA_")
_ENV_NAMES = frozenset({"LOG_LEVEL", "PYTHONHASHSEED", "PYTHONPATH"})
_HEADER = struct.Struct(">I")


class WorkerUnavailable(Exception):
    """No usable worker (none running, unsafe directory, refused): run checkov directly."""


SOCKET_GLOB = "checkov-*.sock"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One worker's files in the runtime directory: ``<name>.sock``, ``.lock`` and ``.log``."""

    directory: Path
    name: str

    @classmethod
    def of(cls, directory: Path, worker_identity: str) -> Endpoint:
        """The endpoint of the worker with this identity."""
        return cls(directory, f"checkov-{worker_identity[:16]}")

    @classmethod
    def at(cls, socket_path: Path) -> Endpoint:
        """The endpoint whose socket is ``socket_path``."""
        return cls(socket_path.parent, socket_path.stem)

    @property
    def socket(self) -> Path:
        """The Unix socket the worker listens on."""
        return self.directory / f"{self.name}.sock"

    @property
    def lock(self) -> Path:
        """Held by the live worker for its whole life: at most one worker per identity."""
        return self.directory / f"{self.name}.lock"

    @property
    def log(self) -> Path:
        """The worker's own stderr (start-up problems)."""
        return self.directory / f"{self.name}.log"


def runtime_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The private directory for worker sockets, created 0700 if missing.

    Raises ``WorkerUnavailable`` when it exists but is not private to this user, or on a
    platform without ``SO_PEERCRED`` and ``fork`` (Linux has both).
    """
    if not hasattr(socket, "SO_PEERCRED") or not hasattr(os, "fork"):
        raise WorkerUnavailable("this platform cannot check who is at the other end of a socket")
    env = os.environ if environ is None else environ
    explicit = env.get("SECCLI_RUNTIME_DIR")
    if explicit:
        directory = Path(explicit)
    elif env.get("XDG_RUNTIME_DIR"):
        directory = Path(env["XDG_RUNTIME_DIR"]) / "seccli"
    else:
        directory = Path(tempfile.gettempdir()) / f"seccli-{os.getuid()}"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.lstat()
    except OSError as exc:
        raise WorkerUnavailable(f"{directory}: {exc.strerror}") from None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise WorkerUnavailable(f"{directory}: not a directory owned by this user")
    if info.st_mode & 0o077:
        raise WorkerUnavailable(f"{directory}: readable or writable by others (needs 0700)")
    return directory


def identity(checkov_version: str, environ: Mapping[str, str] | None = None) -> str:
    """The digest naming a worker that answers exactly like ``checkov`` would here."""
    env = os.environ if environ is None else environ
    relevant = sorted(
        (name, value)
        for name, value in env.items()
        if name in _ENV_NAMES or name.startswith(_ENV_PREFIXES)
    )
    return sha256_json(
        {
            "python": sys.executable,
            "checkov": checkov_version,
            "seccli": __version__,
            "env": relevant,
        }
    )


def send_frame(conn: socket.socket, payload: bytes) -> None:
    """Send one length-prefixed frame."""
    conn.sendall(_HEADER.pack(len(payload)) + payload)


def send_message(conn: socket.socket, message: Mapping[str, Any], *blobs: bytes) -> None:
    """Send a JSON message followed by its raw byte frames."""
    send_frame(conn, json.dumps(message, sort_keys=True).encode())
    for blob in blobs:
        send_frame(conn, blob)


def receive_frame(conn: socket.socket, limit: int) -> bytes:
    """Read one frame; ``ConnectionError`` on a short read or an oversized frame."""
    (size,) = _HEADER.unpack(_receive_exactly(conn, _HEADER.size))
    if size > limit:
        raise ConnectionError(f"frame of {size} bytes is over the {limit}-byte limit")
    return _receive_exactly(conn, size)


def receive_message(conn: socket.socket, limit: int) -> dict[str, Any]:
    """Read one JSON message (an object)."""
    try:
        message = json.loads(receive_frame(conn, limit))
    except (ValueError, RecursionError):
        raise ConnectionError("the message is not JSON") from None
    if not isinstance(message, dict):
        raise ConnectionError("the message is not a JSON object")
    return message


def peer_uid(conn: socket.socket) -> int:
    """The user id of the process at the other end of a Unix socket (Linux SO_PEERCRED)."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


def _receive_exactly(conn: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = conn.recv(min(remaining, 1 << 20))
        if not chunk:
            raise ConnectionError("the connection closed mid-message")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)

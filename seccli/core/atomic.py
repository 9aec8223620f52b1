"""Atomic file writes: a temporary file in the same folder, fsync, then rename over the target.

A reader sees either the old file or the new one, never a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically, creating parent folders as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    fsync_dir(path.parent)


def atomic_write_many(files: Mapping[Path, bytes], *, mode: int = 0o644) -> None:
    """Write many files, each replaced atomically, with one ``sync`` for the whole batch.

    Every file is staged beside its target first; the data is flushed once with ``os.sync``
    (instead of one ``fsync`` per file, which dominates for thousands of small files), then each
    temporary file is renamed over its target and every folder touched is synced. A failure
    before the renames leaves every target as it was and removes the staged files.
    """
    if len(files) <= 1:
        for path, data in files.items():
            atomic_write_bytes(path, data, mode=mode)
        return
    staged: list[tuple[str, Path]] = []
    try:
        for target, data in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
            )
            staged.append((temporary, target))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(temporary, mode)
        os.sync()
        for temporary, target in staged:
            os.replace(temporary, target)
        staged = []
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    for folder in sorted({target.parent for target in files}):
        fsync_dir(folder)


def atomic_write_text(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def fsync_dir(directory: Path) -> None:
    """Flush a folder's entries (new names, renames) to disk; best effort."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

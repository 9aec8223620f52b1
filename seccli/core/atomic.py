"""Safe output writes: atomic for regular files, in place for streams, refused for the rest.

What a target path may be, judged without following the last component when it is a link:

- absent, or a regular file: written atomically (a temporary file in the same folder, flushed,
  then renamed over the target), so a reader sees the old file or the new one, never half;
- a character device or a FIFO named directly (``/dev/null``, a tty, a named pipe), or one of
  the standard stream names ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``,
  ``/proc/self/fd/N`` leading to one: written in place (opened for writing without creating or
  truncating anything), so the device node is never replaced by a regular file; a FIFO
  without a reader is refused instead of blocking;
- anything else is refused with ``UnsafeTarget`` (exit 2) before a byte is written: a folder, a
  socket, a block device, and every other symbolic link, whatever it points to (a link planted
  in a checkout must not redirect a report onto a file outside it; name the target instead).

``atomic_write_many(files, root=...)`` also refuses a target whose path below ``root`` passes
through a symbolic link or anything that is not a folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from enum import Enum
from pathlib import Path

from seccli.core.errors import InputError

_STREAM_ALIAS = re.compile(r"/dev/(?:stdout|stderr|fd/\d+)|/proc/self/fd/\d+")


class UnsafeTarget(InputError):
    """An output path that seccli will not write: a folder, socket, link, ... (exit 2)."""


class TargetKind(Enum):
    """How a path is written."""

    REPLACE = "replace"  # absent or a regular file: temporary file + rename
    IN_PLACE = "in-place"  # character device or FIFO: opened and written, never replaced


def target_kind(path: Path) -> TargetKind:
    """Judge ``path`` as an output target; raise ``UnsafeTarget`` for what is not writable."""
    name = str(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return TargetKind.REPLACE
    except NotADirectoryError:
        raise UnsafeTarget(f"{name}: a parent of this path is not a folder") from None
    except OSError as exc:
        raise UnsafeTarget(f"{name}: cannot inspect the output path: {exc.strerror}") from None
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return TargetKind.REPLACE
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return TargetKind.IN_PLACE
    if stat.S_ISLNK(mode):
        return _link_kind(path)
    raise UnsafeTarget(
        f"{name}: is {describe_mode(mode)}; refusing to write output there",
        hint="name a regular file (or a path that does not exist yet)",
    )


def _link_kind(path: Path) -> TargetKind:
    name = str(path)
    try:
        pointed = os.readlink(path)
    except OSError:
        pointed = "?"
    try:
        final = os.stat(path).st_mode
    except OSError:
        final = None
    if (
        _STREAM_ALIAS.fullmatch(os.path.abspath(name))
        and final is not None
        and (stat.S_ISCHR(final) or stat.S_ISFIFO(final))
    ):
        return TargetKind.IN_PLACE
    what = "a dangling symbolic link" if final is None else "a symbolic link"
    to = "" if final is None else f" to {describe_mode(final)}"
    raise UnsafeTarget(
        f"{name}: is {what} (→ {pointed}){to}; seccli does not write through links",
        hint="name the link's target itself, or remove the link",
    )


def describe_mode(mode: int) -> str:
    """A short English name of a file type (``a folder``, ``a socket``, ...)."""
    for test, label in (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISFIFO, "a FIFO"),
    ):
        if test(mode):
            return label
    return "a special file"


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` (atomically when it is a file), creating parent folders."""
    if target_kind(path) is TargetKind.IN_PLACE:
        write_in_place(path, data)
        return
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


def write_in_place(path: Path, data: bytes) -> None:
    """Write to a character device or FIFO without creating, truncating or replacing it."""
    name = str(path)
    follow = _STREAM_ALIAS.fullmatch(os.path.abspath(name)) is not None
    flags = os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise UnsafeTarget(f"{name}: the FIFO has no reader; nothing written") from None
        if exc.errno == errno.ELOOP:
            raise UnsafeTarget(f"{name}: became a symbolic link; nothing written") from None
        raise
    try:
        kind = os.fstat(fd).st_mode
        if not (stat.S_ISCHR(kind) or stat.S_ISFIFO(kind)):
            raise UnsafeTarget(f"{name}: is {describe_mode(kind)}, not a device or FIFO")
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def check_inside(root: Path, target: Path) -> None:
    """Refuse ``target`` unless every folder between ``root`` and it is a real folder.

    ``root`` itself is the caller's choice and may be reached through links; below it, a
    symbolic link (``root/namespaces -> /etc``) or a file where a folder belongs is refused, so
    a write can never escape the tree.
    """
    try:
        relative = target.relative_to(root)
    except ValueError:
        raise UnsafeTarget(f"{target}: is outside the output folder {root}") from None
    if not relative.parts or any(part in ("", ".", "..") for part in relative.parts):
        raise UnsafeTarget(f"{target}: is not a file path inside the output folder {root}")
    try:
        root_mode: int | None = os.stat(root).st_mode
    except (FileNotFoundError, NotADirectoryError):
        root_mode = None
    if root_mode is not None and not stat.S_ISDIR(root_mode):
        raise UnsafeTarget(f"{root}: is {describe_mode(root_mode)}, not a folder")
    current = root
    for part in relative.parts[:-1]:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(mode):
            raise UnsafeTarget(
                f"{current}: is {describe_mode(mode)} inside the output folder; "
                "refusing to write through it",
                hint="remove it (seccli creates the folders it writes into)",
            )


def atomic_write_many(
    files: Mapping[Path, bytes], *, mode: int = 0o644, root: Path | None = None
) -> None:
    """Write many files, each replaced atomically, with one ``sync`` for the whole batch.

    Every target is judged first (``target_kind``; with ``root``, also ``check_inside``), so a
    refused target means nothing at all is written. Files are staged beside their targets, the
    data is flushed once with ``os.sync`` (one ``fsync`` per file dominates for thousands of small
    files), then each temporary file is renamed over its target and every folder touched is
    synced; devices and FIFOs are written in place. A failure before the renames leaves every
    target as it was and removes the staged files.
    """
    kinds: dict[Path, TargetKind] = {}
    for target in files:
        if root is not None:
            check_inside(root, target)
        kinds[target] = target_kind(target)
    replaced = {t: d for t, d in files.items() if kinds[t] is TargetKind.REPLACE}
    if len(replaced) <= 1:
        for path, data in replaced.items():
            atomic_write_bytes(path, data, mode=mode)
    else:
        _replace_many(replaced, mode)
    for path, data in files.items():
        if kinds[path] is TargetKind.IN_PLACE:
            write_in_place(path, data)


def _replace_many(files: Mapping[Path, bytes], mode: int) -> None:
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
    """Write UTF-8 ``text`` to ``path`` (see ``atomic_write_bytes``)."""
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

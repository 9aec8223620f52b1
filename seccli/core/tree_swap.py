"""Replacing a whole folder at once: a staging folder beside it, then one atomic exchange.

For a folder ``P/NAME`` the staging folder is ``P/.NAME.seccli-stage``; the new tree is built
there completely, flushed to disk, and marked complete (its manifest is renamed into place
last). The switch is then one ``renameat2(RENAME_EXCHANGE)`` (Linux ≥ 3.15): the names of the
two folders trade places in a single step, so a reader (``kubectl kustomize``, a GitOps agent)
sees the old tree or the new one, never a mix. The old tree, now at the staging name, is
deleted afterwards. Where the kernel or file system cannot exchange, two renames are used
(``NAME`` → ``.NAME.seccli-old``, stage → ``NAME``); a crash between them leaves ``NAME``
absent, never half-written, and the next run completes the switch (forward when the stage is
complete, back otherwise). Every run first finishes or removes what an interrupted run left.

Runs on one parent folder are serialised with an advisory lock on the parent folder itself,
so no lock file is ever left behind.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccli.core.atomic import fsync_dir
from seccli.core.errors import DependencyError

LOCK_WAIT_SECONDS = 30.0
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True, slots=True)
class SwapNames:
    """The folder being replaced and the two names its replacement passes through."""

    root: Path
    stage: Path
    old: Path

    @classmethod
    def beside(cls, root: Path) -> SwapNames:
        """Staging names for ``root`` (an absolute path without links in its last part)."""
        return cls(
            root,
            root.parent / f".{root.name}.seccli-stage",
            root.parent / f".{root.name}.seccli-old",
        )


@contextlib.contextmanager
def locked_parent(folder: Path, *, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``folder`` (another run waits up to ``wait`` s)."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DependencyError(
                        f"{folder}: another seccli run is writing here (waited {wait:.0f} s)",
                        hint="wait for it to finish, then run again",
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def is_complete(stage: Path, marker: str) -> bool:
    """True when ``stage`` is a real folder holding the regular file ``marker``."""
    try:
        return _is_folder(stage) and stat.S_ISREG(os.lstat(stage / marker).st_mode)
    except OSError:
        return False


def recover(names: SwapNames, marker: str) -> list[str]:
    """Finish or undo an interrupted switch, then delete its leftovers; returns what was done."""
    done: list[str] = []
    if not os.path.lexists(names.root) and _is_folder(names.old):
        if is_complete(names.stage, marker):
            os.rename(names.stage, names.root)
            done.append(f"completed an interrupted switch of {names.root}")
        else:
            os.rename(names.old, names.root)
            done.append(f"restored {names.root} from an interrupted switch")
        fsync_dir(names.root.parent)
    for leftover in (names.stage, names.old):
        if os.path.lexists(leftover):
            remove_entry(leftover)
            done.append(f"removed {leftover} left by an interrupted run")
    return done


def _is_folder(path: Path) -> bool:
    """A real folder (not a link to one)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def leftovers(names: SwapNames) -> list[Path]:
    """Staging names that an interrupted run left beside the folder."""
    return [p for p in (names.stage, names.old) if os.path.lexists(p)]


def remove_entry(path: Path) -> None:
    """Delete a file, link or whole folder, never following a link."""
    if stat.S_ISDIR(os.lstat(path).st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def switch(names: SwapNames) -> None:
    """Put the complete stage in place of the root atomically and delete the old tree."""
    parent = names.root.parent
    if not os.path.lexists(names.root):
        os.rename(names.stage, names.root)
        fsync_dir(parent)
        return
    if exchange(names.stage, names.root):
        fsync_dir(parent)
        remove_entry(names.stage)  # the stage name now holds the old tree
        return
    os.rename(names.root, names.old)
    os.rename(names.stage, names.root)
    fsync_dir(parent)
    remove_entry(names.old)


def exchange(first: Path, second: Path) -> bool:
    """Swap two names in one step; False when this platform or file system cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    import ctypes

    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


_RENAMEAT2: list[Callable[..., Any] | None] = []


def _renameat2() -> Callable[..., Any] | None:
    """The C library's ``renameat2`` (glibc ≥ 2.28, musl ≥ 1.2.5), or None."""
    if not _RENAMEAT2:
        function: Callable[..., Any] | None = None
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            function = libc.renameat2
            function.argtypes = [
                ctypes.c_int,
                ctypes.c_char_p,
                ctypes.c_int,
                ctypes.c_char_p,
                ctypes.c_uint,
            ]
            function.restype = ctypes.c_int
        except (OSError, AttributeError, ImportError):
            function = None
        _RENAMEAT2.append(function)
    return _RENAMEAT2[0]

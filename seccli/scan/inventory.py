"""Walking the scanned tree: every file worth scanning, with its content digest."""

from __future__ import annotations

import os
from pathlib import Path

from seccli.core.errors import InputError
from seccli.core.hashing import sha256_file
from seccli.scan.interface import Inventory, SourceFile
from seccli.scan.paths import excluded

# Directories never scanned: version control, virtualenvs, caches, dependencies, our state.
SKIP_DIRS = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".seccli",
    ".terraform",
)
MAX_FILE_BYTES = 5 << 20


def build_inventory(
    root: Path, *, skip_dirs: tuple[str, ...] = SKIP_DIRS, exclude: tuple[str, ...] = ()
) -> Inventory:
    """Every regular file under ``root`` (symlinks, huge files and paths matching an
    ``exclude`` glob left out), with digests."""
    if not root.is_dir():
        raise InputError(f"{root}: not a directory", hint="give the repository to scan")
    skipped = set(skip_dirs)
    files: dict[str, SourceFile] = {}
    for directory, subdirs, names in os.walk(root):
        base = Path(directory)
        subdirs[:] = sorted(
            d
            for d in subdirs
            if d not in skipped and not excluded((base / d).relative_to(root).as_posix(), exclude)
        )
        for name in names:
            full = base / name
            try:
                stat = full.lstat()
            except OSError:
                continue
            if not full.is_file() or full.is_symlink() or stat.st_size > MAX_FILE_BYTES:
                continue
            relative = full.relative_to(root).as_posix()
            if excluded(relative, exclude):
                continue
            try:
                digest = sha256_file(full)
            except OSError:
                continue
            files[relative] = SourceFile(relative, digest, stat.st_size)
    return Inventory(root=root, files=files)

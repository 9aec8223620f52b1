"""A generated folder whose files are owned through a manifest, and replaced as a whole.

The manifest (``.seccli-generated.json`` at the top of the folder) lists every file the
generator owns with its SHA-256. Writing a new generation (``replace_tree``):

- builds the complete new folder beside the old one and switches them atomically
  (``seccli.core.tree_swap``), so the folder is always entirely the old or the new generation;
- deletes owned files that are no longer generated (and temporary files older seccli versions
  left), but keeps an owned file edited since it was generated, and never deletes a file it does
  not own: those are carried into the new folder (hard links) and reported as foreign;
- refuses (exit 2, nothing written) when a generated path would pass through a symbolic link,
  or when a file, link or device sits where a generated file or folder belongs.

``inspect_tree`` compares a folder with a generation without writing anything.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from seccli.core.atomic import UnsafeTarget, describe_mode, fsync_dir
from seccli.core.documents import LoadLimits, decode_source, parse_documents
from seccli.core.errors import DependencyError, SeccliError
from seccli.core.hashing import sha256_hex
from seccli.core.tree_swap import (
    SwapNames,
    leftovers,
    locked_parent,
    recover,
    remove_entry,
    switch,
)

MANIFEST_NAME = ".seccli-generated.json"
MANIFEST_KIND = "GeneratedFiles"
MANIFEST_API_VERSION = "seccli.dev/v1"
FILE_MODE = 0o644
FOLDER_MODE = 0o755
_SHA256 = re.compile(r"[0-9a-f]{64}")
# Temporary files of the per-file writer of earlier versions: ".<name>.<8 random chars>.tmp".
_LEGACY_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing found on disk below the root (never followed if it is a link)."""

    path: str
    mode: int
    size: int


@dataclass(frozen=True, slots=True)
class TreeDrift:
    """How a folder on disk differs from a generation.

    ``missing``/``changed``: generated files absent or with other bytes; ``edited``: owned files
    whose bytes differ from the manifest (hand edits); ``stale``: owned files no longer
    generated (``replace_tree`` deletes them); ``foreign``: files the generator does not own
    (kept); ``unsafe``: links or non-files where generated paths go (writing is refused);
    ``manifest``: why the manifest is not what a write would leave, or None.
    """

    missing: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    foreign: tuple[str, ...] = ()
    unsafe: tuple[str, ...] = ()
    manifest: str | None = None
    leftovers: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        """True when writing the generation would change nothing (foreign files may exist)."""
        return not (self.missing or self.changed or self.stale or self.unsafe or self.manifest)


@dataclass(frozen=True, slots=True)
class TreeWrite:
    """What ``replace_tree`` did."""

    written: tuple[str, ...]
    removed: tuple[str, ...]
    foreign: tuple[str, ...]
    switched: bool
    notes: tuple[str, ...] = field(default_factory=tuple)


def manifest_bytes(files: Mapping[str, bytes], generator: str) -> bytes:
    """The manifest a generation writes: every owned path and its SHA-256, sorted."""
    import json

    document = {
        "apiVersion": MANIFEST_API_VERSION,
        "kind": MANIFEST_KIND,
        "generator": generator,
        "files": {path: sha256_hex(data) for path, data in sorted(files.items())},
    }
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def resolve_root(root: Path) -> Path:
    """The folder to work on: absolute; a link named by the user is followed to a folder."""
    absolute = Path(os.path.abspath(root))
    if not absolute.name:
        raise UnsafeTarget(f"{root}: refusing to generate into the file system root")
    try:
        info = os.lstat(absolute)
    except FileNotFoundError:
        return absolute
    except OSError as exc:
        raise UnsafeTarget(f"{root}: cannot inspect the output folder: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        target = Path(os.path.realpath(absolute))
        if not target.is_dir():
            raise UnsafeTarget(f"{root}: is a symbolic link to something that is not a folder")
        return resolve_root(target)
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeTarget(f"{root}: is {describe_mode(info.st_mode)}, not a folder")
    return absolute


def inspect_tree(root: Path, files: Mapping[str, bytes], *, generator: str) -> TreeDrift:
    """Compare the folder ``root`` with the generation ``files`` (writes nothing)."""
    _check_paths(files)
    real = resolve_root(root)
    names = SwapNames.beside(real)
    if not os.path.isdir(real.parent):
        return _plan(real, {}, files, generator).drift
    with locked_parent(real.parent):
        plan = _plan(real, _scan(real), files, generator)
        found = tuple(str(p) for p in leftovers(names))
    drift = plan.drift
    return TreeDrift(
        drift.missing,
        drift.changed,
        drift.edited,
        drift.stale,
        drift.foreign,
        drift.unsafe,
        drift.manifest,
        found,
    )


def replace_tree(root: Path, files: Mapping[str, bytes], *, generator: str) -> TreeWrite:
    """Make ``root`` hold exactly the generation ``files`` plus the foreign files it had."""
    _check_paths(files)
    real = resolve_root(root)
    real.parent.mkdir(parents=True, exist_ok=True)
    names = SwapNames.beside(real)
    with locked_parent(real.parent):
        notes = recover(names, MANIFEST_NAME)
        plan = _plan(real, _scan(real), files, generator)
        if plan.drift.unsafe:
            shown = ", ".join(str(real / p) for p in plan.drift.unsafe[:5])
            more = len(plan.drift.unsafe) - 5
            raise UnsafeTarget(
                f"{shown}{f' and {more} more' if more > 0 else ''}: not a regular file or "
                "folder where the generated tree needs one (a link is never written through); "
                "nothing was written",
                hint="move these out of the output folder and run again",
            )
        if plan.drift.manifest and plan.drift.manifest.startswith("unreadable"):
            notes.append(f"{MANIFEST_NAME} {plan.drift.manifest}: no file was treated as owned")
        if not plan.drift.clean:
            try:
                _build_stage(names.stage, real, plan, files, generator)
            except BaseException:
                if os.path.lexists(names.stage):
                    with contextlib.suppress(OSError):
                        remove_entry(names.stage)
                raise
            switch(names)
    drift = plan.drift
    return TreeWrite(
        written=tuple(sorted({*drift.missing, *drift.changed})),
        removed=drift.stale,
        foreign=drift.foreign,
        switched=not drift.clean,
        notes=tuple(notes),
    )


# -- reading the folder ---------------------------------------------------------------------


def _check_paths(files: Mapping[str, bytes]) -> None:
    for path in files:
        if not _is_tree_path(path) or path == MANIFEST_NAME:
            raise UnsafeTarget(f"{path!r}: not a relative file path a generator may write")


def _is_tree_path(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and "\x00" not in path and all(p not in ("", ".", "..") for p in parts)


def _scan(root: Path) -> dict[str, Entry]:
    """Every entry below ``root`` by relative POSIX path; links are listed, not followed."""
    found: dict[str, Entry] = {}
    if not os.path.isdir(root):
        return found

    def walk(folder: Path, prefix: str) -> Iterator[Entry]:
        with os.scandir(folder) as entries:
            for item in entries:
                info = item.stat(follow_symlinks=False)
                relative = f"{prefix}{item.name}"
                yield Entry(relative, info.st_mode, info.st_size)
                if stat.S_ISDIR(info.st_mode):
                    yield from walk(folder / item.name, relative + "/")

    for entry in walk(root, ""):
        found[entry.path] = entry
    return found


def _read_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file (never through a link), or None if it is not one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return handle.read(limit + 1)


def _read_manifest(root: Path, on_disk: Mapping[str, Entry]) -> tuple[dict[str, str], str | None]:
    """Owned paths and their digests, and a problem with the manifest (None when readable)."""
    entry = on_disk.get(MANIFEST_NAME)
    if entry is None:
        return {}, "missing"
    if not stat.S_ISREG(entry.mode):
        return {}, f"unreadable: it is {describe_mode(entry.mode)}"
    limits = LoadLimits()
    raw = _read_regular(root / MANIFEST_NAME, limits.max_bytes)
    if raw is None:
        return {}, "unreadable: not a regular file"
    try:
        text = decode_source(raw, MANIFEST_NAME, limits)
        [document] = parse_documents(text, MANIFEST_NAME, fmt="json", limits=limits)
    except (SeccliError, ValueError, RecursionError) as exc:
        return {}, f"unreadable: {exc}"
    data = document.data
    owned = data.get("files") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("kind") != MANIFEST_KIND
        or data.get("apiVersion") != MANIFEST_API_VERSION
        or not isinstance(owned, dict)
    ):
        return {}, f"unreadable: not a {MANIFEST_API_VERSION} {MANIFEST_KIND} document"
    for path, digest in owned.items():
        if not (isinstance(digest, str) and _SHA256.fullmatch(digest) and _is_tree_path(path)):
            return {}, f"unreadable: bad entry {path!r}"
        if path == MANIFEST_NAME:
            return {}, "unreadable: it lists itself"
    return dict(owned), None


# -- planning -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Plan:
    drift: TreeDrift
    on_disk: dict[str, Entry]
    same: set[str]  # generated files whose bytes and mode on disk are already right
    carried: list[str]  # foreign entries (files, links, empty folders) copied into the stage


def _plan(root: Path, on_disk: dict[str, Entry], files: Mapping[str, bytes], gen: str) -> _Plan:
    owned, problem = _read_manifest(root, on_disk)
    expected_manifest = manifest_bytes(files, gen)
    missing: list[str] = []
    changed: list[str] = []
    edited: list[str] = []
    unsafe: set[str] = set()
    same: set[str] = set()
    needed_folders: set[str] = set()
    for path, data in files.items():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            needed_folders.add(folder)
            entry = on_disk.get(folder)
            if entry is not None and not stat.S_ISDIR(entry.mode):
                unsafe.add(folder)
        entry = on_disk.get(path)
        if entry is None:
            missing.append(path)
            continue
        if not stat.S_ISREG(entry.mode):
            unsafe.add(path)
            continue
        if path in owned or entry.size == len(data):
            current = _read_regular(root / path, LoadLimits().max_bytes)
        else:
            current = b""  # another size: differs, no need to read it
        if path in owned and (current is None or sha256_hex(current) != owned[path]):
            edited.append(path)
        if current == data:
            if stat.S_IMODE(entry.mode) == FILE_MODE:
                same.add(path)
        else:
            changed.append(path)
    manifest_entry = on_disk.get(MANIFEST_NAME)
    if manifest_entry is not None and not stat.S_ISREG(manifest_entry.mode):
        unsafe.add(MANIFEST_NAME)
    elif problem is None:
        current = _read_regular(root / MANIFEST_NAME, len(expected_manifest))
        problem = None if current == expected_manifest else "out of date"

    stale: list[str] = []
    foreign: list[str] = []
    carried: list[str] = []
    generated_names = {(p.rpartition("/")[0], p.rpartition("/")[2]) for p in [*files, *owned]}
    for path, entry in sorted(on_disk.items()):
        if path in files or path == MANIFEST_NAME or path in unsafe:
            continue
        if stat.S_ISDIR(entry.mode):
            if path not in needed_folders and not _has_children(path, on_disk):
                carried.append(path)  # an empty folder of the user's
            continue
        if _is_legacy_temporary(path, generated_names) or (
            path in owned
            and stat.S_ISREG(entry.mode)
            and not _digest_differs(root / path, owned[path])
        ):
            stale.append(path)
            continue
        if path in owned:
            edited.append(path)
        carried.append(path)
        if not any(part.startswith(".") for part in path.split("/")):
            foreign.append(path)
    drift = TreeDrift(
        missing=tuple(sorted(missing)),
        changed=tuple(sorted(changed)),
        edited=tuple(sorted(edited)),
        stale=tuple(stale),
        foreign=tuple(foreign),
        unsafe=tuple(sorted(unsafe)),
        manifest=problem,
    )
    return _Plan(drift, on_disk, same, carried)


def _digest_differs(path: Path, digest: str) -> bool:
    data = _read_regular(path, LoadLimits().max_bytes)
    return data is None or sha256_hex(data) != digest


def _has_children(folder: str, on_disk: Mapping[str, Entry]) -> bool:
    prefix = folder + "/"
    return any(p.startswith(prefix) for p in on_disk)


def _is_legacy_temporary(path: str, generated: set[tuple[str, str]]) -> bool:
    folder, _, name = path.rpartition("/")
    match = _LEGACY_TEMPORARY.fullmatch(name)
    return match is not None and (folder, match["name"]) in generated


# -- building the stage ---------------------------------------------------------------------


def _build_stage(
    stage: Path, root: Path, plan: _Plan, files: Mapping[str, bytes], generator: str
) -> None:
    """Write the complete new tree at ``stage``; its manifest is renamed in last."""
    os.mkdir(stage, 0o700)
    made: set[str] = set()

    def folder_for(path: str) -> None:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            relative = "/".join(parts[:depth])
            if relative not in made:
                _make_folder(stage / relative, plan.on_disk.get(relative))
                made.add(relative)

    wrote_any = False
    for relative in plan.carried:
        entry = plan.on_disk[relative]
        if stat.S_ISDIR(entry.mode):
            folder_for(relative + "/x")
            continue
        folder_for(relative)
        _carry(root / relative, stage / relative, entry)
    for relative, data in files.items():
        folder_for(relative)
        if relative in plan.same:
            os.link(root / relative, stage / relative, follow_symlinks=False)
        else:
            _write_new(stage / relative, data)
            wrote_any = True
    if wrote_any:
        os.sync()  # one flush for the batch instead of one fsync per file
    temporary = stage / f"{MANIFEST_NAME}.tmp"
    _write_new(temporary, manifest_bytes(files, generator), flush=True)
    os.rename(temporary, stage / MANIFEST_NAME)
    root_entry = _lstat(root)
    os.chmod(stage, stat.S_IMODE(root_entry.st_mode) if root_entry else FOLDER_MODE)
    fsync_dir(stage)


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _make_folder(path: Path, old: Entry | None) -> None:
    os.mkdir(path, FOLDER_MODE)
    os.chmod(path, stat.S_IMODE(old.mode) if old is not None else FOLDER_MODE)


def _carry(source: Path, target: Path, entry: Entry) -> None:
    """Bring a foreign entry into the stage unchanged (a hard link; a link is recreated)."""
    try:
        if stat.S_ISLNK(entry.mode):
            os.symlink(os.readlink(source), target)
        else:
            os.link(source, target, follow_symlinks=False)
    except OSError as exc:
        raise DependencyError(
            f"{source}: cannot keep this file through the switch: {exc.strerror}; "
            "nothing was changed",
            hint="move it out of the output folder, or make it yours (protected hard links)",
        ) from None


def _write_new(path: Path, data: bytes, *, flush: bool = False) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if flush:
            os.fsync(fd)
    finally:
        os.close(fd)

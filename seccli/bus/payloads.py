"""File and folder arguments of a job, packed as deterministic tar archives.

Packing keeps regular files and folders only (a symbolic link is refused: it would point at the
submitter's machine); unpacking writes nothing outside the job's folder and stops at limits.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from seccli.core.errors import InputError

MAX_PAYLOAD_BYTES = 256 * 1024 * 1024
MAX_PAYLOAD_FILES = 100_000
_FILE, _TREE = "file", "tree"  # the archive's top folder says what the argument was
#: Folders a job never needs (version control, caches, virtualenvs).
SKIPPED_FOLDERS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".venv",
        "node_modules",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".seccli",
    }
)


@dataclass(frozen=True, slots=True)
class Payload:
    """A packed argument: its archive bytes and content name."""

    name: str
    data: bytes

    @property
    def object_name(self) -> str:
        """The content address used in the object store."""
        return "sha256-" + hashlib.sha256(self.data).hexdigest()


def pack(path: Path) -> Payload:
    """``path`` (a regular file or a folder) as a tar archive with fixed metadata."""
    try:
        info = path.lstat()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    buffer = io.BytesIO()
    count = 0
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        if stat.S_ISREG(info.st_mode):
            _add_file(archive, path, f"{_FILE}/{path.name}")
            count = 1
        elif stat.S_ISDIR(info.st_mode):
            for rel, full in _walk(path):
                count += 1
                if count > MAX_PAYLOAD_FILES:
                    raise InputError(f"{path}: more than {MAX_PAYLOAD_FILES} files to send")
                _add_file(archive, full, f"{_TREE}/{rel}")
        else:
            raise InputError(f"{path}: not a regular file or folder")
    data = buffer.getvalue()
    if len(data) > MAX_PAYLOAD_BYTES:
        raise InputError(f"{path}: {len(data)} bytes to send, over {MAX_PAYLOAD_BYTES}")
    return Payload(path.name or "input", data)


def _walk(root: Path) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS)
        base = Path(folder)
        for name in sorted(files):
            full = base / name
            mode = full.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise InputError(f"{full}: symbolic links are not sent to workers")
            if stat.S_ISREG(mode):
                found.append((full.relative_to(root).as_posix(), full))
        for name in dirs:
            if (base / name).is_symlink():
                raise InputError(f"{base / name}: symbolic links are not sent to workers")
    return found


def _add_file(archive: tarfile.TarFile, path: Path, name: str) -> None:
    data = path.read_bytes()
    entry = tarfile.TarInfo(name)
    entry.size = len(data)
    entry.mode = 0o644
    entry.mtime = 0
    entry.uid = entry.gid = 0
    entry.uname = entry.gname = ""
    archive.addfile(entry, io.BytesIO(data))


def unpack(data: bytes, destination: Path) -> Path:
    """Write the archive below ``destination``; return the path the argument names.

    A file argument gives that file; a folder argument gives the folder. Entries
    that are not regular files, absolute names, ``..`` components and archives over the
    limits are refused (``InputError``) before anything is written outside ``destination``.
    """
    total = 0
    written: list[Path] = []
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:")  # noqa: SIM115 (closed below)
    except tarfile.TarError as exc:
        raise InputError(f"job payload is not a tar archive ({exc})") from None
    with archive:
        members = archive.getmembers()
        if len(members) > MAX_PAYLOAD_FILES:
            raise InputError("job payload has too many entries")
        for member in members:
            name = PurePosixPath(member.name)
            if (
                not member.isfile()
                or name.is_absolute()
                or ".." in name.parts
                or len(name.parts) < 2
                or name.parts[0] not in (_FILE, _TREE)
            ):
                raise InputError(f"job payload entry {member.name!r} refused")
            total += member.size
            if total > MAX_PAYLOAD_BYTES:
                raise InputError("job payload is over the size limit")
            target = destination.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            if source is None:
                raise InputError(f"job payload entry {member.name!r} unreadable")
            target.write_bytes(source.read())
            written.append(target)
    tops = {PurePosixPath(m.name).parts[0] for m in members}
    if tops == {_FILE}:
        if len(written) != 1:
            raise InputError("job payload names several files for one argument")
        return written[0]
    if len(tops) > 1:
        raise InputError("job payload mixes a file and a folder")
    tree = destination / _TREE
    tree.mkdir(parents=True, exist_ok=True)
    return tree

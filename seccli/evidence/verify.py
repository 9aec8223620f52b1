"""Verifying an evidence pack offline: signature, then every file against the manifest.

Nothing is extracted: entries are read from the zip in memory, chunk by chunk, within limits
(entry count, declared and actual sizes, total size, compression ratio), so a zip bomb, a
path-traversal name (``../x``, absolute, backslashes), a symbolic-link entry, a duplicate or
encrypted entry is reported, never written anywhere. A file that is not a zip, or a zip with no
``manifest.json``, is not a pack (exit 2); every other deviation is tampering (exit 1).
"""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccli.core.errors import InputError
from seccli.evidence.pack import MANIFEST, MANIFEST_KIND, MANIFEST_PAYLOAD_TYPE, SIGNATURE
from seccli.supplychain.keys import PublicKey

MAX_PACK_BYTES = 1024 * 1024 * 1024
MAX_ENTRIES = 100_000
MAX_ENTRY_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, checked for entries above 1 MiB
_RATIO_FLOOR = 1024 * 1024
_CHUNK = 1024 * 1024
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,  # encrypted entries
)


class NotAPack(InputError):
    """The input is not an evidence pack at all (exit 2)."""


@dataclass(frozen=True, slots=True)
class PackProblem:
    """One way the pack deviates from its signed manifest."""

    kind: str  # changed | added | removed | renamed | unsafe-entry | corrupt | manifest | signature
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.detail}"


@dataclass
class PackVerification:
    """What ``evidence verify`` found."""

    problems: list[PackProblem] = field(default_factory=list)
    files: int = 0
    signature_ok: bool = False
    key_id: str | None = None
    manifest: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True only when the signature verified and no file deviates."""
        return self.signature_ok and not self.problems

    def to_json(self) -> dict[str, Any]:
        """The verification as JSON."""
        manifest = self.manifest or {}
        return {
            "ok": self.ok,
            "signature": {"ok": self.signature_ok, "keyId": self.key_id},
            "files": self.files,
            "problems": [
                {"kind": p.kind, "path": p.path, "detail": p.detail} for p in self.problems
            ],
            "period": manifest.get("period"),
            "summary": manifest.get("summary"),
            "overall": manifest.get("overall"),
        }


def _name_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if not name or "\x00" in name:
        return "empty name or NUL byte"
    if "\\" in name:
        return "backslash in the name"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "path traversal or empty component"
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_ISLNK(mode):
        return "symbolic link entry"
    if info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        return "not a regular file"
    if info.is_dir():
        return "directory entry"
    if info.flag_bits & 0x1:
        return "encrypted entry"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return f"unsupported compression method {info.compress_type}"
    if info.file_size > MAX_ENTRY_BYTES:
        return f"declares {info.file_size} bytes, above the {MAX_ENTRY_BYTES}-byte limit"
    if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(1, info.compress_size):
        return "compression ratio above 200:1 (zip bomb)"
    return None


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[bytes, str] | str:
    """(data, sha256) of an entry read within its declared size, or the reason it failed."""
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    total = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > info.file_size:
                    return "holds more bytes than it declares (zip bomb or tampering)"
                digest.update(chunk)
                chunks.append(chunk)
    except _READ_ERRORS as exc:
        return f"cannot be read ({exc or type(exc).__name__}): truncated or corrupted"
    return b"".join(chunks), digest.hexdigest()


def open_pack(data: bytes, name: str) -> zipfile.ZipFile:
    """The zip, or ``NotAPack``."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise NotAPack(
            f"{name}: not an evidence pack: not a readable zip ({exc}); truncated or not a zip"
        ) from None


def verify_pack_bytes(data: bytes, name: str, key: PublicKey | None) -> PackVerification:
    """Verify a pack held in memory."""
    result = PackVerification()
    archive = open_pack(data, name)
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise NotAPack(f"{name}: {len(infos)} entries, above the {MAX_ENTRIES}-entry limit")
    names = [i.filename for i in infos]
    if MANIFEST not in names:
        raise NotAPack(f"{name}: not an evidence pack: no {MANIFEST}")
    seen: dict[str, zipfile.ZipInfo] = {}
    declared = 0
    for info in infos:
        problem = _name_problem(info)
        if info.filename in seen:
            problem = "duplicate entry"
        if problem is not None:
            result.problems.append(PackProblem("unsafe-entry", info.filename, problem))
            continue
        seen[info.filename] = info
        declared += info.file_size
    if declared > MAX_TOTAL_BYTES:
        result.problems.append(
            PackProblem("unsafe-entry", name, f"declares {declared} bytes in total (zip bomb)")
        )
        return result
    contents: dict[str, tuple[bytes, str]] = {}
    for path, info in seen.items():
        read = _read_entry(archive, info)
        if isinstance(read, str):
            result.problems.append(PackProblem("corrupt", path, read))
        else:
            contents[path] = read
    if MANIFEST not in contents:
        result.problems.append(PackProblem("manifest", MANIFEST, "unreadable"))
        return result
    manifest_bytes = contents.pop(MANIFEST)[0]
    signature = contents.pop(SIGNATURE, None)
    _check_signature(result, manifest_bytes, signature[0] if signature else None, key)
    manifest = _parse_manifest(result, manifest_bytes)
    if manifest is None:
        return result
    result.manifest = manifest
    _check_files(result, manifest, contents)
    return result


def _check_signature(
    result: PackVerification, manifest: bytes, signature: bytes | None, key: PublicKey | None
) -> None:
    from seccli.core.documents import parse_json_bytes
    from seccli.supplychain.dsse import EnvelopeError, parse_envelope

    if signature is None:
        result.problems.append(PackProblem("signature", SIGNATURE, "the pack is not signed"))
        return
    if key is None:
        result.problems.append(
            PackProblem("signature", SIGNATURE, "not verified: pass --key PUB (the signer's key)")
        )
        return
    try:
        envelope = parse_envelope(parse_json_bytes(signature, SIGNATURE))
    except (InputError, EnvelopeError) as exc:
        result.problems.append(PackProblem("signature", SIGNATURE, f"malformed: {exc}"))
        return
    result.key_id = next((kid for kid, _ in envelope.signatures if kid), None)
    if envelope.payload_type != MANIFEST_PAYLOAD_TYPE:
        result.problems.append(
            PackProblem("signature", SIGNATURE, f"payload type {envelope.payload_type!r}")
        )
        return
    if envelope.payload != manifest:
        result.problems.append(
            PackProblem("manifest", MANIFEST, "differs from the manifest the signature covers")
        )
        return
    if not envelope.verified_by(key):
        result.problems.append(
            PackProblem("signature", SIGNATURE, f"does not verify with key {key.name}")
        )
        return
    result.signature_ok = True
    result.key_id = key.key_id


def _parse_manifest(result: PackVerification, data: bytes) -> dict[str, Any] | None:
    from seccli.core.documents import parse_json_bytes

    try:
        manifest = parse_json_bytes(data, MANIFEST)
    except InputError as exc:
        result.problems.append(PackProblem("manifest", MANIFEST, f"not JSON: {exc.message}"))
        return None
    if not isinstance(manifest, dict) or manifest.get("kind") != MANIFEST_KIND:
        result.problems.append(PackProblem("manifest", MANIFEST, f"not an {MANIFEST_KIND}"))
        return None
    files = manifest.get("files")
    if not isinstance(files, list) or not all(
        isinstance(f, dict)
        and isinstance(f.get("path"), str)
        and isinstance(f.get("sha256"), str)
        and isinstance(f.get("size"), int)
        for f in files
    ):
        result.problems.append(PackProblem("manifest", MANIFEST, "malformed file list"))
        return None
    return manifest


def _check_files(
    result: PackVerification, manifest: dict[str, Any], contents: dict[str, tuple[bytes, str]]
) -> None:
    listed: dict[str, dict[str, Any]] = {}
    for entry in manifest["files"]:
        if entry["path"] in listed or entry["path"] in (MANIFEST, SIGNATURE):
            result.problems.append(PackProblem("manifest", entry["path"], "listed twice"))
        listed[entry["path"]] = entry
    result.files = len(listed)
    removed = sorted(set(listed) - set(contents))
    added = sorted(set(contents) - set(listed))
    unexplained = list(added)
    for path in removed:
        digest = listed[path]["sha256"]
        twin = next((new for new in unexplained if contents[new][1] == digest), None)
        if twin is not None:
            unexplained.remove(twin)
            result.problems.append(PackProblem("renamed", path, f"now named {twin}"))
        else:
            result.problems.append(PackProblem("removed", path, "listed in the manifest, missing"))
    result.problems.extend(
        PackProblem("added", path, "not listed in the manifest") for path in unexplained
    )
    for path in sorted(set(listed) & set(contents)):
        data, digest = contents[path]
        entry = listed[path]
        if digest != entry["sha256"] or len(data) != entry["size"]:
            result.problems.append(
                PackProblem(
                    "changed",
                    path,
                    f"sha256 {digest[:12]}… size {len(data)}, manifest says "
                    f"{entry['sha256'][:12]}… size {entry['size']}",
                )
            )


def verify_pack(path: Path, key: PublicKey | None) -> PackVerification:
    """Verify the pack at ``path`` (a regular file, read whole within a size limit)."""
    from seccli.core.documents import read_file_bytes

    data = read_file_bytes(path, MAX_PACK_BYTES)
    return verify_pack_bytes(data, str(path), key)

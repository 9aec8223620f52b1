"""An OCI image layout on disk as a registry: ``images verify --oci-layout DIR`` (or ``oci:DIR``).

The layout (``oci-layout``, ``index.json``, ``blobs/sha256/<hex>``, OCI image-spec 1.1) is read
the way cosign's ``--local-image`` reads it: a manifest is found by digest, or by the
``org.opencontainers.image.ref.name`` annotation of an ``index.json`` entry, which here holds the
full reference ``registry/repository:tag`` (signature tags ``sha256-<hex>.sig`` and referrers
tag indexes ``sha256-<hex>`` included). Every blob is a regular file whose content must match
its digest; a missing one is "not found", exactly as a registry's 404. The same client writes
layouts (signing and attesting into a layout reuses seccli's registry signing code).
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

from seccli.core.hashing import sha256_hex
from seccli.supplychain.registry import (
    MAX_BLOB_BYTES,
    MAX_MANIFEST_BYTES,
    OCI_INDEX,
    Descriptor,
    Manifest,
    ManifestNotFound,
    RegistryClient,
    RegistryError,
    fallback_tag,
)

REF_NAME = "org.opencontainers.image.ref.name"
LAYOUT_FILE = "oci-layout"
LAYOUT_VERSION = {"imageLayoutVersion": "1.0.0"}
OCI_PREFIX = "oci:"
_DIGEST = re.compile(r"^sha256:([0-9a-f]{64})$")
_MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


class OciLayoutClient(RegistryClient):
    """A registry client over an OCI image layout folder (read, and written when signing)."""

    def __init__(self, root: Path, *, create: bool = False) -> None:
        super().__init__()
        self.root = root
        self._layout_lock = threading.Lock()
        self._refs: dict[str, Descriptor] = {}
        if create:
            (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
            if not (root / LAYOUT_FILE).exists():
                self._write(root / LAYOUT_FILE, _compact(LAYOUT_VERSION))
            if not (root / "index.json").exists():
                self._save_index()
        try:
            self._refs = self._load_index()
        except RegistryError as exc:
            from seccli.core.errors import InputError

            raise InputError(exc.message) from None

    # reading -----------------------------------------------------------------------------
    def _read(self, path: Path, max_bytes: int, what: str) -> bytes:
        from seccli.core.documents import read_file_bytes
        from seccli.core.errors import InputError

        try:
            return read_file_bytes(path, max_bytes)
        except InputError as exc:
            raise RegistryError(f"OCI layout {self.root}: {what}: {exc.message}") from None

    def _load_index(self) -> dict[str, Descriptor]:
        from seccli.core.documents import parse_json_bytes
        from seccli.core.errors import InputError

        layout_path = self.root / LAYOUT_FILE
        if not layout_path.is_file():
            raise RegistryError(f"{self.root}: not an OCI image layout (no {LAYOUT_FILE} file)")
        try:
            layout = parse_json_bytes(self._read(layout_path, 4096, LAYOUT_FILE), str(layout_path))
            index = parse_json_bytes(
                self._read(self.root / "index.json", MAX_MANIFEST_BYTES, "index.json"),
                str(self.root / "index.json"),
            )
        except InputError as exc:
            raise RegistryError(f"OCI layout {self.root}: {exc.message}") from None
        if not isinstance(layout, dict) or layout.get("imageLayoutVersion") != "1.0.0":
            raise RegistryError(f"{self.root}: unsupported imageLayoutVersion")
        items = index.get("manifests") if isinstance(index, dict) else None
        if not isinstance(items, list):
            raise RegistryError(f"{self.root}/index.json: no manifests list")
        refs: dict[str, Descriptor] = {}
        for item in items:
            descriptor = Descriptor.from_json(item)
            name = descriptor.annotations.get(REF_NAME)
            if name:
                refs[name] = descriptor
        return refs

    def image_names(self) -> list[str]:
        """The image references the layout names (signature and referrer tags left out)."""
        names = []
        for name in sorted(self._refs):
            tag = name.rsplit(":", 1)[-1] if ":" in name.rsplit("/", 1)[-1] else ""
            if tag.startswith("sha256-"):
                continue
            names.append(f"{name}@{self._refs[name].digest}")
        return names

    def _blob_path(self, digest: str) -> Path:
        match = _DIGEST.match(digest)
        if match is None:
            raise RegistryError(f"unsupported blob digest {digest!r}")
        return self.root / "blobs" / "sha256" / match[1]

    def _blob(self, digest: str, max_bytes: int, where: str) -> bytes | None:
        path = self._blob_path(digest)
        if not os.path.lexists(path):
            return None
        if path.is_symlink():
            raise RegistryError(f"{where}: blob {digest} is a symbolic link")
        data = self._read(path, max_bytes, f"blob {digest}")
        if "sha256:" + sha256_hex(data) != digest:
            raise RegistryError(f"{where}: blob content does not match its digest")
        return data

    def get_manifest(self, registry: str, repository: str, reference: str) -> Manifest:
        from seccli.core.documents import parse_json_bytes
        from seccli.core.errors import InputError

        where = f"oci:{self.root}//{registry}/{repository}:{reference}"
        if _DIGEST.match(reference):
            digest = reference
        else:
            descriptor = self._refs.get(f"{registry}/{repository}:{reference}")
            if descriptor is None:
                raise ManifestNotFound(f"{where}: manifest not found")
            digest = descriptor.digest
        raw = self._blob(digest, MAX_MANIFEST_BYTES, where)
        if raw is None:
            raise ManifestNotFound(f"{where}: manifest not found")
        try:
            data = parse_json_bytes(raw, where)
        except InputError:
            raise RegistryError(f"{where}: manifest is not JSON") from None
        if not isinstance(data, dict):
            raise RegistryError(f"{where}: manifest is not a JSON object")
        media_type = data.get("mediaType")
        if media_type not in _MANIFEST_TYPES or data.get("schemaVersion") != 2:
            raise RegistryError(f"{where}: unsupported manifest media type {media_type!r}")
        return Manifest(digest, str(media_type), raw, data)

    def get_blob(
        self, registry: str, repository: str, digest: str, *, max_bytes: int = MAX_BLOB_BYTES
    ) -> bytes:
        where = f"oci:{self.root}//{registry}/{repository}@{digest}"
        data = self._blob(digest, max_bytes, where)
        if data is None:
            raise RegistryError(f"{where}: blob not found")
        return data

    def referrers(
        self, registry: str, repository: str, digest: str, artifact_type: str | None = None
    ) -> list[Descriptor]:
        try:
            index = self.get_manifest(registry, repository, fallback_tag(digest))
        except ManifestNotFound:
            return []
        found = index.manifests()
        if artifact_type is None:
            return found
        return [item for item in found if item.artifact_type == artifact_type]

    def tags(self, registry: str, repository: str) -> list[str]:
        prefix = f"{registry}/{repository}:"
        return sorted(name[len(prefix) :] for name in self._refs if name.startswith(prefix))

    # writing -----------------------------------------------------------------------------
    def _write(self, path: Path, data: bytes) -> None:
        from seccli.core.atomic import atomic_write_bytes

        atomic_write_bytes(path, data)

    def _save_index(self) -> None:
        manifests = []
        for name in sorted(self._refs):
            item = self._refs[name].to_json()
            item["annotations"] = {**item.get("annotations", {}), REF_NAME: name}
            manifests.append(item)
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
        self._write(self.root / "index.json", json.dumps(index, indent=1, sort_keys=True).encode())

    def push_blob(self, registry: str, repository: str, data: bytes) -> Descriptor:
        digest = "sha256:" + sha256_hex(data)
        path = self._blob_path(digest)
        if not path.exists():
            self._write(path, data)
        return Descriptor("application/octet-stream", digest, len(data))

    def push_manifest(
        self, registry: str, repository: str, reference: str, raw: bytes, media_type: str
    ) -> str:
        descriptor = self.push_blob(registry, repository, raw)
        if not _DIGEST.match(reference):
            with self._layout_lock:
                self._refs[f"{registry}/{repository}:{reference}"] = Descriptor(
                    media_type, descriptor.digest, len(raw)
                )
                self._save_index()
        return descriptor.digest

    def push_referrer(self, registry: str, repository: str, manifest: dict[str, Any]) -> Descriptor:
        raw = _compact(manifest)
        media_type = str(manifest.get("mediaType", "application/vnd.oci.image.manifest.v1+json"))
        reference = "sha256:" + sha256_hex(raw)
        digest = self.push_manifest(registry, repository, reference, raw, media_type)
        descriptor = Descriptor.of_manifest(manifest, media_type, digest, len(raw))
        subject = manifest.get("subject")
        if not isinstance(subject, dict) or not isinstance(subject.get("digest"), str):
            return descriptor
        tag = fallback_tag(subject["digest"])
        try:
            entries = self.get_manifest(registry, repository, tag).manifests()
        except ManifestNotFound:
            entries = []
        if all(entry.digest != digest for entry in entries):
            index = {
                "schemaVersion": 2,
                "mediaType": OCI_INDEX,
                "manifests": [entry.to_json() for entry in entries] + [descriptor.to_json()],
            }
            self.push_manifest(registry, repository, tag, _compact(index), OCI_INDEX)
        return descriptor


def layout_argument(value: str) -> Path | None:
    """The folder of an ``oci:DIR`` input, else ``None``."""
    return Path(value[len(OCI_PREFIX) :]) if value.startswith(OCI_PREFIX) else None


def push_tiny_image(client: OciLayoutClient, name: str, tag: str, note: bytes) -> str:
    """Write a tiny single-layer image (one text file) under ``name:tag``; return its digest.

    The layer is a gzipped tar with fixed metadata, so the same ``note`` gives the same digest.
    """
    import gzip
    import io
    import tarfile

    from seccli.core.imageref import parse_image_ref

    ref = parse_image_ref(f"{name}:{tag}")
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        info = tarfile.TarInfo("etc/seccli-demo-image")
        info.size, info.mtime, info.mode, info.uname, info.gname = len(note), 0, 0o644, "", ""
        archive.addfile(info, io.BytesIO(note))
    diff_id = "sha256:" + sha256_hex(tar_buffer.getvalue())
    layer = gzip.compress(tar_buffer.getvalue(), mtime=0)
    layer_desc = client.push_blob(ref.registry, ref.repository, layer)
    config = _compact(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": {"dev.seccli.demo": "demo-only example image"}},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
    )
    config_desc = client.push_blob(ref.registry, ref.repository, config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_desc.digest,
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": layer_desc.digest,
                "size": len(layer),
            }
        ],
    }
    raw = _compact(manifest)
    return client.push_manifest(
        ref.registry, ref.repository, tag, raw, "application/vnd.oci.image.manifest.v1+json"
    )


def layout_images(root: Path, *, allow_empty: bool = False) -> list[Any]:
    """Every image the layout at ``root`` names, as gate inputs (``FoundImage``); a layout
    naming none is an input error (nothing to judge) unless ``allow_empty``."""
    from seccli.core.errors import InputError
    from seccli.core.imageref import parse_image_ref
    from seccli.core.location import Location
    from seccli.supplychain.refs import FoundImage

    client = OciLayoutClient(root)
    where = Location(file=str(root / "index.json"))
    found = [
        FoundImage(text, where, "oci-layout", parse_image_ref(text))
        for text in client.image_names()
    ]
    client.close()
    if not found and not allow_empty:
        raise InputError(f"nothing to verify: the OCI layout {root} names no image")
    return found


def split_layout_inputs(paths: list[Path]) -> tuple[list[Path], Path | None]:
    """Separate ``oci:DIR`` inputs from file paths; at most one layout (else an input error)."""
    from seccli.core.errors import InputError

    files: list[Path] = []
    layouts: list[Path] = []
    for path in paths:
        folder = layout_argument(str(path))
        if folder is None:
            files.append(path)
        else:
            layouts.append(folder)
    if len(layouts) > 1:
        raise InputError("give at most one oci:DIR image layout")
    return files, layouts[0] if layouts else None

"""Fixtures: a real local registry, a registry client, signing keys and image builders."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from seccli.core.imageref import ImageRef, parse_image_ref
from seccli.supplychain.keys import PrivateKey, generate_key_pair, load_private_key
from seccli.supplychain.registry import (
    OCI_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
    RegistryClient,
    RegistryOptions,
)
from tests.supplychain.registry_server import RegistryServer

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SIGSTORE = SHARED / "fixtures" / "sigstore"


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``127.0.0.1:<port>`` of a real docker-registry with storage in a temp folder."""
    try:
        server = RegistryServer(tmp_path_factory.mktemp("registry"))
    except FileNotFoundError:
        if os.environ.get("CI"):
            pytest.fail("docker-registry is not installed (apt-get install docker-registry)")
        pytest.skip("docker-registry is not installed (apt-get install docker-registry)")
    try:
        yield server.host
    finally:
        server.stop()


@pytest.fixture(scope="session")
def client(registry: str) -> Iterator[RegistryClient]:
    """A client that may use plain HTTP for the test registry."""
    with RegistryClient(
        RegistryOptions(insecure=frozenset({registry}), timeout=5, retries=1, backoff=0.05)
    ) as shared:
        yield shared


def make_key(folder: Path, name: str) -> tuple[PrivateKey, Path, Path]:
    """A new key pair written to ``folder``: (private key, private path, public path)."""
    private_pem, public_pem = generate_key_pair()
    private = folder / f"{name}.key"
    public = folder / f"{name}.pub"
    private.write_bytes(private_pem)
    public.write_bytes(public_pem)
    return load_private_key(private), private, public


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[PrivateKey, Path, Path]]:
    """Two unrelated key pairs: ``release`` (trusted by policies) and ``rogue``."""
    folder = tmp_path_factory.mktemp("keys")
    return {name: make_key(folder, name) for name in ("release", "rogue")}


def push_image(client: RegistryClient, registry: str, repository: str, tag: str = "v1") -> ImageRef:
    """Push a small random single-platform image; returns its pinned reference."""
    layer = client.push_blob(registry, repository, secrets.token_bytes(64))
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [layer.digest]},
        }
    ).encode()
    config_desc = client.push_blob(registry, repository, config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_desc.digest, "size": len(config)},
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": layer.digest,
                "size": layer.size,
            }
        ],
    }
    raw = json.dumps(manifest).encode()
    digest = client.push_manifest(registry, repository, tag, raw, OCI_MANIFEST)
    return parse_image_ref(f"{registry}/{repository}:{tag}@{digest}")


def push_index(
    client: RegistryClient, registry: str, repository: str, platforms: list[ImageRef], tag: str
) -> ImageRef:
    """Push a multi-arch index over already pushed platform images."""
    entries = []
    for number, ref in enumerate(platforms):
        manifest = client.get_manifest(registry, repository, ref.digest or "")
        entries.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": manifest.digest,
                "size": len(manifest.raw),
                "platform": {"os": "linux", "architecture": ["amd64", "arm64", "s390x"][number]},
            }
        )
    raw = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()
    digest = client.push_manifest(registry, repository, tag, raw, OCI_INDEX)
    return parse_image_ref(f"{registry}/{repository}:{tag}@{digest}")

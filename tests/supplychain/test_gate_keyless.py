"""The gate's keyless path with real Sigstore bundles.

No one can mint a keyless bundle offline, and a real bundle signs some file, not a manifest in
our test registry. So this test serves the signed file's digest as the "image" digest from an
in-memory registry stand-in, with the real bundle attached as a referrer; everything past the
registry (policy, identity matching, sigstore verification, roots) is the production code path.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from seccli.core.imageref import parse_image_ref
from seccli.supplychain.bundles import BUNDLE_ARTIFACT_TYPE
from seccli.supplychain.policy import load_trust_policy
from seccli.supplychain.registry import (
    OCI_MANIFEST,
    Descriptor,
    Manifest,
    ManifestNotFound,
    RegistryClient,
)
from seccli.supplychain.verify import Gate, Verdict
from tests.supplychain.conftest import SIGSTORE

pytestmark = pytest.mark.skipif(not SIGSTORE.is_dir(), reason="../shared/fixtures/sigstore absent")

WHEEL = SIGSTORE / "bundle_v3_github.whl"
BUNDLE = SIGSTORE / "bundle_v3_github.whl.sigstore"
IDENTITY = (
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
)
ISSUER = "https://token.actions.githubusercontent.com"


class InMemoryRegistry(RegistryClient):
    """Serves one 'image' whose digest is the wheel's, with the real bundle as a referrer."""

    def __init__(self) -> None:
        super().__init__()
        self.digest = "sha256:" + hashlib.sha256(WHEEL.read_bytes()).hexdigest()
        bundle = BUNDLE.read_bytes()
        self.bundle_digest = "sha256:" + hashlib.sha256(bundle).hexdigest()
        self.blobs = {self.bundle_digest: bundle}
        referrer = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": BUNDLE_ARTIFACT_TYPE,
            "config": {
                "mediaType": "application/vnd.oci.empty.v1+json",
                "digest": "sha256:" + "4" * 64,
                "size": 2,
            },
            "layers": [
                {
                    "mediaType": BUNDLE_ARTIFACT_TYPE,
                    "digest": self.bundle_digest,
                    "size": len(bundle),
                }
            ],
            "subject": {"mediaType": OCI_MANIFEST, "digest": self.digest, "size": 1},
        }
        raw = json.dumps(referrer).encode()
        self.referrer = Manifest(
            "sha256:" + hashlib.sha256(raw).hexdigest(), OCI_MANIFEST, raw, referrer
        )
        image = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "layers": []}
        self.image = Manifest(self.digest, OCI_MANIFEST, b"{}", image)

    def get_manifest(self, registry: str, repository: str, reference: str) -> Manifest:
        if reference in {self.digest, "1.0"}:
            return self.image
        if reference == self.referrer.digest:
            return self.referrer
        raise ManifestNotFound("not found")

    def get_blob(self, registry: str, repository: str, digest: str, *, max_bytes: int = 0) -> bytes:
        return self.blobs[digest]

    def referrers(
        self, registry: str, repository: str, digest: str, artifact_type: str | None = None
    ) -> list[Descriptor]:
        if digest != self.digest:
            return []
        return [
            Descriptor(
                OCI_MANIFEST, self.referrer.digest, len(self.referrer.raw), BUNDLE_ARTIFACT_TYPE
            )
        ]


def policy(tmp_path: Path, keyless: dict[str, Any]) -> Any:
    path = tmp_path / "trust.yaml"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "seccli.dev/v1alpha1",
                "kind": "TrustPolicy",
                "spec": {
                    "authorities": [{"name": "rfc8785-release", "keyless": keyless}],
                    "images": [
                        {"glob": "ghcr.io/trailofbits/**", "authorities": ["rfc8785-release"]}
                    ],
                },
            }
        )
    )
    return load_trust_policy(path)


def test_keyless_signed_image_passes_and_names_the_identity(tmp_path: Path) -> None:
    registry = InMemoryRegistry()
    ref = parse_image_ref(f"ghcr.io/trailofbits/rfc8785@{registry.digest}")
    exact = policy(tmp_path, {"identity": IDENTITY, "issuer": ISSUER})
    verdict = Gate(exact, registry).verify(ref)
    assert verdict.verdict is Verdict.PASS, verdict.reasons
    assert IDENTITY in verdict.signers[0] and "rfc8785-release" in verdict.signers[0]
    regex = policy(
        tmp_path,
        {"identityRegex": r"https://github\.com/trailofbits/.+@refs/tags/v.*", "issuer": ISSUER},
    )
    assert Gate(regex, registry).verify(ref).verdict is Verdict.PASS


@pytest.mark.parametrize(
    ("keyless", "reason"),
    [
        (
            {
                "identity": "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main",
                "issuer": ISSUER,
            },
            "not a trusted identity",
        ),
        ({"identity": IDENTITY, "issuer": "https://accounts.google.com"}, "not a trusted identity"),
        (
            {"identity": IDENTITY, "issuer": ISSUER, "trustedRoot": "sigstore:staging"},
            "Sigstore verification failed",
        ),
    ],
)
def test_keyless_wrong_identity_issuer_or_root_blocks(
    tmp_path: Path, keyless: dict[str, Any], reason: str
) -> None:
    registry = InMemoryRegistry()
    ref = parse_image_ref(f"ghcr.io/trailofbits/rfc8785@{registry.digest}")
    verdict = Gate(policy(tmp_path, keyless), registry).verify(ref)
    assert verdict.verdict is Verdict.BLOCK
    assert reason in verdict.reasons[0]

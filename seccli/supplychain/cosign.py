"""cosign's key-based image signatures ("simple signing").

The signature manifest lives at tag ``sha256-<hex>.sig`` of the image's repository; each layer
of media type ``application/vnd.dev.cosign.simplesigning.v1+json`` is a payload::

    {"critical": {"identity": {"docker-reference": "registry/repository"},
                  "image": {"docker-manifest-digest": "sha256:..."},
                  "type": "cosign container image signature"},
     "optional": null}

and its annotation ``dev.cosignproject.cosign/signature`` holds the base64 signature over the
exact payload bytes. A signature counts only if it verifies with a trusted key AND its payload
names this image's digest (a signature copied onto another image is rejected) AND its type is
right AND its docker-reference is this repository. Legacy keyless ``.sig`` layers (a Fulcio
certificate and a Rekor bundle in annotations) are refused with that reason: keyless
signatures are accepted as Sigstore bundles.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seccli.core.imageref import parse_image_ref
from seccli.supplychain.dsse import EnvelopeError, b64decode
from seccli.supplychain.keys import PublicKey
from seccli.supplychain.registry import ManifestNotFound, RegistryClient

SIMPLESIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate"
SIGNATURE_TYPE = "cosign container image signature"
MAX_PAYLOAD_BYTES = 1024 * 1024
MAX_SIGNATURE_LAYERS = 64


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """The outcome for one signature layer."""

    ok: bool
    reason: str
    authority: str | None = None


def signature_tag(digest: str) -> str:
    """``sha256-<hex>.sig``."""
    algorithm, _, value = digest.partition(":")
    return f"{algorithm}-{value}.sig"


def simple_signing_payload(image_name: str, digest: str) -> bytes:
    """The payload cosign signs for ``image_name`` (``registry/repository``) at ``digest``."""
    payload = {
        "critical": {
            "identity": {"docker-reference": image_name},
            "image": {"docker-manifest-digest": digest},
            "type": SIGNATURE_TYPE,
        },
        "optional": None,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def check_payload(payload: bytes, image_name: str, digest: str) -> str | None:
    """Why ``payload`` does not describe ``image_name`` at ``digest`` (``None`` if it does)."""
    from seccli.core.documents import parse_json_bytes
    from seccli.core.errors import InputError

    try:
        # Strict: a duplicate key in signed bytes is how parsers are made to disagree.
        data = parse_json_bytes(payload, "simple-signing payload")
        critical = data["critical"]
        kind = critical["type"]
        signed_digest = critical["image"]["docker-manifest-digest"]
        reference = critical["identity"]["docker-reference"]
    except (InputError, KeyError, TypeError):
        return "malformed simple-signing payload"
    if kind != SIGNATURE_TYPE:
        return f"payload type {kind!r} is not a cosign container image signature"
    if signed_digest != digest:
        return f"signature is for another image ({signed_digest}), not {digest}"
    try:
        signed_name = parse_image_ref(str(reference)).name
    except ValueError:
        return f"payload names a malformed image {reference!r}"
    if signed_name != image_name:
        return f"signature is for repository {signed_name}, not {image_name}"
    return None


def verify_layer(
    payload: bytes, signature_b64: Any, keys: Sequence[PublicKey], image_name: str, digest: str
) -> SignatureCheck:
    """Check one payload and its signature against ``keys`` and the image."""
    try:
        signature = b64decode(signature_b64, "signature annotation")
    except EnvelopeError as exc:
        return SignatureCheck(False, str(exc))
    signer = next((key for key in keys if key.verify(signature, payload)), None)
    if signer is None:
        return SignatureCheck(False, "cosign signature does not verify with any trusted key")
    problem = check_payload(payload, image_name, digest)
    if problem is not None:
        return SignatureCheck(False, problem)
    return SignatureCheck(True, f"cosign signature by key {signer.name}", signer.name)


def verify_cosign_signatures(
    client: RegistryClient,
    registry: str,
    repository: str,
    digest: str,
    keys: Sequence[PublicKey],
) -> list[SignatureCheck]:
    """Every simple-signing layer at ``sha256-<hex>.sig``, checked (empty list: none there)."""
    try:
        manifest = client.get_manifest(registry, repository, signature_tag(digest))
    except ManifestNotFound:
        return []
    if manifest.is_index:
        return [SignatureCheck(False, "signature tag holds an index, not a manifest")]
    checks: list[SignatureCheck] = []
    image_name = f"{registry}/{repository}"
    for layer in manifest.layers()[:MAX_SIGNATURE_LAYERS]:
        if layer.media_type != SIMPLESIGNING_MEDIA_TYPE:
            continue
        if SIGNATURE_ANNOTATION not in layer.annotations:
            checks.append(SignatureCheck(False, "signature layer without a signature annotation"))
            continue
        if CERTIFICATE_ANNOTATION in layer.annotations:
            checks.append(
                SignatureCheck(
                    False,
                    "legacy cosign keyless signature (.sig with a certificate) is not supported; "
                    "sign with Sigstore bundles (cosign --new-bundle-format)",
                )
            )
            continue
        if not keys:
            checks.append(SignatureCheck(False, "cosign key signature, but no trusted key applies"))
            continue
        if layer.size > MAX_PAYLOAD_BYTES:
            checks.append(SignatureCheck(False, "signature payload is too large"))
            continue
        payload = client.get_blob(registry, repository, layer.digest, max_bytes=MAX_PAYLOAD_BYTES)
        checks.append(
            verify_layer(payload, layer.annotations[SIGNATURE_ANNOTATION], keys, image_name, digest)
        )
    return checks

"""Signing images and pushing attestations, for users without cosign (and for our tests).

- ``sign_image``: cosign's key-based format: a simple-signing payload layer, signature in the
  ``dev.cosignproject.cosign/signature`` annotation, manifest at tag ``sha256-<hex>.sig``
  (existing signatures kept, as cosign appends).
- ``sign_image_bundle``: a key-based Sigstore bundle v0.3 (message signature over the image
  manifest) attached as an OCI referrer.
- ``attest_image``: an in-toto statement about the image in a key-signed DSSE envelope, in a
  Sigstore bundle v0.3 attached as an OCI referrer (``sha256-<hex>`` tag index when the registry
  has no referrers API).
- ``sign_blob``: a key-based bundle for a file (``seccli verify blob --key`` checks it).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from seccli.core.imageref import ImageRef
from seccli.supplychain.bundles import BUNDLE_ARTIFACT_TYPE
from seccli.supplychain.cosign import (
    SIGNATURE_ANNOTATION,
    SIMPLESIGNING_MEDIA_TYPE,
    signature_tag,
    simple_signing_payload,
)
from seccli.supplychain.dsse import INTOTO_PAYLOAD_TYPE, make_statement, sign_envelope
from seccli.supplychain.keys import PrivateKey
from seccli.supplychain.registry import (
    EMPTY_JSON,
    OCI_CONFIG,
    OCI_EMPTY,
    OCI_MANIFEST,
    Descriptor,
    Manifest,
    ManifestNotFound,
    RegistryClient,
)

BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"


@dataclass(frozen=True, slots=True)
class Pushed:
    """What was pushed: the image it is about and the signature/attestation manifest."""

    image: str
    digest: str
    manifest_digest: str
    where: str


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def resolve(client: RegistryClient, ref: ImageRef) -> Manifest:
    """The manifest ``ref`` names (by digest when pinned)."""
    reference = ref.digest or ref.tag or "latest"
    return client.get_manifest(ref.registry, ref.repository, reference)


def sign_image(client: RegistryClient, ref: ImageRef, key: PrivateKey) -> Pushed:
    """Sign ``ref`` in cosign's key-based format."""
    manifest = resolve(client, ref)
    digest = manifest.digest
    payload = simple_signing_payload(ref.name, digest)
    signature = base64.b64encode(key.sign(payload)).decode()
    layer = client.push_blob(ref.registry, ref.repository, payload)
    new_layer = Descriptor(
        SIMPLESIGNING_MEDIA_TYPE, layer.digest, layer.size, None, {SIGNATURE_ANNOTATION: signature}
    )
    tag = signature_tag(digest)
    layers: list[dict[str, Any]] = []
    try:
        existing = client.get_manifest(ref.registry, ref.repository, tag)
        if not existing.is_index:
            layers = [item.to_json() for item in existing.layers()]
    except ManifestNotFound:
        pass
    layers = [item for item in layers if item.get("digest") != layer.digest] + [new_layer.to_json()]
    config = _compact(
        {
            "architecture": "",
            "os": "",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [item["digest"] for item in layers]},
        }
    )
    config_desc = client.push_blob(ref.registry, ref.repository, config)
    sig_manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_desc.digest, "size": len(config)},
        "layers": layers,
    }
    raw = _compact(sig_manifest)
    pushed = client.push_manifest(ref.registry, ref.repository, tag, raw, OCI_MANIFEST)
    return Pushed(ref.name, digest, pushed, f"{ref.name}:{tag}")


def _public_key_hint(key: PrivateKey) -> str:
    return key.public().key_id


def key_bundle_message(key: PrivateKey, data_digest: bytes, signature: bytes) -> dict[str, Any]:
    """A Sigstore bundle v0.3 with a message signature and a public-key hint."""
    return {
        "mediaType": BUNDLE_V03,
        "verificationMaterial": {"publicKey": {"hint": _public_key_hint(key)}, "tlogEntries": []},
        "messageSignature": {
            "messageDigest": {
                "algorithm": "SHA2_256",
                "digest": base64.b64encode(data_digest).decode(),
            },
            "signature": base64.b64encode(signature).decode(),
        },
    }


def sign_blob(data: bytes, key: PrivateKey) -> bytes:
    """A key-based Sigstore bundle (message signature) for ``data``."""
    bundle = key_bundle_message(key, hashlib.sha256(data).digest(), key.sign(data))
    return json.dumps(bundle, indent=2, sort_keys=True).encode() + b"\n"


def _push_bundle_referrer(
    client: RegistryClient,
    ref: ImageRef,
    manifest: Manifest,
    bundle: bytes,
    annotations: dict[str, str],
) -> Pushed:
    client.push_blob(ref.registry, ref.repository, EMPTY_JSON)
    layer = client.push_blob(ref.registry, ref.repository, bundle)
    referrer = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE_ARTIFACT_TYPE,
        "config": {
            "mediaType": OCI_EMPTY,
            "digest": "sha256:" + hashlib.sha256(EMPTY_JSON).hexdigest(),
            "size": len(EMPTY_JSON),
        },
        "layers": [{"mediaType": BUNDLE_V03, "digest": layer.digest, "size": layer.size}],
        "subject": {
            "mediaType": manifest.media_type,
            "digest": manifest.digest,
            "size": len(manifest.raw),
        },
        "annotations": annotations,
    }
    pushed = client.push_referrer(ref.registry, ref.repository, referrer)
    return Pushed(ref.name, manifest.digest, pushed.digest, f"{ref.name}@{pushed.digest}")


def push_bundle(client: RegistryClient, ref: ImageRef, bundle: bytes) -> Pushed:
    """Attach an existing Sigstore bundle (e.g. from ``cosign sign --new-bundle-format``) to
    ``ref`` as a referrer."""
    manifest = resolve(client, ref)
    return _push_bundle_referrer(
        client, ref, manifest, bundle, {"dev.sigstore.bundle.content": "external"}
    )


def sign_image_bundle(client: RegistryClient, ref: ImageRef, key: PrivateKey) -> Pushed:
    """Sign ``ref`` as a key-based Sigstore bundle referrer (message signature over the
    manifest bytes)."""
    manifest = resolve(client, ref)
    bundle = key_bundle_message(key, hashlib.sha256(manifest.raw).digest(), key.sign(manifest.raw))
    return _push_bundle_referrer(
        client,
        ref,
        manifest,
        _compact(bundle),
        {"dev.sigstore.bundle.content": "message-signature"},
    )


def attest_image(
    client: RegistryClient,
    ref: ImageRef,
    key: PrivateKey,
    predicate: Any,
    predicate_type: str,
) -> Pushed:
    """Attach a key-signed in-toto attestation (DSSE in a Sigstore bundle) to ``ref``."""
    manifest = resolve(client, ref)
    statement = make_statement(ref.name, manifest.digest, predicate_type, predicate)
    envelope = sign_envelope(INTOTO_PAYLOAD_TYPE, statement, key)
    bundle = {
        "mediaType": BUNDLE_V03,
        "verificationMaterial": {"publicKey": {"hint": _public_key_hint(key)}, "tlogEntries": []},
        "dsseEnvelope": envelope.to_json(),
    }
    return _push_bundle_referrer(
        client,
        ref,
        manifest,
        _compact(bundle),
        {
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": predicate_type,
        },
    )

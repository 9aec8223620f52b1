"""``keys generate``, ``sign``, ``attest`` and ``verify blob`` as capabilities returning results.

Passwords arrive as ``Secret``; no result carries one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seccli.core.errors import InputError

if TYPE_CHECKING:
    from seccli.core.imageref import ImageRef
    from seccli.core.redaction import Secret
    from seccli.supplychain.bundles import BundleResult
    from seccli.supplychain.keys import PrivateKey
    from seccli.supplychain.registry import RegistryClient

# sign --blob reads the whole file to sign it; larger artifacts are better signed by digest.
MAX_BLOB_BYTES = 2 * 1024 * 1024 * 1024
SIGNATURE_FORMATS = ("cosign", "bundle")
EMBEDDED_ROOTS = ("sigstore:production", "sigstore:staging")


@dataclass(frozen=True)
class KeyPair:
    """Where a new key pair was written and whether the private key is encrypted."""

    private: Path
    public: Path
    encrypted: bool

    def to_json(self) -> dict[str, Any]:
        """The JSON body of ``keys generate``."""
        return {
            "privateKey": str(self.private),
            "publicKey": str(self.public),
            "encrypted": self.encrypted,
        }


def generate_keys(prefix: Path, password: Secret | None, *, force: bool = False) -> KeyPair:
    """Write an ECDSA P-256 pair to ``PREFIX.key`` (mode 0600) and ``PREFIX.pub``."""
    from seccli.core.atomic import atomic_write_bytes
    from seccli.supplychain.keys import generate_key_pair

    private = prefix.with_name(prefix.name + ".key")
    public = prefix.with_name(prefix.name + ".pub")
    for path in (private, public):
        if path.exists() and not force:
            raise InputError(f"{path}: already exists", hint="pass --force to overwrite")
    private_pem, public_pem = generate_key_pair(password)
    atomic_write_bytes(private, private_pem, mode=0o600)
    atomic_write_bytes(public, public_pem)
    return KeyPair(private, public, password is not None)


@dataclass(frozen=True)
class Signed:
    """What a signing command produced: the subject signed and where the signature went."""

    kind: str  # blob, image or attestation
    subject: str
    where: str
    predicate_type: str | None = None

    @property
    def action(self) -> str:
        """The audit action."""
        return {"blob": "blob.sign", "image": "image.sign"}.get(self.kind, "image.attest")

    def audit_payload(self) -> dict[str, str]:
        """What the audit entry records."""
        if self.kind == "blob":
            return {"bundle": self.where}
        if self.kind == "image":
            return {"signature": self.where}
        return {"predicateType": self.predicate_type or "", "attestation": self.where}

    def to_json(self) -> dict[str, Any]:
        """The JSON body of ``sign`` and ``attest``."""
        body: dict[str, Any] = {"kind": self.kind, "subject": self.subject, "where": self.where}
        if self.predicate_type is not None:
            body["predicateType"] = self.predicate_type
        return body


def sign_blob_file(blob: Path, key: PrivateKey, bundle_out: Path | None = None) -> Signed:
    """Sign a file; the Sigstore bundle goes to ``bundle_out`` (default ``FILE.sigstore.json``)."""
    from seccli.core.atomic import atomic_write_bytes
    from seccli.core.documents import read_file_bytes
    from seccli.supplychain.signing import sign_blob

    data = read_file_bytes(blob, MAX_BLOB_BYTES)
    target = bundle_out or blob.with_name(blob.name + ".sigstore.json")
    atomic_write_bytes(target, sign_blob(data, key))
    return Signed("blob", str(blob), str(target))


def parse_reference(image: str) -> ImageRef:
    """An image reference, or an input error saying why it is not one."""
    from seccli.core.imageref import parse_image_ref

    try:
        return parse_image_ref(image)
    except ValueError as exc:
        raise InputError(f"invalid image reference: {exc}") from None


def sign_image_ref(
    client: RegistryClient, ref: ImageRef, key: PrivateKey, signature_format: str = "cosign"
) -> Signed:
    """Sign an image: cosign simple signing (``sha256-<hex>.sig``) or a bundle referrer."""
    from seccli.supplychain.signing import sign_image, sign_image_bundle

    if signature_format not in SIGNATURE_FORMATS:
        raise InputError("--signature-format is cosign or bundle")
    signer = sign_image if signature_format == "cosign" else sign_image_bundle
    pushed = signer(client, ref, key)
    return Signed("image", f"{pushed.image}@{pushed.digest}", pushed.where)


def load_predicate(path: Path) -> Any:
    """The predicate JSON document (one JSON value, read by the safe loader)."""
    from seccli.core.documents import load_documents, only_document

    return only_document(load_documents(path, fmt="json"), str(path)).data


def attest_image_ref(
    client: RegistryClient, ref: ImageRef, key: PrivateKey, predicate: Any, kind: str
) -> Signed:
    """Attach a key-signed in-toto attestation of ``kind`` (a type URI or alias) to an image."""
    from seccli.supplychain.dsse import predicate_type
    from seccli.supplychain.signing import attest_image

    type_uri = predicate_type(kind)
    pushed = attest_image(client, ref, key, predicate, type_uri)
    return Signed("attestation", f"{pushed.image}@{pushed.digest}", pushed.where, type_uri)


@dataclass(frozen=True)
class SignerRequirement:
    """Who must have signed a blob: a public key file, or a keyless identity and issuer."""

    key: Path | None = None
    identity: str | None = None
    identity_regex: str | None = None
    issuer: str | None = None
    issuer_regex: str | None = None

    @property
    def keyless(self) -> bool:
        """True when an identity or issuer is given."""
        return any(
            v is not None
            for v in (self.identity, self.identity_regex, self.issuer, self.issuer_regex)
        )

    def check(self) -> None:
        """Refuse requirements that would verify nothing or are ambiguous."""
        if self.key is not None and self.keyless:
            raise InputError("give --key, or --identity/--issuer, not both")
        if self.key is None and not self.keyless:
            raise InputError(
                "say who must have signed: --identity and --issuer (keyless) or --key",
                hint="there is no 'any signer' mode: that would verify nothing",
            )
        if self.keyless and (
            (self.identity is None) == (self.identity_regex is None)
            or (self.issuer is None) == (self.issuer_regex is None)
        ):
            raise InputError(
                "keyless verification needs one of --identity/--identity-regex "
                "and one of --issuer/--issuer-regex"
            )


@dataclass(frozen=True)
class BlobCheck:
    """The outcome of verifying one blob's bundle."""

    artifact: str
    bundle: Path
    result: BundleResult

    def to_json(self) -> dict[str, Any]:
        """The JSON body of ``verify blob``."""
        statement = self.result.statement
        return {
            "artifact": self.artifact,
            "bundle": str(self.bundle),
            "verified": self.result.ok,
            "reason": self.result.reason,
            "signer": self.result.signer,
            "predicateType": statement.predicate_type if statement else None,
        }


def verify_blob(
    artifact: str, bundle: Path, signer: SignerRequirement, trusted_root: str
) -> BlobCheck:
    """Verify ``bundle`` for a file (or ``sha256:<hex>``), offline, against ``signer``."""
    from seccli.supplychain.bundles import KeylessIdentity, verify_bundle_file
    from seccli.supplychain.keys import load_public_key_file

    signer.check()
    if trusted_root.startswith("sigstore:") and trusted_root not in EMBEDDED_ROOTS:
        raise InputError(f"unknown trusted root {trusted_root!r}")
    keys = [load_public_key_file(signer.key)] if signer.key is not None else []
    identities: Sequence[KeylessIdentity] = (
        [
            KeylessIdentity(
                "cli", signer.identity, signer.identity_regex, signer.issuer, signer.issuer_regex
            )
        ]
        if signer.keyless
        else []
    )
    result = verify_bundle_file(
        artifact, bundle, keys=keys, identities=identities, trusted_root=trusted_root
    )
    return BlobCheck(artifact, bundle, result)

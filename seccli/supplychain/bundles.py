"""Sigstore bundle verification (bundle v0.1, v0.2 and v0.3), fully offline.

- Keyless bundles (a Fulcio certificate): verified by ``sigstore`` (sigstore-python, through
  ``SeccliVerifier``, which also accepts Rekor ``intoto`` v0.0.2 entries and treats a timestamp
  authority's validity end as inclusive) against a pinned ``trusted_root.json`` (default: the
  root embedded in the installed package), with an identity policy (certificate identity +
  OIDC issuer, exact or regular expression).
- Key-based bundles (``verificationMaterial.publicKey``): sigstore-python refuses them, so we
  verify the signature ourselves with ``cryptography``. The key is always one of the trust
  policy's keys; the bundle's key hint is never trusted. Transparency-log entries of key-based
  bundles are not checked (as with ``cosign verify --key --insecure-ignore-tlog``).
- Content: a message signature must be over the artifact (its SHA-256 digest is computed by us,
  never taken from the bundle); a DSSE envelope must hold an in-toto statement with a subject
  whose digest is the artifact's.

Anything malformed, unknown or inconsistent is a failure with a reason; nothing is allowed by
default.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seccli.core.errors import InputError
from seccli.supplychain.dsse import (
    INTOTO_PAYLOAD_TYPE,
    EnvelopeError,
    Statement,
    b64decode,
    parse_envelope,
    parse_statement,
)
from seccli.supplychain.keys import PublicKey

BUNDLE_MEDIA_TYPES = frozenset(
    {
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
    }
)
BUNDLE_ARTIFACT_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
MAX_BUNDLE_BYTES = 16 * 1024 * 1024
_OIDC_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
_OIDC_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
_SAN_OTHERNAME = "1.3.6.1.4.1.57264.1.7"


@dataclass(frozen=True, slots=True)
class KeylessIdentity:
    """A keyless signer: certificate identity and OIDC issuer, each exact or a full-match regex."""

    name: str
    identity: str | None = None
    identity_regex: str | None = None
    issuer: str | None = None
    issuer_regex: str | None = None

    def matches(self, identities: Sequence[str], issuer: str | None) -> bool:
        """True when one of the certificate's identities and its issuer both match."""
        if issuer is None:
            return False
        if self.issuer is not None and issuer != self.issuer:
            return False
        if self.issuer_regex is not None and not re.fullmatch(self.issuer_regex, issuer):
            return False
        if self.issuer is None and self.issuer_regex is None:
            return False  # an issuer is always required
        for identity in identities:
            if self.identity is not None and identity == self.identity:
                return True
            if self.identity_regex is not None and re.fullmatch(self.identity_regex, identity):
                return True
        return False

    def describe(self) -> str:
        """``identity (issuer)`` for messages."""
        who = self.identity or f"/{self.identity_regex}/"
        by = self.issuer or f"/{self.issuer_regex}/"
        return f"{who} ({by})"


@dataclass(frozen=True, slots=True)
class BundleResult:
    """What verifying one bundle established, or why it failed."""

    ok: bool
    reason: str
    signer: str | None = None
    statement: Statement | None = None
    signed_time: datetime | None = None
    authority: str | None = None

    @classmethod
    def fail(cls, reason: str) -> BundleResult:
        """A failed verification."""
        return cls(False, reason)


# --- trusted roots and verifiers (sigstore is imported only here, lazily) -------------------

_VERIFIERS: dict[str, Any] = {}
_VERIFIERS_LOCK = threading.Lock()
PRODUCTION_ROOT = "sigstore:production"
STAGING_ROOT = "sigstore:staging"


def trusted_root_verifier(root: str) -> Any:
    """A cached ``sigstore`` verifier for ``root``: a ``trusted_root.json`` path, or
    ``sigstore:production`` / ``sigstore:staging`` (the roots embedded in sigstore-python).

    Raises ``InputError`` when the root is missing or broken."""
    with _VERIFIERS_LOCK:
        cached = _VERIFIERS.get(root)
        if cached is not None:
            return cached
        import logging

        from sigstore.models import ClientTrustConfig

        from seccli.supplychain.sigstore_verifier import SeccliVerifier

        logging.getLogger("sigstore").setLevel(logging.ERROR)
        try:
            if root == PRODUCTION_ROOT:
                config = ClientTrustConfig.production(offline=True)
                verifier = SeccliVerifier(trusted_root=config.trusted_root)
            elif root == STAGING_ROOT:
                config = ClientTrustConfig.staging(offline=True)
                verifier = SeccliVerifier(trusted_root=config.trusted_root)
            else:
                verifier = SeccliVerifier(trusted_root=_trusted_root_file(root))
        except InputError:
            raise
        except Exception as exc:  # any parse failure of the root is a broken policy
            raise InputError(f"{root}: not a usable Sigstore trusted root: {_short(exc)}") from None
        _VERIFIERS[root] = verifier
        return verifier


def _trusted_root_file(root: str) -> Any:
    """A ``trusted_root.json`` read through the safe loader (regular file, size, duplicates)."""
    from sigstore.models import TrustedRoot
    from sigstore_models.trustroot import v1 as trustroot_v1

    from seccli.core.documents import LoadLimits, decode_source, parse_documents, read_file_bytes

    if not Path(root).exists():
        raise InputError(f"{root}: trusted root not found")
    limits = LoadLimits(max_bytes=MAX_BUNDLE_BYTES)
    try:
        raw = read_file_bytes(Path(root), limits.max_bytes)
        parse_documents(decode_source(raw, root, limits), root, fmt="json", limits=limits)
    except InputError as exc:
        raise InputError(f"not a usable Sigstore trusted root: {exc.message}") from None
    return TrustedRoot(trustroot_v1.TrustedRoot.from_json(raw))


class _IdentityPolicy:
    """A sigstore verification policy: any of our keyless identities must match."""

    def __init__(self, identities: Sequence[KeylessIdentity]) -> None:
        self.identities = identities
        self.matched: KeylessIdentity | None = None

    def verify(self, cert: Any) -> None:
        from sigstore.errors import VerificationError

        sans, issuer = certificate_identity(cert)
        for identity in self.identities:
            if identity.matches(sans, issuer):
                self.matched = identity
                return
        raise VerificationError(
            f"signer {', '.join(sans) or '(no identity)'} issued by {issuer or '(no issuer)'} "
            "is not a trusted identity"
        )


def certificate_identity(cert: Any) -> tuple[list[str], str | None]:
    """The SAN identities (email, URI, Sigstore other-name) and OIDC issuer of a certificate."""
    from cryptography import x509
    from cryptography.x509.oid import ObjectIdentifier

    identities: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        identities.extend(san.get_values_for_type(x509.RFC822Name))
        identities.extend(san.get_values_for_type(x509.UniformResourceIdentifier))
        identities.extend(
            _der_utf8(other.value)
            for other in san.get_values_for_type(x509.OtherName)
            if other.type_id.dotted_string == _SAN_OTHERNAME
        )
    except x509.ExtensionNotFound:
        pass
    issuer: str | None = None
    for oid in (_OIDC_ISSUER_V2, _OIDC_ISSUER_V1):
        try:
            value = cert.extensions.get_extension_for_oid(ObjectIdentifier(oid)).value.value
        except x509.ExtensionNotFound:
            continue
        issuer = _der_utf8(value) if oid == _OIDC_ISSUER_V2 else value.decode("utf-8", "replace")
        break
    return identities, issuer


def _der_utf8(value: bytes) -> str:
    """Decode a DER UTF8String (tag 0x0c) with a short or long length; raw text otherwise."""
    if len(value) >= 2 and value[0] == 0x0C:
        length = value[1]
        offset = 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(value[2 : 2 + count], "big")
            offset = 2 + count
        return value[offset : offset + length].decode("utf-8", "replace")
    return value.decode("utf-8", "replace")


# --- verification -------------------------------------------------------------------------


def parse_bundle_json(raw: bytes) -> dict[str, Any]:
    """Parse bundle JSON and check its media type; raises ``ValueError`` with the reason."""
    from seccli.core.documents import LoadLimits, decode_source, parse_documents

    if len(raw) > MAX_BUNDLE_BYTES:
        raise ValueError("bundle is too large")
    limits = LoadLimits(max_bytes=MAX_BUNDLE_BYTES)
    try:
        (document,) = parse_documents(decode_source(raw, "bundle", limits), "bundle", fmt="json")
    except InputError as exc:
        raise ValueError(f"bundle is not JSON ({exc})") from None
    data = document.data
    if not isinstance(data, dict):
        raise ValueError("bundle is not a JSON object")
    media_type = data.get("mediaType")
    if media_type not in BUNDLE_MEDIA_TYPES:
        raise ValueError(f"unsupported bundle media type {media_type!r}")
    material = data.get("verificationMaterial")
    if not isinstance(material, dict):
        raise ValueError("bundle has no verificationMaterial")
    if ("messageSignature" in data) == ("dsseEnvelope" in data):
        raise ValueError("bundle must hold exactly one of messageSignature and dsseEnvelope")
    return data


def verify_bundle(
    raw: bytes,
    digest: str,
    *,
    keys: Sequence[PublicKey] = (),
    identities: Sequence[KeylessIdentity] = (),
    trusted_root: str = PRODUCTION_ROOT,
) -> BundleResult:
    """Verify a Sigstore bundle for the artifact whose SHA-256 digest is ``digest``
    (``sha256:<hex>``), by any of ``keys`` (key-based bundles) or ``identities`` (keyless)."""
    if not digest.startswith("sha256:") or len(digest) != 71:
        return BundleResult.fail(f"unsupported artifact digest {digest!r}")
    try:
        data = parse_bundle_json(raw)
    except ValueError as exc:
        return BundleResult.fail(f"malformed bundle: {exc}")
    material = data["verificationMaterial"]
    if "publicKey" in material:
        if not keys:
            return BundleResult.fail("key-based bundle, but no trusted key applies")
        return _verify_key_bundle(data, digest, keys)
    if "certificate" in material or "x509CertificateChain" in material:
        if not identities:
            return BundleResult.fail("keyless bundle, but no trusted identity applies")
        return _verify_keyless_bundle(raw, digest, identities, trusted_root)
    return BundleResult.fail("bundle has neither a public key nor a certificate")


def _verify_key_bundle(
    data: dict[str, Any], digest: str, keys: Sequence[PublicKey]
) -> BundleResult:
    digest_bytes = bytes.fromhex(digest.removeprefix("sha256:"))
    try:
        if "messageSignature" in data:
            message = data["messageSignature"]
            if not isinstance(message, dict):
                return BundleResult.fail("malformed bundle: messageSignature is not an object")
            claimed = message.get("messageDigest")
            if isinstance(claimed, dict):
                algorithm = claimed.get("algorithm")
                if algorithm != "SHA2_256":
                    return BundleResult.fail(f"unsupported message digest {algorithm!r}")
                if b64decode(claimed.get("digest"), "message digest") != digest_bytes:
                    return BundleResult.fail("bundle signs a different artifact (digest mismatch)")
            signature = b64decode(message.get("signature"), "signature")
            for key in keys:
                if key.verify_digest(signature, digest_bytes, "sha256"):
                    return BundleResult(
                        True, f"signed by key {key.name}", f"key {key.name}", authority=key.name
                    )
            return BundleResult.fail("signature does not verify with any trusted key")
        envelope = parse_envelope(data["dsseEnvelope"])
    except EnvelopeError as exc:
        return BundleResult.fail(f"malformed bundle: {exc}")
    signer = next((key for key in keys if envelope.verified_by(key)), None)
    if signer is None:
        return BundleResult.fail("DSSE signature does not verify with any trusted key")
    return _statement_result(
        envelope.payload_type, envelope.payload, digest, f"key {signer.name}", None, signer.name
    )


def _statement_result(
    payload_type: str,
    payload: bytes,
    digest: str,
    signer: str,
    signed_time: datetime | None = None,
    authority: str | None = None,
) -> BundleResult:
    if payload_type != INTOTO_PAYLOAD_TYPE:
        return BundleResult.fail(f"DSSE payload type {payload_type!r} is not in-toto")
    try:
        statement = parse_statement(payload)
    except EnvelopeError as exc:
        return BundleResult.fail(f"malformed attestation: {exc}")
    if not statement.names_digest(digest):
        return BundleResult.fail("attestation subject does not match the artifact digest")
    return BundleResult(
        True,
        f"signed by {signer}",
        signer,
        statement=statement,
        signed_time=signed_time,
        authority=authority,
    )


def _verify_keyless_bundle(
    raw: bytes, digest: str, identities: Sequence[KeylessIdentity], trusted_root: str
) -> BundleResult:
    from sigstore.errors import Error as SigstoreError
    from sigstore.hashes import Hashed
    from sigstore.models import Bundle, InvalidBundle
    from sigstore_models.common.v1 import HashAlgorithm

    verifier = trusted_root_verifier(trusted_root)
    try:
        bundle = Bundle.from_json(raw)
    except InvalidBundle as exc:
        return BundleResult.fail(f"invalid bundle: {_short(exc)}")
    except Exception as exc:  # malformed input must never escape as a crash or an allow
        return BundleResult.fail(f"invalid bundle: {_short(exc)}")
    policy = _IdentityPolicy(identities)
    signed_time = _integrated_time(bundle)
    try:
        if bundle._dsse_envelope is not None:
            payload_type, payload = verifier.verify_dsse(bundle, policy)
            who = _keyless_signer(bundle, policy)
            matched = policy.matched.name if policy.matched else None
            return _statement_result(payload_type, payload, digest, who, signed_time, matched)
        hashed = Hashed(
            algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(digest.removeprefix("sha256:"))
        )
        verifier.verify_artifact(hashed, bundle, policy)
    except SigstoreError as exc:
        return BundleResult.fail(f"Sigstore verification failed: {_short(exc)}")
    except Exception as exc:
        return BundleResult.fail(f"Sigstore verification failed: {_short(exc)}")
    who = _keyless_signer(bundle, policy)
    matched = policy.matched.name if policy.matched else None
    return BundleResult(True, f"signed by {who}", who, signed_time=signed_time, authority=matched)


def _keyless_signer(bundle: Any, policy: _IdentityPolicy) -> str:
    sans, issuer = certificate_identity(bundle.signing_certificate)
    label = policy.matched.name if policy.matched else "?"
    return f"{label}: {', '.join(sans)} ({issuer})"


def _integrated_time(bundle: Any) -> datetime | None:
    try:
        value = bundle.log_entry._inner.integrated_time
    except Exception:
        return None
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def verify_bundle_file(
    artifact: Path | str,
    bundle_path: Path,
    *,
    keys: Sequence[PublicKey] = (),
    identities: Sequence[KeylessIdentity] = (),
    trusted_root: str = PRODUCTION_ROOT,
) -> BundleResult:
    """Verify ``bundle_path`` for a file, or for a digest given as ``sha256:<hex>``."""
    from seccli.core.hashing import sha256_file

    if isinstance(artifact, str) and artifact.startswith("sha256:"):
        digest = artifact.lower()
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
            raise InputError(f"{artifact}: a digest must be sha256: and 64 hex digits")
    else:
        path = Path(artifact)
        if not path.is_file():
            raise InputError(f"{path}: artifact not found")
        digest = "sha256:" + sha256_file(path)
    from seccli.core.documents import LoadLimits, load_documents, read_file_bytes

    # A user's file: malformed JSON is an input error with its line, before any verification.
    load_documents(bundle_path, LoadLimits(max_bytes=MAX_BUNDLE_BYTES), fmt="json")
    raw = read_file_bytes(bundle_path, MAX_BUNDLE_BYTES)
    return verify_bundle(raw, digest, keys=keys, identities=identities, trusted_root=trusted_root)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:240]

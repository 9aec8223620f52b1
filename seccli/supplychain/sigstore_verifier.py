"""seccli's Sigstore verifier: sigstore-python's, with two gaps closed.

1. A DSSE bundle logged by Rekor v1 as an ``intoto`` v0.0.2 entry (what cosign writes for
   attestations) is verified: its integrated time, bound by the inclusion promise, is a source
   of verified time like that of ``dsse``/``hashedrekord`` v0.0.1 entries, and the entry body is
   checked against the bundle (payload hash, payload type, signatures, signing certificate).
   sigstore-python 4.5 refuses both ("Integrated time only supported for dsse/hashedrekord
   0.0.1 types", "Unsupported DSSE log entry type: intoto/0.0.2").
2. A timestamp authority's validity period includes its end: a signed timestamp generated
   exactly at ``validFor.end`` is within it (sigstore-python compares with ``<``).

Everything else is sigstore-python's own verification, unchanged. sigstore is imported only
when a verifier is built (never at ``seccli --help``).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from sigstore.errors import VerificationError
from sigstore.verify import Verifier
from sigstore.verify.verifier import MAX_ALLOWED_TIMESTAMP

from seccli.core.documents import parse_json_bytes
from seccli.core.errors import InputError

INTOTO = ("intoto", "0.0.2")
# Rekor v1 entry kinds whose integrated time the inclusion promise binds.
_TIMED_KINDS = frozenset({("dsse", "0.0.1"), ("hashedrekord", "0.0.1"), INTOTO})


def _kind(bundle: Any) -> tuple[str, str]:
    kind_version = bundle.log_entry._inner.kind_version
    return str(kind_version.kind), str(kind_version.version)


class SeccliVerifier(Verifier):
    """A ``sigstore.verify.Verifier`` that also accepts intoto v0.0.2 entries and treats the
    end of a timestamp authority's validity as inclusive."""

    # --- time -------------------------------------------------------------------------------

    def _establish_time(self, bundle: Any) -> list[Any]:
        from sigstore._internal.timestamp import TimestampSource, TimestampVerificationResult

        verified: list[Any] = []
        if bundle.verification_material.timestamp_verification_data:
            if not self._trusted_root.get_timestamp_authorities():
                raise VerificationError(
                    "no Timestamp Authorities have been provided to validate this bundle but "
                    "it contains a signed timestamp"
                )
            verified.extend(self._verify_timestamp_authority(bundle))
        entry = bundle.log_entry._inner
        if entry.integrated_time and entry.inclusion_promise:
            if _kind(bundle) not in _TIMED_KINDS:
                raise VerificationError(
                    "Integrated time only supported for dsse/hashedrekord 0.0.1 and intoto "
                    "0.0.2 types"
                )
            verified.append(
                TimestampVerificationResult(
                    source=TimestampSource.TRANSPARENCY_SERVICE,
                    time=datetime.fromtimestamp(entry.integrated_time, tz=UTC),
                )
            )
        return verified

    def _verify_signed_timestamp(self, timestamp_response: Any, message: bytes) -> Any:
        """A signed timestamp verified by one of the trusted TSAs, with ``gen_time`` inside the
        TSA's validity period, both ends included."""
        from rfc3161_client import VerificationError as Rfc3161VerificationError
        from rfc3161_client import VerifierBuilder
        from sigstore._internal.timestamp import TimestampSource, TimestampVerificationResult

        generated = timestamp_response.tst_info.gen_time
        for authority in self._trusted_root.get_timestamp_authorities():
            certificates = authority.certificates(allow_expired=True)
            if len(certificates) < 2:
                continue  # a signing certificate and a root at least
            builder = (
                VerifierBuilder()
                .tsa_certificate(certificates[0])
                .add_root_certificate(certificates[-1])
            )
            for certificate in certificates[1:-1]:
                builder = builder.add_intermediate_certificate(certificate)
            try:
                builder.build().verify_message(timestamp_response, message)
            except Rfc3161VerificationError:
                continue
            end = authority.validity_period_end
            if authority.validity_period_start <= generated and (end is None or generated <= end):
                return TimestampVerificationResult(
                    source=TimestampSource.TIMESTAMP_AUTHORITY, time=generated
                )
        return None

    def _verify_timestamp_authority(self, bundle: Any) -> list[Any]:
        data = bundle.verification_material.timestamp_verification_data
        responses = list(data.rfc3161_timestamps) if data else []
        if len(responses) > MAX_ALLOWED_TIMESTAMP:
            raise VerificationError(
                f"too many signed timestamp: {len(responses)} > {MAX_ALLOWED_TIMESTAMP}"
            )
        if len(set(responses)) != len(responses):
            raise VerificationError("duplicate timestamp found")
        results = [self._verify_signed_timestamp(r, bundle.signature) for r in responses]
        return [r for r in results if r is not None]

    # --- DSSE in intoto entries -------------------------------------------------------------

    def verify_dsse(self, bundle: Any, policy: Any) -> tuple[str, bytes]:
        """As sigstore-python's, plus bundles whose log entry is ``intoto`` v0.0.2."""
        if _kind(bundle) != INTOTO:
            result: tuple[str, bytes] = super().verify_dsse(bundle, policy)
            return result
        from sigstore import dsse

        self._verify_common_signing_cert(bundle, policy)
        envelope = bundle._dsse_envelope
        if envelope is None:
            raise VerificationError("an intoto log entry needs a bundle with a DSSE envelope")
        dsse._verify(bundle.signing_certificate.public_key(), envelope)
        check_intoto_entry(
            bundle.log_entry._inner.canonicalized_body,
            envelope._inner.payload_type,
            envelope._inner.payload,
            [signature.sig for signature in envelope._inner.signatures],
            bundle.signing_certificate,
        )
        return envelope._inner.payload_type, envelope._inner.payload


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise VerificationError(f"intoto log entry: {what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise VerificationError(f"intoto log entry: {what} is not base64") from None


def check_intoto_entry(
    body: bytes,
    payload_type: str,
    payload: bytes,
    signatures: list[bytes],
    certificate: x509.Certificate,
) -> None:
    """The intoto v0.0.2 entry body must describe this envelope: the SHA-256 of its payload,
    its payload type, exactly its signatures, each with the signing certificate.

    Rekor stores each signature as base64 of the envelope's base64 text (a Go ``[]byte`` of the
    string) and the verifier as base64 of its PEM. The envelope hash in the entry covers the
    envelope JSON as submitted, which the bundle does not keep; like sigstore-python for dsse
    entries, it is not checked (the payload hash and the signatures are).
    """
    try:
        raw = body if isinstance(body, bytes) else str(body).encode("utf-8")
        entry = parse_json_bytes(raw, "intoto log entry")
    except InputError:
        raise VerificationError("intoto log entry: body is not JSON") from None
    if not isinstance(entry, dict) or (entry.get("kind"), entry.get("apiVersion")) != INTOTO:
        raise VerificationError("intoto log entry: body is not an intoto v0.0.2 entry")
    content = (entry.get("spec") or {}).get("content")
    if not isinstance(content, dict):
        raise VerificationError("intoto log entry: spec.content is missing")
    payload_hash = content.get("payloadHash")
    if not isinstance(payload_hash, dict) or payload_hash.get("algorithm") != "sha256":
        raise VerificationError("intoto log entry: expected a SHA-256 payload hash")
    if payload_hash.get("value") != hashlib.sha256(payload).hexdigest():
        raise VerificationError("intoto log entry: payload hash does not match the bundle")
    logged = content.get("envelope")
    if not isinstance(logged, dict) or logged.get("payloadType") != payload_type:
        raise VerificationError("intoto log entry: payload type does not match the bundle")
    listed = logged.get("signatures")
    if not isinstance(listed, list) or len(listed) != len(signatures):
        raise VerificationError("intoto log entry: signatures do not match the bundle")
    from cryptography.hazmat.primitives.serialization import Encoding

    expected_der = certificate.public_bytes(Encoding.DER)
    for logged_signature, signature in zip(listed, signatures, strict=True):
        if not isinstance(logged_signature, dict):
            raise VerificationError("intoto log entry: a signature is not an object")
        recorded = _b64(logged_signature.get("sig"), "signature")
        if recorded != base64.b64encode(signature):
            raise VerificationError("intoto log entry: signatures do not match the bundle")
        pem = _b64(logged_signature.get("publicKey"), "public key")
        try:
            logged_cert = x509.load_pem_x509_certificate(pem)
        except ValueError:
            raise VerificationError("intoto log entry: verifier is not a certificate") from None
        if logged_cert.public_bytes(Encoding.DER) != expected_der:
            raise VerificationError("intoto log entry: signed by another certificate")

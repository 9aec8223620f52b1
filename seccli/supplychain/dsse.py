"""DSSE envelopes and in-toto statements.

DSSE signs ``PAE(payloadType, payload)`` = ``"DSSEv1" SP len(type) SP type SP len(body) SP body``
(lengths in ASCII decimal). An in-toto v1 statement names its subjects by digest and carries a
predicate of some ``predicateType``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from seccli.supplychain.keys import PrivateKey, PublicKey

INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
STATEMENT_V01 = "https://in-toto.io/Statement/v0.1"
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"

PREDICATE_ALIASES = {
    "slsaprovenance": "https://slsa.dev/provenance/v0.2",
    "slsaprovenance02": "https://slsa.dev/provenance/v0.2",
    "slsaprovenance1": "https://slsa.dev/provenance/v1",
    "cyclonedx": "https://cyclonedx.org/bom",
    "spdx": "https://spdx.dev/Document",
    "spdxjson": "https://spdx.dev/Document",
    "vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
    "custom": "https://cosign.sigstore.dev/attestation/v1",
}


class EnvelopeError(ValueError):
    """A DSSE envelope or in-toto statement is malformed."""


def predicate_type(name: str) -> str:
    """Expand a cosign-style alias (``slsaprovenance1``, ``cyclonedx``...) to its URI."""
    return PREDICATE_ALIASES.get(name.lower(), name)


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed DSSE envelope."""

    payload_type: str
    payload: bytes
    signatures: tuple[tuple[str, bytes], ...]  # (keyid, signature)

    def to_json(self) -> dict[str, Any]:
        """The envelope in its JSON form (base64 fields)."""
        return {
            "payloadType": self.payload_type,
            "payload": base64.b64encode(self.payload).decode(),
            "signatures": [
                {"keyid": keyid, "sig": base64.b64encode(sig).decode()}
                for keyid, sig in self.signatures
            ],
        }

    def verified_by(self, key: PublicKey) -> bool:
        """True when any signature verifies with ``key`` over the PAE."""
        message = pae(self.payload_type, self.payload)
        return any(key.verify(sig, message) for _, sig in self.signatures)


def b64decode(value: Any, what: str) -> bytes:
    """Strict base64 (standard or URL-safe alphabet) or ``EnvelopeError``."""
    if not isinstance(value, str):
        raise EnvelopeError(f"{what} is not a base64 string")
    text = value.strip()
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError(f"{what} is not valid base64") from None


def parse_envelope(data: Any) -> Envelope:
    """Parse a DSSE envelope from JSON data."""
    if not isinstance(data, dict):
        raise EnvelopeError("DSSE envelope is not an object")
    payload_type = data.get("payloadType")
    if not isinstance(payload_type, str) or not payload_type:
        raise EnvelopeError("DSSE envelope has no payloadType")
    payload = b64decode(data.get("payload"), "DSSE payload")
    raw_sigs = data.get("signatures")
    if not isinstance(raw_sigs, list) or not raw_sigs:
        raise EnvelopeError("DSSE envelope has no signatures")
    signatures: list[tuple[str, bytes]] = []
    for item in raw_sigs:
        if not isinstance(item, dict):
            raise EnvelopeError("DSSE signature is not an object")
        keyid = item.get("keyid") or ""
        signatures.append((str(keyid), b64decode(item.get("sig"), "DSSE signature")))
    return Envelope(payload_type, payload, tuple(signatures))


def sign_envelope(payload_type: str, payload: bytes, key: PrivateKey) -> Envelope:
    """Sign ``payload`` into a one-signature envelope (keyid left empty, as cosign does)."""
    return Envelope(payload_type, payload, (("", key.sign(pae(payload_type, payload))),))


@dataclass(frozen=True, slots=True)
class Statement:
    """An in-toto statement: subjects (name, digests) and a typed predicate."""

    predicate_type: str
    subjects: tuple[tuple[str, dict[str, str]], ...]
    predicate: Any

    def names_digest(self, digest: str) -> bool:
        """True when a subject's digest equals ``digest`` (``sha256:<hex>``)."""
        algorithm, _, value = digest.partition(":")
        return any(
            digests.get(algorithm, "").lower() == value.lower() for _, digests in self.subjects
        )


def parse_statement(payload: bytes) -> Statement:
    """Parse an in-toto statement (v0.1 or v1)."""
    from seccli.core.documents import parse_json_bytes
    from seccli.core.errors import InputError

    try:
        data = parse_json_bytes(payload, "in-toto statement")
    except InputError as exc:
        raise EnvelopeError(f"in-toto statement is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise EnvelopeError("in-toto statement is not an object")
    if data.get("_type") not in {STATEMENT_V1, STATEMENT_V01}:
        raise EnvelopeError(f"not an in-toto statement (_type {data.get('_type')!r})")
    kind = data.get("predicateType")
    if not isinstance(kind, str) or not kind:
        raise EnvelopeError("in-toto statement has no predicateType")
    raw_subjects = data.get("subject")
    if not isinstance(raw_subjects, list) or not raw_subjects:
        raise EnvelopeError("in-toto statement has no subject")
    subjects: list[tuple[str, dict[str, str]]] = []
    for item in raw_subjects:
        if not isinstance(item, dict) or not isinstance(item.get("digest"), dict):
            raise EnvelopeError("in-toto subject without a digest")
        digests = {str(k): str(v) for k, v in item["digest"].items()}
        subjects.append((str(item.get("name", "")), digests))
    return Statement(kind, tuple(subjects), data.get("predicate"))


def make_statement(subject_name: str, digest: str, kind: str, predicate: Any) -> bytes:
    """An in-toto v1 statement about one subject, as compact JSON bytes."""
    algorithm, _, value = digest.partition(":")
    statement = {
        "_type": STATEMENT_V1,
        "subject": [{"name": subject_name, "digest": {algorithm: value}}],
        "predicateType": kind,
        "predicate": predicate,
    }
    return json.dumps(statement, separators=(",", ":"), sort_keys=True).encode()

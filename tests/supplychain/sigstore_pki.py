"""A private Sigstore instance for tests: Fulcio CA, CT log, Rekor log, and keyless DSSE bundles.

Everything a verifier checks is real: the leaf certificate chains to the CA and carries an
embedded SCT signed by the CT key over its precertificate (RFC 6962), the log entry has a
signed entry timestamp and an inclusion proof with a signed checkpoint, and the DSSE envelope
is signed by the leaf key. Only the Rekor entry's kind varies: ``intoto`` v0.0.2 (cosign's
attestations) or ``dsse`` v0.0.1 (the control sigstore-python accepts).
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

SCT_OID = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
ISSUER_V1_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
INTOTO_TYPE = "application/vnd.in-toto+json"
IDENTITY = "signer@example.test"
ISSUER = "https://issuer.example.test"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def spki(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: ec.EllipticCurvePrivateKey) -> bytes:
    return hashlib.sha256(spki(key)).digest()


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _der_octets(data: bytes) -> bytes:
    size = len(data)
    if size < 0x80:
        return b"\x04" + bytes([size]) + data
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return b"\x04" + bytes([0x80 | len(length)]) + length + data


@dataclass
class PrivateSigstore:
    """Keys of a private Fulcio, CT log and Rekor, valid from ``start``."""

    start: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(days=1))
    ca_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    ct_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    rekor_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    def __post_init__(self) -> None:
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "seccli-test"),
                x509.NameAttribute(NameOID.COMMON_NAME, "test fulcio"),
            ]
        )
        public = self.ca_key.public_key()
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.start - timedelta(days=1))
            .not_valid_after(self.start + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(self.ca_key, hashes.SHA384())
        )

    # --- the trusted root -------------------------------------------------------------------

    def trusted_root(self) -> dict[str, Any]:
        since = {"start": self.start.strftime("%Y-%m-%dT%H:%M:%SZ")}

        def log(key: ec.EllipticCurvePrivateKey, url: str) -> dict[str, Any]:
            return {
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": b64(spki(key)),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": since,
                },
                "logId": {"keyId": b64(key_id(key))},
            }

        der = self.ca_cert.public_bytes(serialization.Encoding.DER)
        return {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(self.rekor_key, "https://rekor.example.test")],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "seccli-test", "commonName": "test fulcio"},
                    "uri": "https://fulcio.example.test",
                    "certChain": {"certificates": [{"rawBytes": b64(der)}]},
                    "validFor": since,
                }
            ],
            "ctlogs": [log(self.ct_key, "https://ct.example.test")],
            "timestampAuthorities": [],
        }

    # --- a Fulcio certificate with an embedded SCT ------------------------------------------

    def leaf(self, key: ec.EllipticCurvePrivateKey, at: datetime) -> x509.Certificate:
        serial = x509.random_serial_number()

        def build(sct_list: bytes) -> x509.Certificate:
            public = key.public_key()
            builder = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([]))
                .issuer_name(self.ca_cert.subject)
                .public_key(public)
                .serial_number(serial)
                .not_valid_before(at - timedelta(minutes=1))
                .not_valid_after(at + timedelta(minutes=10))
                .add_extension(
                    x509.KeyUsage(
                        digital_signature=True,
                        content_commitment=False,
                        key_encipherment=False,
                        data_encipherment=False,
                        key_agreement=False,
                        key_cert_sign=False,
                        crl_sign=False,
                        encipher_only=False,
                        decipher_only=False,
                    ),
                    critical=True,
                )
                .add_extension(
                    x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
                )
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()),
                    critical=False,
                )
                .add_extension(
                    x509.SubjectAlternativeName([x509.RFC822Name(IDENTITY)]), critical=True
                )
                .add_extension(
                    x509.UnrecognizedExtension(ISSUER_V1_OID, ISSUER.encode()), critical=False
                )
                .add_extension(
                    x509.UnrecognizedExtension(SCT_OID, _der_octets(sct_list)), critical=False
                )
            )
            return builder.sign(self.ca_key, hashes.SHA256())

        draft = build(b"\x00\x00")
        when = int(at.timestamp() * 1000)
        tbs = draft.tbs_precertificate_bytes
        issuer_hash = hashlib.sha256(spki(self.ca_key)).digest()
        signed_entry = issuer_hash + len(tbs).to_bytes(3, "big") + tbs
        data = struct.pack("!BBQH", 0, 0, when, 1) + signed_entry + b"\x00\x00"
        signature = sign(self.ct_key, data)
        sct = (
            b"\x00"
            + key_id(self.ct_key)
            + struct.pack("!Q", when)
            + b"\x00\x00"
            + b"\x04\x03"
            + struct.pack("!H", len(signature))
            + signature
        )
        listing = struct.pack("!H", len(sct)) + sct
        return build(struct.pack("!H", len(listing)) + listing)

    # --- a keyless DSSE bundle --------------------------------------------------------------

    def dsse_bundle(
        self,
        statement: dict[str, Any],
        *,
        kind: str = "intoto",
        at: datetime | None = None,
        tamper: str | None = None,
    ) -> bytes:
        """A v0.3 bundle; ``tamper`` breaks one consistency (``payload-hash``,
        ``signature``, ``certificate``, ``payload-type``) in the logged entry only."""
        moment = (at or datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self.leaf(key, moment)
        payload = json.dumps(statement).encode()
        signature = sign(key, pae(INTOTO_TYPE, payload))
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        if tamper == "certificate":
            other = self.leaf(ec.generate_private_key(ec.SECP256R1()), moment)
            cert_pem = other.public_bytes(serialization.Encoding.PEM)
        logged_sig = signature if tamper != "signature" else sign(key, b"something else")
        payload_hash = hashlib.sha256(payload if tamper != "payload-hash" else b"x").hexdigest()
        logged_type = INTOTO_TYPE if tamper != "payload-type" else "text/plain"
        if kind == "intoto":
            body: dict[str, Any] = {
                "apiVersion": "0.0.2",
                "kind": "intoto",
                "spec": {
                    "content": {
                        "envelope": {
                            "payloadType": logged_type,
                            "signatures": [
                                {"publicKey": b64(cert_pem), "sig": b64(b64(logged_sig).encode())}
                            ],
                        },
                        "hash": {"algorithm": "sha256", "value": hashlib.sha256(b"e").hexdigest()},
                        "payloadHash": {"algorithm": "sha256", "value": payload_hash},
                    }
                },
            }
            version = "0.0.2"
        else:
            envelope_hash = hashlib.sha256(b"e").hexdigest()
            body = {
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": {
                    "envelopeHash": {"algorithm": "sha256", "value": envelope_hash},
                    "payloadHash": {"algorithm": "sha256", "value": payload_hash},
                    "signatures": [{"signature": b64(logged_sig), "verifier": b64(cert_pem)}],
                },
            }
            version = "0.0.1"
        raw_body = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        log_id = key_id(self.rekor_key)
        integrated = int(moment.timestamp())
        promise = rfc8785.dumps(
            {
                "body": b64(raw_body),
                "integratedTime": integrated,
                "logID": log_id.hex(),
                "logIndex": 0,
            }
        )
        root = hashlib.sha256(b"\x00" + raw_body).digest()
        note = f"rekor.example.test - 1\n1\n{b64(root)}\n"
        note_sig = sign(self.rekor_key, note.encode())
        checkpoint = note + "\n" + f"\u2014 rekor.example.test {b64(log_id[:4] + note_sig)}\n"
        entry = {
            "logIndex": "0",
            "logId": {"keyId": b64(log_id)},
            "kindVersion": {"kind": kind, "version": version},
            "integratedTime": str(integrated),
            "inclusionPromise": {"signedEntryTimestamp": b64(sign(self.rekor_key, promise))},
            "inclusionProof": {
                "logIndex": "0",
                "rootHash": b64(root),
                "treeSize": "1",
                "hashes": [],
                "checkpoint": {"envelope": checkpoint},
            },
            "canonicalizedBody": b64(raw_body),
        }
        bundle = {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": b64(cert.public_bytes(serialization.Encoding.DER))},
                "tlogEntries": [entry],
            },
            "dsseEnvelope": {
                "payload": b64(payload),
                "payloadType": INTOTO_TYPE,
                "signatures": [{"sig": b64(signature), "keyid": ""}],
            },
        }
        return json.dumps(bundle).encode()

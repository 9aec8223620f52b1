"""A private Sigstore instance for tests: Fulcio CA, CT log, Rekor log, a timestamp authority,
and keyless DSSE bundles.

Everything a verifier checks is real: the leaf certificate chains to the CA and carries an
embedded SCT signed by the CT key over its precertificate (RFC 6962), the log entry has a
signed entry timestamp and an inclusion proof with a signed checkpoint, and the DSSE envelope
is signed by the leaf key; an RFC 3161 timestamp is a CMS SignedData with signed attributes by a
TSA certificate with the critical timeStamping EKU. The Rekor entry's kind varies: ``intoto``
v0.0.2 (cosign's attestations) or ``dsse`` v0.0.1 (the control sigstore-python accepts).
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


def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _seq(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def _set(*items: bytes) -> bytes:
    return _tlv(0x31, b"".join(sorted(items)))


def _int(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)
    return _tlv(0x02, raw)


def _oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytes([parts[0] * 40 + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body += bytes(reversed(chunk))
    return _tlv(0x06, body)


_SHA256 = _seq(_oid("2.16.840.1.101.3.4.2.1"))


def timestamp_response(
    message: bytes, at: datetime, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate
) -> bytes:
    """An RFC 3161 TimeStampResp (granted) over SHA-256(``message``) at ``at``, signed by the
    TSA ``key`` whose certificate is embedded, with CMS signed attributes (RFC 5652)."""
    imprint = _seq(_SHA256, _tlv(0x04, hashlib.sha256(message).digest()))
    gen_time = _tlv(0x18, at.strftime("%Y%m%d%H%M%SZ").encode())
    tst_info = _seq(_int(1), _oid("1.3.6.1.4.1.57264.2"), imprint, _int(4242), gen_time)
    tst_type = _oid("1.2.840.113549.1.9.16.1.4")
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    ess = _seq(_seq(_seq(_tlv(0x04, hashlib.sha256(cert_der).digest()))))
    attributes = [
        _seq(_oid("1.2.840.113549.1.9.3"), _set(tst_type)),
        _seq(_oid("1.2.840.113549.1.9.4"), _set(_tlv(0x04, hashlib.sha256(tst_info).digest()))),
        _seq(_oid("1.2.840.113549.1.9.16.2.47"), _set(ess)),
    ]
    signed_attributes = _set(*attributes)
    signature = sign(key, signed_attributes)
    issuer = cert.issuer.public_bytes()
    signer_info = _seq(
        _int(1),
        _seq(issuer, _int(cert.serial_number)),
        _SHA256,
        b"\xa0" + signed_attributes[1:],  # [0] IMPLICIT: same content, context tag
        _seq(_oid("1.2.840.10045.4.3.2")),
        _tlv(0x04, signature),
    )
    signed_data = _seq(
        _int(3),
        _set(_SHA256),
        _seq(tst_type, _tlv(0xA0, _tlv(0x04, tst_info))),
        _tlv(0xA0, cert_der),
        _set(signer_info),
    )
    token = _seq(_oid("1.2.840.113549.1.7.2"), _tlv(0xA0, signed_data))
    return _seq(_seq(_int(0)), token)


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
    tsa_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    tsa_root_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    def _tsa_certificates(self) -> None:
        root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test tsa root")])
        self.tsa_root = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(self.tsa_root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.start - timedelta(days=1))
            .not_valid_after(self.start + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.tsa_root_key, hashes.SHA256())
        )
        self.tsa_cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test tsa")]))
            .issuer_name(root_name)
            .public_key(self.tsa_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.start - timedelta(days=1))
            .not_valid_after(self.start + timedelta(days=3650))
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
            .sign(self.tsa_root_key, hashes.SHA256())
        )

    def __post_init__(self) -> None:
        self._tsa_certificates()
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

    def trusted_root(self, tsa_valid: tuple[datetime, datetime | None] | None = None) -> Any:
        """The trusted root; with ``tsa_valid`` (start, end) the TSA is trusted in that period."""
        since = {"start": self.start.strftime("%Y-%m-%dT%H:%M:%SZ")}
        authorities = []
        if tsa_valid is not None:
            period = {"start": tsa_valid[0].strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
            if tsa_valid[1] is not None:
                period["end"] = tsa_valid[1].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            chain = [self.tsa_cert, self.tsa_root]
            authorities.append(
                {
                    "subject": {"organization": "seccli-test", "commonName": "test tsa"},
                    "certChain": {
                        "certificates": [
                            {"rawBytes": b64(c.public_bytes(serialization.Encoding.DER))}
                            for c in chain
                        ]
                    },
                    "validFor": period,
                }
            )

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
            "timestampAuthorities": authorities,
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
        timestamp_at: datetime | None = None,
        promise: bool = True,
    ) -> bytes:
        """A v0.3 bundle; ``tamper`` breaks one consistency (``payload-hash``,
        ``signature``, ``certificate``, ``payload-type``) in the logged entry only;
        ``timestamp_at`` adds an RFC 3161 timestamp of that time; ``promise=False`` leaves out
        the integrated time and its inclusion promise (the TSA is then the only time)."""
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
        set_payload = rfc8785.dumps(
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
            "inclusionPromise": {"signedEntryTimestamp": b64(sign(self.rekor_key, set_payload))},
            "inclusionProof": {
                "logIndex": "0",
                "rootHash": b64(root),
                "treeSize": "1",
                "hashes": [],
                "checkpoint": {"envelope": checkpoint},
            },
            "canonicalizedBody": b64(raw_body),
        }
        if not promise:
            del entry["inclusionPromise"], entry["integratedTime"]
        material: dict[str, Any] = {}
        if timestamp_at is not None:
            response = timestamp_response(signature, timestamp_at, self.tsa_key, self.tsa_cert)
            material["timestampVerificationData"] = {
                "rfc3161Timestamps": [{"signedTimestamp": b64(response)}]
            }
        bundle = {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": b64(cert.public_bytes(serialization.Encoding.DER))},
                "tlogEntries": [entry],
                **material,
            },
            "dsseEnvelope": {
                "payload": b64(payload),
                "payloadType": INTOTO_TYPE,
                "signatures": [{"sig": b64(signature), "keyid": ""}],
            },
        }
        return json.dumps(bundle).encode()

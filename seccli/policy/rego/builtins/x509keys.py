"""X.509 builtins: ``crypto.x509.parse_certificates``, ``crypto.x509.parse_rsa_private_key``,
``crypto.x509.parse_keypair``, ``crypto.x509.parse_certificate_request`` and
``crypto.parse_private_keys``, with the certificate decoding they share (PEM, base64 PEM,
base64 DER and DER chains, as OPA reads them) and the objects of certificates and names.

Objects mirror the JSON of the Go values OPA returns (``rsa.PrivateKey``: ``N``, ``E``, ``D``,
``Primes``, ``Precomputed``; ``tls.Certificate``: ``Certificate``, ``PrivateKey``, ``Leaf``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from seccli.policy.rego.builtins.base import builtin, fail, string, table

_BEGIN = b"-----BEGIN"


def _b64(text: str) -> bytes:
    """Go's ``base64.StdEncoding`` (line breaks ignored, anything else outside it an error)."""
    try:
        return base64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        raise fail("illegal base64 data") from None


def _pem_or_b64(text: str) -> bytes:
    """The bytes of PEM text, or of base64 text (which may itself hold PEM or DER)."""
    return text.encode() if text.startswith("-----BEGIN") else _b64(text)


def split_der(data: bytes) -> list[bytes]:
    """Concatenated DER structures (each an ASN.1 SEQUENCE) split apart."""
    out: list[bytes] = []
    i = 0
    while i < len(data):
        if data[i] != 0x30 or i + 2 > len(data):
            raise fail("x509: malformed certificate")
        first = data[i + 1]
        if first < 0x80:
            length, head = first, 2
        else:
            n = first & 0x7F
            if n == 0 or n > 4 or i + 2 + n > len(data):
                raise fail("x509: malformed certificate")
            length = int.from_bytes(data[i + 2 : i + 2 + n], "big")
            head = 2 + n
        end = i + head + length
        if end > len(data):
            raise fail("x509: malformed certificate")
        out.append(data[i:end])
        i = end
    return out


def load_certificates(text: str) -> list[Any]:
    """Certificates from PEM, base64 PEM, base64 DER (one or a concatenated chain)."""
    from cryptography import x509

    data = _pem_or_b64(text)
    try:
        if data.startswith(_BEGIN):
            return list(x509.load_pem_x509_certificates(data))
        return [x509.load_der_x509_certificate(der) for der in split_der(data)]
    except ValueError as err:
        raise fail(f"x509: {err}") from None


def _b64url_int(n: int) -> str:
    raw = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _load_private_key(data: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    try:
        if data.startswith(_BEGIN):
            return serialization.load_pem_private_key(data, password=None)
        return serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError) as err:
        raise fail(f"failed to parse private key: {err}") from None


def _private_key_obj(key: Any) -> dict[str, Any]:
    """The JSON of Go's private key value."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, rsa.RSAPrivateKey):
        nums = key.private_numbers()
        pub = nums.public_numbers
        return {
            "N": pub.n,
            "E": pub.e,
            "D": nums.d,
            "Primes": [nums.p, nums.q],
            "Precomputed": {"Dp": nums.dmp1, "Dq": nums.dmq1, "Qinv": nums.iqmp},
        }
    if isinstance(key, ec.EllipticCurvePrivateKey):
        ec_nums = key.private_numbers()
        return {
            "Curve": {"Name": key.curve.name},
            "X": ec_nums.public_numbers.x,
            "Y": ec_nums.public_numbers.y,
            "D": ec_nums.private_value,
        }
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        ) + key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {"Key": base64.b64encode(raw).decode()}
    raise fail(f"unsupported private key type {type(key).__name__}")


def _parse_rsa_private_key(pem: Any) -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    data = _pem_or_b64(string(pem, 1))
    if not data.startswith(_BEGIN):
        raise fail("failed to parse a PEM private key")
    key = _load_private_key(data)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise fail("key is not an RSA private key")
    nums = key.private_numbers()
    return {
        "kty": "RSA",
        "n": _b64url_int(nums.public_numbers.n),
        "e": _b64url_int(nums.public_numbers.e),
        "d": _b64url_int(nums.d),
        "p": _b64url_int(nums.p),
        "q": _b64url_int(nums.q),
        "dp": _b64url_int(nums.dmp1),
        "dq": _b64url_int(nums.dmq1),
        "qi": _b64url_int(nums.iqmp),
    }


def _pem_blocks(data: bytes) -> list[bytes]:
    blocks: list[bytes] = []
    rest = data
    while True:
        start = rest.find(_BEGIN)
        if start < 0:
            return blocks
        end_marker = rest.find(b"-----END", start)
        if end_marker < 0:
            raise fail("malformed PEM block")
        stop = rest.find(b"-----", end_marker + 8)
        if stop < 0:
            raise fail("malformed PEM block")
        blocks.append(rest[start : stop + 5])
        rest = rest[stop + 5 :]


def _parse_private_keys(keys: Any) -> Any:
    text = string(keys, 1)
    if text == "":
        return None
    data = _pem_or_b64(text)
    return [_private_key_obj(_load_private_key(block)) for block in _pem_blocks(data)]


def _parse_keypair(cert: Any, pem: Any) -> Any:
    from cryptography.hazmat.primitives import serialization

    cert_data = _pem_or_b64(string(cert, 1))
    key_data = _pem_or_b64(string(pem, 2))
    certs = (
        load_certificates(cert_data.decode("latin-1"))
        if cert_data.startswith(_BEGIN)
        else load_certificates(base64.b64encode(cert_data).decode())
    )
    if not certs:
        raise fail("tls: failed to find any PEM data in certificate input")
    key = _load_private_key(key_data)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, spki) != certs[0].public_key().public_bytes(der, spki):
        raise fail("tls: private key does not match public key")
    return {
        "Certificate": [base64.b64encode(c.public_bytes(der)).decode() for c in certs],
        "PrivateKey": _private_key_obj(key),
        "Leaf": cert_obj(certs[0]),
        "OCSPStaple": None,
        "SignedCertificateTimestamps": None,
        "SupportedSignatureAlgorithms": None,
    }


def _parse_certificate_request(csr: Any) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    text = string(csr, 1)
    try:
        data = _b64(text)
    except Exception:
        data = text.encode()
    try:
        if data.startswith(_BEGIN):
            if b"CERTIFICATE REQUEST-----" not in data.split(b"\n", 1)[0]:
                raise fail("invalid PEM-encoded certificate signing request")
            req = x509.load_pem_x509_csr(data)
        else:
            req = x509.load_der_x509_csr(data)
    except ValueError as err:
        raise fail(f"x509: {err}") from None
    out: dict[str, Any] = {
        "Raw": base64.b64encode(req.public_bytes(serialization.Encoding.DER)).decode(),
        "Version": 0,
        "Subject": name_obj(req.subject),
        "SignatureAlgorithm": req.signature_algorithm_oid._name,
        "DNSNames": None,
        "EmailAddresses": None,
        "IPAddresses": None,
        "URIs": None,
    }
    out.update(_alternative_names(req.extensions, uri_key="URIs"))
    return out


def _alternative_names(extensions: Any, uri_key: str) -> dict[str, Any]:
    """The subject alternative names as Go's x509 fields (none: no fields, the defaults stay).

    Certificates name the URI field ``URIStrings`` in OPA's output, requests ``URIs``.
    """
    from cryptography import x509

    try:
        san = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return {}
    return {
        "DNSNames": san.get_values_for_type(x509.DNSName) or None,
        "EmailAddresses": san.get_values_for_type(x509.RFC822Name) or None,
        "IPAddresses": [str(i) for i in san.get_values_for_type(x509.IPAddress)] or None,
        uri_key: san.get_values_for_type(x509.UniformResourceIdentifier) or None,
    }


def name_obj(name: Any) -> dict[str, Any]:
    from cryptography.x509.oid import NameOID

    fields = {
        "CommonName": NameOID.COMMON_NAME,
        "Country": NameOID.COUNTRY_NAME,
        "Organization": NameOID.ORGANIZATION_NAME,
        "OrganizationalUnit": NameOID.ORGANIZATIONAL_UNIT_NAME,
        "Locality": NameOID.LOCALITY_NAME,
        "Province": NameOID.STATE_OR_PROVINCE_NAME,
        "StreetAddress": NameOID.STREET_ADDRESS,
        "PostalCode": NameOID.POSTAL_CODE,
        "SerialNumber": NameOID.SERIAL_NUMBER,
    }
    out: dict[str, Any] = {}
    for key, oid in fields.items():
        vals = [str(a.value) for a in name.get_attributes_for_oid(oid)]
        if key in ("CommonName", "SerialNumber"):
            out[key] = vals[0] if vals else ""
        elif vals:
            out[key] = vals
    out["Names"] = [
        {"Type": [int(p) for p in a.oid.dotted_string.split(".")], "Value": str(a.value)}
        for a in name
    ]
    return out


def cert_obj(cert: Any) -> dict[str, Any]:
    """The JSON of Go's ``x509.Certificate`` (the fields policies read)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    out: dict[str, Any] = {
        "Version": cert.version.value + 1,
        "SerialNumber": cert.serial_number,
        "Subject": name_obj(cert.subject),
        "Issuer": name_obj(cert.issuer),
        "NotBefore": cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "NotAfter": cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "DNSNames": None,
        "EmailAddresses": None,
        "IPAddresses": None,
        "URIStrings": None,
        "IsCA": False,
        "BasicConstraintsValid": False,
        "SignatureAlgorithm": cert.signature_algorithm_oid._name,
        "Raw": base64.b64encode(cert.public_bytes(Encoding.DER)).decode(),
    }
    out.update(_alternative_names(cert.extensions, uri_key="URIStrings"))
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        out["IsCA"] = bool(bc.ca)
        out["BasicConstraintsValid"] = True
    except x509.ExtensionNotFound:
        pass
    return out


def _parse_certs(s: Any) -> Any:
    return [cert_obj(c) for c in load_certificates(string(s, 1))]


TABLE = table(
    builtin("crypto.x509.parse_certificates", _parse_certs, 1),
    builtin("crypto.x509.parse_rsa_private_key", _parse_rsa_private_key, 1),
    builtin("crypto.x509.parse_keypair", _parse_keypair, 2),
    builtin("crypto.x509.parse_certificate_request", _parse_certificate_request, 1),
    builtin("crypto.parse_private_keys", _parse_private_keys, 1),
)

"""Signing keys: generation, loading and signature checks, with ``cryptography``.

Generated keys are ECDSA P-256 (what cosign uses): the private key as PKCS#8 PEM, encrypted
when a password is given; the public key as SubjectPublicKeyInfo PEM, which cosign also reads.
Accepted public keys: ECDSA P-256/P-384/P-521 (SHA-256/384/512), Ed25519 and RSA ≥ 2048 bits
(PKCS#1 v1.5 or PSS with SHA-256). Anything else is refused, never treated as valid.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seccli.core.errors import InputError
from seccli.core.redaction import Secret

# A PEM key is a few kilobytes; anything far bigger is not a key file.
MAX_KEY_FILE_BYTES = 1024 * 1024

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes


class UnsupportedKey(InputError):
    """A key of a type or size we do not verify with."""


@dataclass(frozen=True)
class PublicKey:
    """A verification key from a trust policy (or a file given on the command line)."""

    name: str
    key: Any  # a cryptography public key object
    key_id: str

    def verify(self, signature: bytes, data: bytes) -> bool:
        """True when ``signature`` is a valid signature of ``data`` by this key."""
        return _verify(self.key, signature, data, prehashed=None)

    def verify_digest(self, signature: bytes, digest: bytes, algorithm: str) -> bool:
        """True when ``signature`` signs a message whose ``algorithm`` digest is ``digest``."""
        return _verify(self.key, signature, digest, prehashed=algorithm)


def _hash_for(key: Any) -> Any:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        size = key.curve.key_size
        return {256: hashes.SHA256(), 384: hashes.SHA384(), 521: hashes.SHA512()}[size]
    return hashes.SHA256()


def _verify(key: Any, signature: bytes, data: bytes, *, prehashed: str | None) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

    algorithm = _hash_for(key)
    if prehashed is not None:
        wanted = {"sha256": "SHA256", "sha384": "SHA384", "sha512": "SHA512"}.get(prehashed)
        if wanted is None or algorithm.name.upper().replace("-", "") != wanted:
            return False
        if isinstance(key, ed25519.Ed25519PublicKey):
            return False  # Ed25519 signs messages, not digests
        chosen: Any = utils.Prehashed(algorithm)
    else:
        chosen = algorithm
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(chosen))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        elif isinstance(key, rsa.RSAPublicKey):
            try:
                key.verify(signature, data, padding.PKCS1v15(), chosen)
            except InvalidSignature:
                key.verify(
                    signature,
                    data,
                    padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
                    chosen,
                )
        else:  # pragma: no cover - refused when loading
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def key_id(key: Any) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo, hex: a stable name for a public key."""
    from cryptography.hazmat.primitives import serialization

    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _check_supported(key: PublicKeyTypes | PrivateKeyTypes, source: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if key.curve.key_size not in {256, 384, 521}:
            raise UnsupportedKey(f"{source}: unsupported elliptic curve {key.curve.name}")
        return
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise UnsupportedKey(f"{source}: RSA key of {key.key_size} bits is too short")
        return
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return
    raise UnsupportedKey(f"{source}: unsupported key type {type(key).__name__}")


def load_public_key(pem: bytes, name: str, source: str) -> PublicKey:
    """Load a PEM public key (a certificate's key is refused: pin keys, not certificates)."""
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"{source}: not a PEM public key ({_first_line(exc)})",
            hint="expected '-----BEGIN PUBLIC KEY-----' (e.g. cosign.pub)",
        ) from None
    _check_supported(key, source)
    return PublicKey(name, key, key_id(key))


def load_public_key_file(path: Path, name: str | None = None) -> PublicKey:
    """Load a PEM public key from a file."""
    from seccli.core.documents import read_file_bytes

    pem = read_file_bytes(path, MAX_KEY_FILE_BYTES)
    return load_public_key(pem, name or path.name, str(path))


@dataclass(frozen=True)
class PrivateKey:
    """A signing key. Its repr never shows key material."""

    key: Any
    source: str

    def __repr__(self) -> str:
        return f"PrivateKey(source={self.source!r})"

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` (ECDSA with the curve's hash, Ed25519, or RSA PKCS#1 v1.5 SHA-256)."""
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

        key = self.key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(_hash_for(key)))
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), _hash_for(key))
        raise UnsupportedKey(f"{self.source}: unsupported signing key")  # pragma: no cover

    def public(self) -> PublicKey:
        """The matching public key."""
        public = self.key.public_key()
        return PublicKey(self.source, public, key_id(public))

    def public_pem(self) -> bytes:
        """The public key as SubjectPublicKeyInfo PEM."""
        from cryptography.hazmat.primitives import serialization

        data: bytes = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return data


def load_private_key(path: Path, password: Secret | None = None) -> PrivateKey:
    """Load a PEM private key (PKCS#8 or traditional), decrypting it with ``password``."""
    from cryptography.hazmat.primitives import serialization

    from seccli.core.documents import read_file_bytes

    pem = read_file_bytes(path, MAX_KEY_FILE_BYTES)
    secret = password.reveal().encode() if password is not None else None
    try:
        key = serialization.load_pem_private_key(pem, password=secret or None)
    except TypeError:
        raise InputError(
            f"{path}: the private key is encrypted and no password was given",
            hint="set SECCLI_KEY_PASSWORD or pass --password-stdin",
        ) from None
    except ValueError:
        raise InputError(
            f"{path}: cannot load the private key (wrong password or not a PEM private key)"
        ) from None
    _check_supported(key, str(path))
    return PrivateKey(key, str(path))


def generate_key_pair(password: Secret | None = None) -> tuple[bytes, bytes]:
    """A new ECDSA P-256 key pair: (private PKCS#8 PEM, encrypted if a password is given;
    public SubjectPublicKeyInfo PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    encryption: Any = (
        serialization.BestAvailableEncryption(password.reveal().encode())
        if password is not None and password.reveal()
        else serialization.NoEncryption()
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else type(exc).__name__

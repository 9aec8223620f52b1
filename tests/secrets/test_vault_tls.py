"""HTTPS: VAULT_CACERT-style verification against the emulator with a throwaway certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from seccli.core.errors import DependencyError
from seccli.core.redaction import Secret
from seccli.secrets.client import VaultSettings, connect
from tests.fakes.vault import FakeVault


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vault.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "vault.pem", tmp_path / "vault.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_vault(tmp_path: Path) -> Iterator[tuple[FakeVault, Path]]:
    cert, key = _self_signed(tmp_path)
    server = FakeVault().start(tls=(str(cert), str(key)))
    try:
        yield server, cert
    finally:
        server.stop()


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_ca_cert_verifies_and_its_absence_fails_closed(
    tls_vault: tuple[FakeVault, Path],
) -> None:
    vault, cert = tls_vault
    vault.put_kv("kv/a", {"v": "1"})
    assert vault.url.startswith("https://")
    token = Secret(vault.root_token)
    trusted = connect(VaultSettings(address=vault.url, token=token, ca_cert=str(cert)))
    assert trusted.kv_metadata("kv", "a") is not None
    untrusted = connect(VaultSettings(address=vault.url, token=token, timeout=5))
    with pytest.raises(DependencyError, match="TLS verification failed") as info:
        untrusted.kv_metadata("kv", "a")
    assert "VAULT_CACERT" in (info.value.hint or "")
    skipping = connect(VaultSettings(address=vault.url, token=token, skip_verify=True))
    assert skipping.kv_metadata("kv", "a") is not None

"""Sigstore bundles, offline: real keyless bundles (production and staging roots, positive and
negative) and key-based bundles verified by our own code."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from seccli.supplychain.bundles import (
    KeylessIdentity,
    verify_bundle,
    verify_bundle_file,
)
from seccli.supplychain.dsse import INTOTO_PAYLOAD_TYPE, make_statement, sign_envelope
from seccli.supplychain.keys import UnsupportedKey, load_public_key, load_public_key_file
from seccli.supplychain.signing import sign_blob
from tests.supplychain.conftest import SIGSTORE

pytestmark = pytest.mark.skipif(not SIGSTORE.is_dir(), reason="../shared/fixtures/sigstore absent")

STAGING_ROOT_FILE = str(
    SIGSTORE
    / "staging-tuf"
    / "targets"
    / "ed6a9cf4e7c2e3297a4b5974fce0d17132f03c63512029d7aa3a402b43acab49.trusted_root.json"
)
PRODUCTION_ROOT_FILE = str(SIGSTORE / "trusted_root" / "trustedroot.v1.json")
GITHUB = "https://github.com/login/oauth"
ACTIONS = "https://token.actions.githubusercontent.com"
WILLIAM = KeylessIdentity("william", identity="william@yossarian.net", issuer=GITHUB)
RFC8785 = KeylessIdentity(
    "rfc8785",
    identity="https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
    issuer=ACTIONS,
)


def fixture(name: str) -> tuple[Path, Path]:
    for suffix in (".sigstore", ".sigstore.json"):
        bundle = SIGSTORE / f"{name}{suffix}"
        if bundle.exists():
            return SIGSTORE / name, bundle
    raise FileNotFoundError(name)


def test_keyless_production_bundle_with_embedded_and_pinned_roots() -> None:
    artifact, bundle = fixture("bundle_v3_github.whl")
    embedded = verify_bundle_file(artifact, bundle, identities=[RFC8785])
    assert embedded.ok, embedded.reason
    assert "rfc8785.py" in (embedded.signer or "")
    pinned = verify_bundle_file(
        artifact, bundle, identities=[RFC8785], trusted_root=PRODUCTION_ROOT_FILE
    )
    assert pinned.ok, pinned.reason
    digest = "sha256:" + hashlib.sha256(artifact.read_bytes()).hexdigest()
    assert verify_bundle_file(digest, bundle, identities=[RFC8785]).ok


@pytest.mark.parametrize("name", ["bundle_v3.txt", "bundle_v3_alt.txt", "bundle.txt"])
def test_keyless_staging_bundles_v01_to_v03(name: str) -> None:
    artifact, bundle = fixture(name)
    identity = (
        WILLIAM
        if name != "bundle.txt"
        else KeylessIdentity("a", identity="a@tny.town", issuer=GITHUB)
    )
    result = verify_bundle_file(
        artifact, bundle, identities=[identity], trusted_root=STAGING_ROOT_FILE
    )
    assert result.ok, result.reason


def test_keyless_dsse_bundle_and_regex_identity() -> None:
    artifact, bundle = fixture("a.dsse.staging-rekor-v2.txt")
    identity = KeylessIdentity(
        "beacon",
        identity_regex=r"https://github\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.*",
        issuer_regex=r"https://token\.actions\.githubusercontent\.com",
    )
    digest = json.loads(bundle.read_text())
    assert "dsseEnvelope" in digest
    payload = json.loads(base64.b64decode(digest["dsseEnvelope"]["payload"]))
    subject = "sha256:" + payload["subject"][0]["digest"]["sha256"]
    result = verify_bundle(
        bundle.read_bytes(), subject, identities=[identity], trusted_root="sigstore:staging"
    )
    assert result.ok, result.reason
    assert result.statement is not None
    wrong_subject = verify_bundle(
        bundle.read_bytes(),
        "sha256:" + "1" * 64,
        identities=[identity],
        trusted_root="sigstore:staging",
    )
    assert not wrong_subject.ok
    assert "subject does not match" in wrong_subject.reason


def test_keyless_wrong_identity_issuer_root_and_artifact() -> None:
    artifact, bundle = fixture("bundle_v3.txt")
    wrong_identity = KeylessIdentity("x", identity="mallory@example.com", issuer=GITHUB)
    result = verify_bundle_file(
        artifact, bundle, identities=[wrong_identity], trusted_root=STAGING_ROOT_FILE
    )
    assert not result.ok and "not a trusted identity" in result.reason
    wrong_issuer = KeylessIdentity("x", identity="william@yossarian.net", issuer=ACTIONS)
    assert not verify_bundle_file(
        artifact, bundle, identities=[wrong_issuer], trusted_root=STAGING_ROOT_FILE
    ).ok
    partial_regex = KeylessIdentity("x", identity_regex="william", issuer=GITHUB)
    assert not verify_bundle_file(
        artifact, bundle, identities=[partial_regex], trusted_root=STAGING_ROOT_FILE
    ).ok
    wrong_root = verify_bundle_file(
        artifact, bundle, identities=[WILLIAM], trusted_root=PRODUCTION_ROOT_FILE
    )
    assert not wrong_root.ok and "Sigstore verification failed" in wrong_root.reason
    other_artifact = verify_bundle_file(
        SIGSTORE / "a.txt", bundle, identities=[WILLIAM], trusted_root=STAGING_ROOT_FILE
    )
    assert not other_artifact.ok and "digest mismatch" in other_artifact.reason


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bundle_cve_2022_36056.txt", "inconsistent"),
        ("bundle_invalid_version.txt", "unsupported bundle media type"),
        ("bundle_no_cert_v1.txt", "certificate chain"),
        ("bundle_no_checkpoint.txt", "checkpoint"),
        ("bundle_no_log_entry.txt", "log entry"),
        ("bundle_v3_no_signed_time.txt", "inclusion promise or signed timestamp"),
    ],
)
def test_negative_keyless_bundles_are_refused(name: str, reason: str) -> None:
    artifact, bundle = fixture(name)
    result = verify_bundle_file(
        artifact, bundle, identities=[WILLIAM], trusted_root=STAGING_ROOT_FILE
    )
    assert not result.ok
    assert reason in result.reason


def test_keyless_bundle_needs_an_identity_and_garbage_is_refused() -> None:
    artifact, bundle = fixture("bundle_v3.txt")
    digest = "sha256:" + hashlib.sha256(artifact.read_bytes()).hexdigest()
    assert "no trusted identity" in verify_bundle(bundle.read_bytes(), digest).reason
    assert (
        KeylessIdentity("x", identity="william@yossarian.net").matches(
            ["william@yossarian.net"], GITHUB
        )
        is False
    )
    for garbage in (
        b"",
        b"[]",
        b"{not json",
        b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}',
    ):
        result = verify_bundle(garbage, digest, identities=[WILLIAM])
        assert not result.ok and "malformed bundle" in result.reason


def test_key_based_bundles(keys: dict[str, Any], tmp_path: Path) -> None:
    release, _, release_pub = keys["release"]
    rogue = keys["rogue"][0]
    public = load_public_key_file(release_pub, "release")
    data = b"release notes v1\n"
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    good = sign_blob(data, release)
    result = verify_bundle(good, digest, keys=[public])
    assert result.ok and result.authority == "release"
    assert not verify_bundle(sign_blob(data, rogue), digest, keys=[public]).ok  # wrong key
    tampered = "sha256:" + hashlib.sha256(data + b"!").hexdigest()
    assert "different artifact" in verify_bundle(good, tampered, keys=[public]).reason
    # the bundle's key hint is never trusted: a rogue bundle naming the release key's hint fails
    rogue_bundle = json.loads(sign_blob(data, rogue))
    rogue_bundle["verificationMaterial"]["publicKey"]["hint"] = public.key_id
    assert not verify_bundle(json.dumps(rogue_bundle).encode(), digest, keys=[public]).ok
    # a bundle with a key but no policy key is refused
    assert "no trusted key" in verify_bundle(good, digest).reason
    # DSSE: the statement's subject must be the artifact
    statement = make_statement("file", digest, "https://slsa.dev/provenance/v1", {"x": 1})
    envelope = sign_envelope(INTOTO_PAYLOAD_TYPE, statement, release)
    dsse_bundle = json.dumps(
        {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"publicKey": {"hint": "x"}},
            "dsseEnvelope": envelope.to_json(),
        }
    ).encode()
    ok = verify_bundle(dsse_bundle, digest, keys=[public])
    assert ok.ok and ok.statement is not None
    assert ok.statement.predicate_type == "https://slsa.dev/provenance/v1"
    assert "subject does not match" in verify_bundle(dsse_bundle, tampered, keys=[public]).reason


def test_unsupported_and_malformed_keys_are_refused() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, rsa

    dsa_pem = (
        dsa.generate_private_key(2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(UnsupportedKey, match="unsupported key type"):
        load_public_key(dsa_pem, "dsa", "test")
    small_rsa = (
        rsa.generate_private_key(65537, 1024)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(UnsupportedKey, match="too short"):
        load_public_key(small_rsa, "rsa", "test")
    with pytest.raises(Exception, match="not a PEM public key"):
        load_public_key(
            b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "x", "test"
        )

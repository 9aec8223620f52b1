"""seccli's Sigstore verification beyond sigstore-python: intoto v0.0.2 entries and the
inclusive end of a timestamp authority's validity, with bundles built by a private Sigstore
instance (tests/supplychain/sigstore_pki.py); every other verdict stays sigstore-python's."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sigstore.errors import VerificationError
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier
from sigstore.verify.policy import UnsafeNoOp

from seccli.supplychain.bundles import KeylessIdentity, verify_bundle
from seccli.supplychain.sigstore_verifier import SeccliVerifier
from tests.supplychain.sigstore_pki import IDENTITY, ISSUER, PrivateSigstore

DIGEST = "sha256:" + "ab" * 32
SIGNER = KeylessIdentity("ci", identity=IDENTITY, issuer=ISSUER)


def statement(digest: str = DIGEST) -> dict[str, Any]:
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "image", "digest": {"sha256": digest.removeprefix("sha256:")}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {"buildType": "https://example.test/build"}},
    }


@pytest.fixture(scope="module")
def pki() -> PrivateSigstore:
    return PrivateSigstore()


@pytest.fixture(scope="module")
def root_file(pki: PrivateSigstore, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("root") / "trusted_root.json"
    path.write_text(json.dumps(pki.trusted_root()))
    return str(path)


@pytest.fixture(autouse=True)
def _quiet() -> None:
    logging.getLogger("sigstore").setLevel(logging.ERROR)


def upstream(root_file: str, raw: bytes) -> None:
    Verifier(trusted_root=TrustedRoot.from_file(root_file)).verify_dsse(
        Bundle.from_json(raw), UnsafeNoOp()
    )


def test_an_intoto_v002_bundle_is_verified_with_its_integrated_time(
    pki: PrivateSigstore, root_file: str
) -> None:
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=7)
    raw = pki.dsse_bundle(statement(), kind="intoto", at=moment)
    with pytest.raises(VerificationError, match="Integrated time only supported"):
        upstream(root_file, raw)  # the gap this closes
    result = verify_bundle(raw, DIGEST, identities=[SIGNER], trusted_root=root_file)
    assert result.ok, result.reason
    assert result.statement is not None
    assert result.statement.predicate_type == "https://slsa.dev/provenance/v1"
    assert result.signed_time == moment
    assert result.authority == "ci" and IDENTITY in (result.signer or "")


def test_the_dsse_v001_control_verifies_upstream_and_here(
    pki: PrivateSigstore, root_file: str
) -> None:
    raw = pki.dsse_bundle(statement(), kind="dsse")
    upstream(root_file, raw)  # the private Sigstore instance is one sigstore-python accepts
    assert verify_bundle(raw, DIGEST, identities=[SIGNER], trusted_root=root_file).ok


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("payload-hash", "payload hash does not match"),
        ("signature", "signatures do not match"),
        ("certificate", "signed by another certificate"),
        ("payload-type", "payload type does not match"),
    ],
)
def test_an_intoto_entry_must_describe_the_bundle(
    pki: PrivateSigstore, root_file: str, tamper: str, reason: str
) -> None:
    raw = pki.dsse_bundle(statement(), kind="intoto", tamper=tamper)
    result = verify_bundle(raw, DIGEST, identities=[SIGNER], trusted_root=root_file)
    assert not result.ok and reason in result.reason


def test_intoto_bundles_still_fail_every_other_check(
    pki: PrivateSigstore, root_file: str, tmp_path: Path
) -> None:
    raw = pki.dsse_bundle(statement(), kind="intoto")
    other = KeylessIdentity("x", identity="someone@else.test", issuer=ISSUER)
    denied = verify_bundle(raw, DIGEST, identities=[other], trusted_root=root_file)
    assert not denied.ok and "not a trusted identity" in denied.reason
    wrong = verify_bundle(raw, "sha256:" + "cd" * 32, identities=[SIGNER], trusted_root=root_file)
    assert not wrong.ok and "subject does not match" in wrong.reason
    stranger = tmp_path / "other_root.json"
    stranger.write_text(json.dumps(PrivateSigstore().trusted_root()))
    assert not verify_bundle(raw, DIGEST, identities=[SIGNER], trusted_root=str(stranger)).ok
    production = verify_bundle(raw, DIGEST, identities=[SIGNER])
    assert not production.ok  # the embedded public-good root does not know this CA
    # A signing time outside the certificate's validity is refused as before.
    late = pki.dsse_bundle(statement(), kind="intoto")
    bundle = json.loads(late)
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    entry["integratedTime"] = str(int(entry["integratedTime"]) + 3600)
    result = verify_bundle(
        json.dumps(bundle).encode(), DIGEST, identities=[SIGNER], trusted_root=root_file
    )
    assert not result.ok


def test_other_intoto_versions_are_still_refused(pki: PrivateSigstore, root_file: str) -> None:
    bundle = json.loads(pki.dsse_bundle(statement(), kind="intoto"))
    bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["version"] = "0.0.1"
    result = verify_bundle(
        json.dumps(bundle).encode(), DIGEST, identities=[SIGNER], trusted_root=root_file
    )
    assert not result.ok and "intoto" in result.reason


# --- the end of a timestamp authority's validity ---------------------------------------------


@pytest.mark.parametrize(
    ("start_offset", "end_offset", "accepted"),
    [
        (-3600, 0, True),  # the TSA's validity ends exactly at the signing time: inclusive
        (0, 3600, True),  # starts exactly at the signing time: inclusive (as before)
        (-3600, None, True),  # open-ended
        (-3600, -1, False),  # ended a second before
        (1, 3600, False),  # starts a second after
    ],
)
def test_a_timestamp_authority_validity_includes_both_ends(
    pki: PrivateSigstore,
    tmp_path: Path,
    start_offset: int,
    end_offset: int | None,
    accepted: bool,
) -> None:
    """The bundle's only verified time is an RFC 3161 timestamp (no inclusion promise)."""
    signed_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    raw = pki.dsse_bundle(
        statement(), kind="dsse", at=signed_at, timestamp_at=signed_at, promise=False
    )
    start = signed_at + timedelta(seconds=start_offset)
    end = None if end_offset is None else signed_at + timedelta(seconds=end_offset)
    root = tmp_path / "root.json"
    root.write_text(json.dumps(pki.trusted_root((start, end))))
    result = verify_bundle(raw, DIGEST, identities=[SIGNER], trusted_root=str(root))
    assert result.ok == accepted, result.reason
    if not accepted:
        assert "not enough sources of verified time" in result.reason
    upstream_ok = True
    try:
        upstream(str(root), raw)
    except VerificationError:
        upstream_ok = False
    assert upstream_ok == (accepted and end_offset != 0)  # sigstore-python excludes the end


def test_a_timestamp_from_an_untrusted_authority_is_no_time(
    pki: PrivateSigstore, tmp_path: Path
) -> None:
    signed_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    raw = pki.dsse_bundle(
        statement(), kind="dsse", at=signed_at, timestamp_at=signed_at, promise=False
    )
    other = PrivateSigstore(
        start=pki.start, ca_key=pki.ca_key, ct_key=pki.ct_key, rekor_key=pki.rekor_key
    )  # the same logs and CA, another TSA
    root = tmp_path / "root.json"
    root.write_text(json.dumps(other.trusted_root((signed_at - timedelta(hours=1), signed_at))))
    result = verify_bundle(raw, DIGEST, identities=[SIGNER], trusted_root=str(root))
    assert not result.ok and "not enough sources of verified time" in result.reason
    late = pki.dsse_bundle(
        statement(),
        kind="dsse",
        at=signed_at,
        timestamp_at=signed_at + timedelta(hours=1),  # outside the signing certificate
        promise=False,
    )
    root.write_text(json.dumps(pki.trusted_root((signed_at - timedelta(hours=1), None))))
    assert not verify_bundle(late, DIGEST, identities=[SIGNER], trusted_root=str(root)).ok


def test_shared_fixture_verdicts_are_sigstore_pythons() -> None:
    """Over the shared conformance fixtures, every (bundle, trusted root) pair gets the verdict
    sigstore-python gives (none of them uses an intoto entry or a TSA validity boundary)."""
    from sigstore.hashes import Hashed  # noqa: F401  (imported by the verification path)

    from tests.supplychain.conftest import SIGSTORE

    if not SIGSTORE.is_dir():
        pytest.skip("../shared/fixtures/sigstore absent")
    from sigstore.models import ClientTrustConfig

    roots: dict[str, Any] = {
        "production": ClientTrustConfig.production(offline=True).trusted_root,
        "staging": ClientTrustConfig.staging(offline=True).trusted_root,
    }
    for path in SIGSTORE.rglob("*.json"):
        for load in (
            lambda p: TrustedRoot.from_file(str(p)),
            lambda p: ClientTrustConfig.from_json(p.read_text()).trusted_root,
        ):
            try:
                roots[str(path)] = load(path)  # type: ignore[no-untyped-call]
                break
            except Exception:  # not a trusted root
                continue
    bundles = [
        p
        for p in SIGSTORE.rglob("*")
        if p.is_file() and p.name.endswith((".sigstore", ".sigstore.json", ".bundle"))
    ]
    compared = 0
    for bundle_path in bundles:
        for root in roots.values():
            assert _verdict(Verifier, root, bundle_path) == _verdict(
                SeccliVerifier, root, bundle_path
            ), bundle_path
            compared += 1
    assert compared > 100


def _verdict(cls: type[Verifier], root: Any, bundle_path: Path) -> str:
    try:
        bundle = Bundle.from_json(bundle_path.read_bytes())
        verifier = cls(trusted_root=root)
    except Exception as exc:
        return f"unusable: {type(exc).__name__}"
    try:
        if bundle._dsse_envelope is not None:
            verifier.verify_dsse(bundle, UnsafeNoOp())
            return "ok"
        name = bundle_path.name
        for suffix in (".sigstore.json", ".sigstore", ".bundle"):
            name = name.removesuffix(suffix)
        artifact = bundle_path.parent / name
        if not artifact.is_file():
            return "no artifact"
        verifier.verify_artifact(artifact.read_bytes(), bundle, UnsafeNoOp())
        return "ok"
    except Exception as exc:
        return f"failed: {exc}"[:120]


def test_the_statement_digest_is_sha256_of_the_payload(pki: PrivateSigstore) -> None:
    """The test instance logs the payload's SHA-256, as Rekor does."""
    bundle = json.loads(pki.dsse_bundle(statement(), kind="intoto"))
    import base64

    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    body = json.loads(base64.b64decode(entry["canonicalizedBody"]))
    payload = base64.b64decode(bundle["dsseEnvelope"]["payload"])
    logged = body["spec"]["content"]["payloadHash"]["value"]
    assert logged == hashlib.sha256(payload).hexdigest()

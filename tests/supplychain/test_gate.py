"""The gate against a real registry: signed images pass, every kind of bad one is blocked."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from seccli.core.clock import FixedClock
from seccli.core.imageref import ImageRef, parse_image_ref
from seccli.supplychain.cache import MemoryCache
from seccli.supplychain.cosign import signature_tag
from seccli.supplychain.policy import TrustPolicy, load_trust_policy
from seccli.supplychain.registry import OCI_MANIFEST, RegistryClient, RegistryOptions
from seccli.supplychain.signing import attest_image, push_bundle, sign_image, sign_image_bundle
from seccli.supplychain.verify import Gate, Verdict
from tests.supplychain.conftest import SIGSTORE, push_image, push_index
from tests.supplychain.fake_registry import FakeRegistry

SLSA = "https://slsa.dev/provenance/v1"


def write_policy(
    folder: Path,
    registry: str,
    public_key: Path,
    *,
    rogue_key: Path | None = None,
    rules: list[dict[str, Any]] | None = None,
    require_digest: bool = False,
) -> TrustPolicy:
    authorities: list[dict[str, Any]] = [{"name": "release", "key": {"path": str(public_key)}}]
    if rogue_key is not None:
        authorities.append({"name": "other", "key": {"path": str(rogue_key)}})
    document = {
        "apiVersion": "seccli.dev/v1alpha1",
        "kind": "TrustPolicy",
        "metadata": {"name": "test"},
        "spec": {
            "requireDigest": require_digest,
            "authorities": authorities,
            "images": rules or [{"glob": f"{registry}/**", "authorities": ["release"]}],
        },
    }
    path = folder / "trust.yaml"
    path.write_text(json.dumps(document), encoding="utf-8")
    return load_trust_policy(path)


@pytest.fixture()
def policy(tmp_path: Path, registry: str, keys: dict[str, Any]) -> TrustPolicy:
    return write_policy(tmp_path, registry, keys["release"][2])


def one(gate: Gate, ref: ImageRef) -> Any:
    return gate.verify(ref)


def test_cosign_signed_image_passes(
    client: RegistryClient, registry: str, keys: Any, policy: TrustPolicy
) -> None:
    ref = push_image(client, registry, "gate/cosign")
    sign_image(client, ref, keys["release"][0])
    verdict = Gate(policy, client).verify(ref)
    assert verdict.verdict is Verdict.PASS, verdict.reasons
    assert verdict.digest == ref.digest
    assert any("release" in signer for signer in verdict.signers)


def test_bundle_signed_image_passes(
    client: RegistryClient, registry: str, keys: Any, policy: TrustPolicy
) -> None:
    ref = push_image(client, registry, "gate/bundle")
    sign_image_bundle(client, ref, keys["release"][0])
    verdict = Gate(policy, client).verify(ref)
    assert verdict.verdict is Verdict.PASS, verdict.reasons
    assert "Sigstore bundle" in " ".join(verdict.signers)


def test_unsigned_image_is_blocked(
    client: RegistryClient, registry: str, policy: TrustPolicy
) -> None:
    ref = push_image(client, registry, "gate/unsigned")
    verdict = Gate(policy, client).verify(ref)
    assert verdict.verdict is Verdict.BLOCK
    assert "no signature found" in verdict.reasons[0]


def test_wrong_key_is_blocked(
    client: RegistryClient, registry: str, keys: Any, policy: TrustPolicy
) -> None:
    ref = push_image(client, registry, "gate/wrongkey")
    sign_image(client, ref, keys["rogue"][0])
    sign_image_bundle(client, ref, keys["rogue"][0])
    verdict = Gate(policy, client).verify(ref)
    assert verdict.verdict is Verdict.BLOCK
    assert "does not verify with any trusted key" in verdict.reasons[0]


def test_signature_copied_onto_another_image_is_blocked(
    client: RegistryClient, registry: str, keys: Any, policy: TrustPolicy
) -> None:
    signed = push_image(client, registry, "gate/copy", tag="signed")
    other = push_image(client, registry, "gate/copy", tag="other")
    sign_image(client, signed, keys["release"][0])
    sig = client.get_manifest(registry, "gate/copy", signature_tag(signed.digest or ""))
    client.push_manifest(
        registry, "gate/copy", signature_tag(other.digest or ""), sig.raw, OCI_MANIFEST
    )
    gate = Gate(policy, client)
    assert gate.verify(signed).verdict is Verdict.PASS
    verdict = gate.verify(other)
    assert verdict.verdict is Verdict.BLOCK
    assert "signature is for another image" in verdict.reasons[0]


def test_tampered_payload_is_blocked(
    client: RegistryClient, registry: str, keys: Any, policy: TrustPolicy
) -> None:
    ref = push_image(client, registry, "gate/tamper")
    sign_image(client, ref, keys["release"][0])
    tag = signature_tag(ref.digest or "")
    sig = json.loads(client.get_manifest(registry, "gate/tamper", tag).raw)
    layer = sig["layers"][0]
    payload = json.loads(client.get_blob(registry, "gate/tamper", layer["digest"]))
    payload["optional"] = {"note": "changed after signing"}
    blob = client.push_blob(registry, "gate/tamper", json.dumps(payload).encode())
    layer["digest"], layer["size"] = blob.digest, blob.size
    client.push_manifest(registry, "gate/tamper", tag, json.dumps(sig).encode(), OCI_MANIFEST)
    verdict = Gate(policy, client).verify(ref)
    assert verdict.verdict is Verdict.BLOCK
    assert "does not verify" in verdict.reasons[0]


def test_keyless_bundle_for_another_artifact_is_blocked(
    client: RegistryClient, registry: str, tmp_path: Path, keys: Any
) -> None:
    ref = push_image(client, registry, "gate/keyless")
    push_bundle(client, ref, (SIGSTORE / "bundle_v3_github.whl.sigstore").read_bytes())
    path = tmp_path / "trust.yaml"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "seccli.dev/v1alpha1",
                "kind": "TrustPolicy",
                "spec": {
                    "authorities": [
                        {
                            "name": "rfc8785",
                            "keyless": {
                                "identityRegex": "https://github.com/trailofbits/.*",
                                "issuer": "https://token.actions.githubusercontent.com",
                            },
                        }
                    ],
                    "images": [{"glob": f"{registry}/gate/*", "authorities": ["rfc8785"]}],
                },
            }
        )
    )
    verdict = Gate(load_trust_policy(path), client).verify(ref)
    assert verdict.verdict is Verdict.BLOCK
    assert "digest mismatch" in verdict.reasons[0]


def test_unpinned_tag_is_resolved_and_reported_and_denied_with_require_digest(
    client: RegistryClient, registry: str, keys: Any, policy: TrustPolicy
) -> None:
    pinned = push_image(client, registry, "gate/tagged", tag="1.0")
    sign_image(client, pinned, keys["release"][0])
    tagged = parse_image_ref(f"{registry}/gate/tagged:1.0")
    verdict = Gate(policy, client).verify(tagged)
    assert verdict.verdict is Verdict.PASS
    assert verdict.digest == pinned.digest
    assert f"tag 1.0 resolved to {pinned.digest}" in verdict.reasons
    strict = Gate(policy, client, require_digest=True).verify(tagged)
    assert strict.verdict is Verdict.BLOCK
    assert strict.reasons[0].startswith("not pinned by digest")
    assert Gate(policy, client, require_digest=True).verify(pinned).verdict is Verdict.PASS


def test_no_matching_rule_and_warn_mode(
    client: RegistryClient, registry: str, keys: Any, tmp_path: Path
) -> None:
    policy = write_policy(
        tmp_path,
        registry,
        keys["release"][2],
        rules=[{"glob": f"{registry}/lenient/*", "mode": "warn", "authorities": ["release"]}],
    )
    lenient = push_image(client, registry, "lenient/app")
    strict = push_image(client, registry, "strict/app")
    gate = Gate(policy, client)
    warned = gate.verify(lenient)
    assert warned.verdict is Verdict.WARN
    blocked = gate.verify(strict)
    assert blocked.verdict is Verdict.BLOCK
    assert "no trust policy rule matches" in blocked.reasons[0]


def test_attestations_present_missing_expired_and_wrong_signer(
    client: RegistryClient, registry: str, keys: Any, tmp_path: Path
) -> None:
    rules = [
        {
            "glob": f"{registry}/att/**",
            "authorities": ["release"],
            "attestations": [{"predicateType": "slsaprovenance1", "maxAge": "30d"}],
        }
    ]
    policy = write_policy(
        tmp_path, registry, keys["release"][2], rogue_key=keys["rogue"][2], rules=rules
    )
    now = datetime(2026, 6, 1, tzinfo=UTC)
    gate = Gate(policy, client, clock=FixedClock(now))
    release, rogue = keys["release"][0], keys["rogue"][0]

    def provenance(days_old: int) -> dict[str, Any]:
        finished = (now - timedelta(days=days_old)).isoformat().replace("+00:00", "Z")
        return {
            "buildDefinition": {"buildType": "test"},
            "runDetails": {"metadata": {"finishedOn": finished}},
        }

    good = push_image(client, registry, "att/good")
    sign_image(client, good, release)
    attest_image(client, good, release, provenance(2), SLSA)
    verdict = gate.verify(good)
    assert verdict.verdict is Verdict.PASS, verdict.reasons
    assert verdict.attestations and SLSA in verdict.attestations[0]

    missing = push_image(client, registry, "att/missing")
    sign_image(client, missing, release)
    verdict = gate.verify(missing)
    assert verdict.verdict is Verdict.BLOCK
    assert f"missing attestation {SLSA}" in verdict.reasons[0]

    expired = push_image(client, registry, "att/expired")
    sign_image(client, expired, release)
    attest_image(client, expired, release, provenance(90), SLSA)
    verdict = gate.verify(expired)
    assert verdict.verdict is Verdict.BLOCK
    assert "expired (90 days old)" in verdict.reasons[0]

    undated = push_image(client, registry, "att/undated")
    sign_image(client, undated, release)
    attest_image(client, undated, release, {"buildDefinition": {}}, SLSA)
    assert "has no timestamp" in gate.verify(undated).reasons[0]

    foreign = push_image(client, registry, "att/foreign")
    sign_image(client, foreign, release)
    attest_image(client, foreign, rogue, provenance(1), SLSA)  # `other` is not named by the rule
    verdict = gate.verify(foreign)
    assert verdict.verdict is Verdict.BLOCK
    assert "missing attestation" in verdict.reasons[0]


def test_multi_arch_index_rule(
    client: RegistryClient, registry: str, keys: Any, tmp_path: Path
) -> None:
    release = keys["release"][0]
    amd = push_image(client, registry, "multi/app", tag="amd64")
    arm = push_image(client, registry, "multi/app", tag="arm64")
    index = push_index(client, registry, "multi/app", [amd, arm], tag="2.0")
    sign_image(client, index, release)
    sign_image(client, amd, release)
    index_only = write_policy(tmp_path, registry, keys["release"][2])
    assert Gate(index_only, client).verify(index).verdict is Verdict.PASS
    every = write_policy(
        tmp_path,
        registry,
        keys["release"][2],
        rules=[{"glob": f"{registry}/**", "authorities": ["release"], "platforms": "all"}],
    )
    verdict = Gate(every, client).verify(index)
    assert verdict.verdict is Verdict.BLOCK
    assert "platform manifest linux/arm64 is not signed" in verdict.reasons
    sign_image(client, arm, release)
    assert Gate(every, client).verify(index).verdict is Verdict.PASS
    # signing the platforms alone does not sign an index over them
    other_index = push_index(client, registry, "multi/app", [arm, amd], tag="2.2")
    assert Gate(index_only, client).verify(other_index).verdict is Verdict.BLOCK


def test_cache_keeps_successes_only_per_policy_and_expires(
    client: RegistryClient, registry: str, keys: Any, tmp_path: Path
) -> None:
    policy = write_policy(tmp_path, registry, keys["release"][2])
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    cache = MemoryCache(clock)
    signed = push_image(client, registry, "cache/app", tag="signed")
    unsigned = push_image(client, registry, "cache/app", tag="unsigned")
    sign_image(client, signed, keys["release"][0])
    gate = Gate(policy, client, cache=cache, clock=clock)
    assert gate.verify(signed).cached is False
    again = gate.verify(signed)
    assert again.cached is True and again.verdict is Verdict.PASS
    assert gate.verify(unsigned).verdict is Verdict.BLOCK
    assert gate.verify(unsigned).cached is False
    other_policy = write_policy(tmp_path / "..", registry, keys["rogue"][2])
    assert (
        Gate(other_policy, client, cache=cache, clock=clock).verify(signed).verdict is Verdict.BLOCK
    )
    clock.advance(timedelta(seconds=policy.cache_ttl + 1))
    assert gate.verify(signed).cached is False


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("garbage", "manifest is not JSON"), ("slow", "timed out"), ("error", "HTTP 503")],
)
def test_misbehaving_registry_blocks(mode: str, expected: str, keys: Any, tmp_path: Path) -> None:
    fake = FakeRegistry(mode, delay=1.0)
    try:
        policy = write_policy(tmp_path, fake.host, keys["release"][2])
        options = RegistryOptions(
            insecure=frozenset({fake.host}), timeout=0.3, retries=1, backoff=0.01
        )
        with RegistryClient(options) as fake_client:
            verdict = Gate(policy, fake_client).verify(parse_image_ref(f"{fake.host}/app:1"))
        assert verdict.verdict is Verdict.BLOCK
        assert expected in verdict.reasons[0]
    finally:
        fake.stop()


def test_registry_down_blocks(keys: Any, tmp_path: Path) -> None:
    from tests.supplychain.registry_server import free_port

    host = f"127.0.0.1:{free_port()}"
    policy = write_policy(tmp_path, host, keys["release"][2])
    with RegistryClient(
        RegistryOptions(insecure=frozenset({host}), timeout=1, retries=1, backoff=0.01)
    ) as down:
        verdict = Gate(policy, down).verify(parse_image_ref(f"{host}/app@sha256:{'a' * 64}"))
    assert verdict.verdict is Verdict.BLOCK
    assert "connection failed" in verdict.reasons[0]


def test_garbage_bundle_referrer_and_sbom_attestation(
    client: RegistryClient, registry: str, keys: Any, tmp_path: Path
) -> None:
    release = keys["release"][0]
    rules = [
        {
            "glob": f"{registry}/sbom/*",
            "authorities": ["release"],
            "attestations": [{"predicateType": "cyclonedx"}],
        }
    ]
    policy = write_policy(tmp_path, registry, keys["release"][2], rules=rules)
    gate = Gate(policy, client)
    garbage = push_image(client, registry, "sbom/garbage")
    push_bundle(client, garbage, b"{ not a bundle")
    verdict = gate.verify(garbage)
    assert verdict.verdict is Verdict.BLOCK
    assert "malformed bundle: bundle is not JSON" in verdict.reasons[0]
    with_sbom = push_image(client, registry, "sbom/app")
    sign_image(client, with_sbom, release)
    sbom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}
    attest_image(client, with_sbom, release, sbom, "https://cyclonedx.org/bom")
    verdict = gate.verify(with_sbom)
    assert verdict.verdict is Verdict.PASS, verdict.reasons
    assert "https://cyclonedx.org/bom" in verdict.attestations[0]


def test_unparsable_references_are_blocked_not_skipped(
    client: RegistryClient, policy: TrustPolicy
) -> None:
    from seccli.supplychain.refs import images_in_yaml

    found = images_in_yaml(
        "kind: Pod\nspec:\n  containers: [{name: a, image: 'Not A Ref'}]\n", "pod.yaml"
    )
    verdicts = Gate(policy, client).verify_found(found)
    assert len(verdicts) == 1
    assert verdicts[0].verdict is Verdict.BLOCK
    assert verdicts[0].reasons[0].startswith("unparsable image reference")
    assert verdicts[0].locations[0].line == 3


def test_no_op_verification_policies_are_never_used_in_production_code() -> None:
    """sigstore's UnsafeNoOp policy verifies no identity; our code must not use it."""
    source = Path(__file__).resolve().parents[2] / "seccli"
    offenders = [
        str(path) for path in source.rglob("*.py") if "UnsafeNoOp" in path.read_text("utf-8")
    ]
    assert offenders == []
    from seccli.supplychain.bundles import KeylessIdentity

    # an identity without an issuer, or without an identity, never matches
    assert not KeylessIdentity("x", identity="a@b").matches(["a@b"], "https://issuer")
    assert not KeylessIdentity("x", issuer="https://issuer").matches(["a@b"], "https://issuer")
    assert KeylessIdentity("x", identity="a@b", issuer="https://issuer").matches(
        ["a@b"], "https://issuer"
    )


def test_legacy_keyless_sig_layers_are_refused_with_a_reason(
    client: RegistryClient, registry: str, keys: Any, policy: TrustPolicy
) -> None:
    ref = push_image(client, registry, "gate/legacy")
    sign_image(client, ref, keys["release"][0])
    tag = signature_tag(ref.digest or "")
    sig = json.loads(client.get_manifest(registry, "gate/legacy", tag).raw)
    sig["layers"][0]["annotations"]["dev.sigstore.cosign/certificate"] = "-----BEGIN CERT..."
    client.push_manifest(registry, "gate/legacy", tag, json.dumps(sig).encode(), OCI_MANIFEST)
    verdict = Gate(policy, client).verify(ref)
    assert verdict.verdict is Verdict.BLOCK
    assert "legacy cosign keyless signature" in verdict.reasons[0]

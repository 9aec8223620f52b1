"""The TrustPolicy document: validation with lines, resolution, globs, digest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seccli.core.errors import DocumentInvalid, InputError
from seccli.supplychain.policy import glob_pattern, load_trust_policy, trust_policy_schema
from tests.supplychain.conftest import SIGSTORE

GOOD = """\
apiVersion: seccli.dev/v1alpha1
kind: TrustPolicy
metadata: {{name: prod}}
spec:
  cacheTTL: 600
  authorities:
    - name: release
      key: {{path: {key}}}
    - name: ci
      keyless:
        identityRegex: https://github\\.com/acme/.*
        issuer: https://token.actions.githubusercontent.com
  images:
    - glob: registry.acme.dev/apps/**
      authorities: [release, ci]
      attestations:
        - predicateType: slsaprovenance1
          maxAge: 30d
    - glob: docker.io/library/*
      mode: warn
      authorities: [release]
"""


def test_good_policy_resolves(tmp_path: Path, keys: dict[str, Any]) -> None:
    path = tmp_path / "trust.yaml"
    path.write_text(GOOD.format(key=keys["release"][2]))
    policy = load_trust_policy(path)
    assert policy.name == "prod" and policy.cache_ttl == 600
    rule = policy.rule_for("registry.acme.dev/apps/team/web")
    assert rule is not None and [a.name for a in rule.authorities] == ["release", "ci"]
    assert rule.attestations[0].predicate_type == "https://slsa.dev/provenance/v1"
    assert rule.attestations[0].max_age_s == 30 * 86400
    assert policy.rule_for("docker.io/library/nginx") is not None
    assert policy.rule_for("docker.io/acme/nginx") is None
    assert policy.rule_for("registry.acme.dev/other") is None
    # the digest follows the key material, not just the text
    other = tmp_path / "other"
    other.mkdir()
    (other / "trust.yaml").write_text(GOOD.format(key=keys["rogue"][2]))
    assert load_trust_policy(other / "trust.yaml").digest != policy.digest
    assert load_trust_policy(path).digest == policy.digest


def test_every_problem_reported_with_its_line(tmp_path: Path, keys: dict[str, Any]) -> None:
    path = tmp_path / "trust.yaml"
    path.write_text(
        "apiVersion: seccli.dev/v1alpha1\n"
        "kind: TrustPolicy\n"
        "spec:\n"
        "  authorities:\n"
        "    - name: release\n"
        f"      key: {{path: {keys['release'][2]}}}\n"
        "    - name: both\n"
        f"      key: {{path: {keys['release'][2]}}}\n"
        "      keyless: {identity: a, issuer: b}\n"
        "    - name: badregex\n"
        "      keyless: {identityRegex: '(', issuer: b}\n"
        "  images:\n"
        "    - glob: '**'\n"
        "      authorities: [release, nobody]\n"
        "      mode: sometimes\n"
    )
    with pytest.raises(DocumentInvalid) as caught:
        load_trust_policy(path)
    text = "\n".join(caught.value.lines())
    assert "trust.yaml:7" in text and "exactly one of 'key' and 'keyless'" in text
    assert "trust.yaml:11" in text and "invalid regular expression" in text
    assert "trust.yaml:15" in text


BAD_ROOT = SIGSTORE / "trusted_root" / "trustedroot.badtype.json"


def test_semantic_problems_unknown_authority_and_broken_root(
    tmp_path: Path, keys: dict[str, Any]
) -> None:
    path = tmp_path / "trust.yaml"
    path.write_text(
        "apiVersion: seccli.dev/v1alpha1\n"
        "kind: TrustPolicy\n"
        "spec:\n"
        "  authorities:\n"
        "    - name: release\n"
        f"      key: {{path: {keys['release'][2]}}}\n"
        "    - name: ci\n"
        "      keyless: {identity: a, issuer: b, trustedRoot: missing-root.json}\n"
        "    - name: badroot\n"
        f"      keyless: {{identity: a, issuer: b, trustedRoot: {BAD_ROOT}}}\n"
        "    - name: nokey\n"
        "      key: {path: nowhere.pub}\n"
        "  images:\n"
        "    - glob: '**'\n"
        "      authorities: [release, nobody]\n"
    )
    with pytest.raises(DocumentInvalid) as caught:
        load_trust_policy(path)
    text = "\n".join(caught.value.lines())
    assert "trust.yaml:8" in text and "trusted root not found" in text
    assert "trust.yaml:10" in text and "not a usable Sigstore trusted root" in text
    assert "trust.yaml:12" in text and "cannot read key" in text
    assert "trust.yaml:15" in text and "unknown authority 'nobody'" in text


def test_wrong_kind_and_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "trust.yaml"
    path.write_text("apiVersion: seccli.dev/v1alpha1\nkind: Estate\nspec: {}\n")
    with pytest.raises(DocumentInvalid, match="TrustPolicy"):
        load_trust_policy(path)
    path.write_text("- a\n")
    with pytest.raises(InputError, match="is a mapping"):
        load_trust_policy(path)


def test_globs_and_schema() -> None:
    assert glob_pattern("ghcr.io/acme/*").fullmatch("ghcr.io/acme/app")
    assert not glob_pattern("ghcr.io/acme/*").fullmatch("ghcr.io/acme/team/app")
    assert glob_pattern("ghcr.io/acme/**").fullmatch("ghcr.io/acme/team/app")
    assert not glob_pattern("ghcr.io/acme/**").fullmatch("ghcr.io/acmecorp/app")
    assert glob_pattern("registry.local:5000/a?c").fullmatch("registry.local:5000/abc")
    assert not glob_pattern("ghcr.io.evil/*").fullmatch("ghcr_io.evil/x")
    schema = trust_policy_schema()
    assert schema["properties"]["kind"]["const"] == "TrustPolicy"


def test_documents_validate_against_the_exported_schema(
    tmp_path: Path, keys: dict[str, Any]
) -> None:
    import jsonschema
    import yaml

    schema = trust_policy_schema()
    document = yaml.safe_load(GOOD.format(key=keys["release"][2]))
    jsonschema.validate(document, schema)
    document["spec"]["images"][0]["mode"] = "sometimes"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)

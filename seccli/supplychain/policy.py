"""The ``kind: TrustPolicy`` document: who may sign which images, and what must be attested.

```yaml
apiVersion: seccli.dev/v1alpha1
kind: TrustPolicy
metadata: {name: production}
spec:
  trustedRoot: sigstore:production   # or sigstore:staging, or a trusted_root.json path
  requireDigest: false               # true: tags in manifests are denied, even when signed
  cacheTTL: 3600                     # seconds a successful verification stays cached
  authorities:
    - name: release-key
      key: {path: keys/cosign.pub}   # relative to this file; or `pem: |` inline
    - name: github-release
      keyless:
        identity: https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main
        issuer: https://token.actions.githubusercontent.com
        # or identityRegex / issuerRegex (full match); trustedRoot to override per authority
  images:                            # first matching entry wins; no match = denied
    - glob: registry.acme.dev/apps/**
      mode: enforce                  # or warn: report, never block
      authorities: [release-key, github-release]
      platforms: index               # index must be signed; `all`: every platform manifest too
      attestations:
        - predicateType: slsaprovenance1   # alias or URI
          authorities: [release-key]       # default: the entry's authorities
          maxAge: 720h                     # needs a timestamp (signed time or predicate's)
```

Globs match the normalised name ``registry/repository``: ``*`` within one path segment, ``**``
across segments, ``?`` one character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from seccli.core.documents import Document, load_document, read_file_bytes
from seccli.core.errors import DocumentInvalid, InputError, Problem
from seccli.core.hashing import canonical_json, sha256_hex
from seccli.core.userdoc import DocumentModel, UserDocument, document_schema, validate_user_document
from seccli.supplychain.bundles import (
    MAX_BUNDLE_BYTES,
    PRODUCTION_ROOT,
    STAGING_ROOT,
    KeylessIdentity,
    trusted_root_verifier,
)
from seccli.supplychain.dsse import predicate_type
from seccli.supplychain.keys import MAX_KEY_FILE_BYTES, PublicKey, load_public_key

API_VERSION = "seccli.dev/v1alpha1"
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class Mode(StrEnum):
    """What a failed verification does."""

    ENFORCE = "enforce"
    WARN = "warn"


class KeySpec(DocumentModel):
    """A public key: a PEM file (relative to the policy) or inline PEM."""

    path: str | None = None
    """A PEM public-key file, relative to the policy file (or absolute)."""
    pem: str | None = None
    """An inline PEM public key (instead of ``path``)."""

    @model_validator(mode="after")
    def _one(self) -> KeySpec:
        if (self.path is None) == (self.pem is None):
            raise ValueError("give exactly one of 'path' and 'pem'")
        return self


class KeylessSpec(DocumentModel):
    """A keyless (Fulcio certificate) signer: identity and issuer, exact or regex."""

    identity: str | None = None
    """The exact certificate identity (SAN), e.g. a workflow URI or an e-mail address."""
    identity_regex: str | None = Field(None, alias="identityRegex")
    """A Python regular expression the whole identity must match (instead of ``identity``)."""
    issuer: str | None = None
    """The exact OIDC issuer, e.g. ``https://token.actions.githubusercontent.com``."""
    issuer_regex: str | None = Field(None, alias="issuerRegex")
    """A Python regular expression the whole issuer must match (instead of ``issuer``)."""
    trusted_root: str | None = Field(None, alias="trustedRoot")
    """This authority's trusted root (``sigstore:production``, ``sigstore:staging`` or a
    ``trusted_root.json`` path); default: the policy's ``trustedRoot``."""

    @model_validator(mode="after")
    def _check(self) -> KeylessSpec:
        if (self.identity is None) == (self.identity_regex is None):
            raise ValueError("give exactly one of 'identity' and 'identityRegex'")
        if (self.issuer is None) == (self.issuer_regex is None):
            raise ValueError("give exactly one of 'issuer' and 'issuerRegex'")
        for pattern in (self.identity_regex, self.issuer_regex):
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return self


class AuthoritySpec(DocumentModel):
    """A named signer: a key or a keyless identity."""

    name: str = Field(min_length=1)
    """The name image rules and attestations use to refer to this authority (unique)."""
    key: KeySpec | None = None
    """A public key that signs (exactly one of ``key`` and ``keyless``)."""
    keyless: KeylessSpec | None = None
    """A keyless (Fulcio certificate) identity that signs."""

    @model_validator(mode="after")
    def _one(self) -> AuthoritySpec:
        if (self.key is None) == (self.keyless is None):
            raise ValueError("an authority has exactly one of 'key' and 'keyless'")
        return self


class AttestationSpec(DocumentModel):
    """An attestation an image must carry."""

    predicate_type: str = Field(alias="predicateType", min_length=1)
    """The in-toto predicate type: a URI or an alias such as ``slsaprovenance1``."""
    authorities: list[str] | None = None
    """Authorities that may sign the attestation; default: the image rule's authorities."""
    max_age: str | None = Field(None, alias="maxAge")
    """The oldest acceptable attestation: a number and a unit s, m, h, d or w (``720h``);
    needs a timestamp (the signed time or the predicate's)."""

    @model_validator(mode="after")
    def _check(self) -> AttestationSpec:
        if self.max_age is not None and not _DURATION.match(self.max_age):
            raise ValueError("maxAge is a number and a unit s, m, h, d or w (e.g. 720h)")
        return self


class ImageRule(DocumentModel):
    """Which authorities sign the images matching ``glob``, and what else is required."""

    glob: str = Field(min_length=1)
    """Images this rule covers, matched on the normalised name ``registry/repository``:
    ``*`` within one path segment, ``**`` across segments, ``?`` one character. The first
    matching rule wins; an image no rule matches is denied."""
    mode: Mode = Mode.ENFORCE
    """``enforce``: a failed verification blocks; ``warn``: it is reported, never blocks."""
    authorities: list[str] = Field(min_length=1)
    """Names of the authorities any one of which may sign the image."""
    attestations: list[AttestationSpec] = Field(default_factory=list)
    """Attestations the image must also carry."""
    platforms: Literal["index", "all"] = "index"
    """``index``: the image index must be signed; ``all``: every platform manifest too."""


class Metadata(DocumentModel):
    """Document metadata."""

    name: str = "default"
    """The policy's name (shown in verdicts)."""


class TrustPolicySpec(DocumentModel):
    """The body of a trust policy."""

    trusted_root: str = Field(PRODUCTION_ROOT, alias="trustedRoot")
    """The Sigstore trusted root: ``sigstore:production``, ``sigstore:staging`` or a
    ``trusted_root.json`` path relative to the policy file."""
    require_digest: bool = Field(False, alias="requireDigest")
    """True: images referenced by tag are denied, even when signed."""
    cache_ttl: int = Field(3600, alias="cacheTTL", ge=0)
    """Seconds a successful verification stays cached (0: no caching)."""
    authorities: list[AuthoritySpec] = Field(min_length=1)
    """The signers the image rules may name."""
    images: list[ImageRule] = Field(min_length=1)
    """Image rules, in order: the first whose glob matches an image decides."""


class TrustPolicyDocument(UserDocument):
    """A ``kind: TrustPolicy`` document."""

    api_version: Literal["seccli.dev/v1alpha1"] = Field(alias="apiVersion")
    """The document format version."""
    kind: Literal["TrustPolicy"]
    """Always ``TrustPolicy``."""
    metadata: Metadata = Field(default_factory=Metadata)
    """Document metadata."""
    spec: TrustPolicySpec
    """The policy."""


# --- the resolved policy ----------------------------------------------------------------


@dataclass(frozen=True)
class Authority:
    """A resolved authority: a loaded key, or a keyless identity with its trusted root."""

    name: str
    key: PublicKey | None
    identity: KeylessIdentity | None
    trusted_root: str


@dataclass(frozen=True)
class AttestationRule:
    """A resolved attestation requirement."""

    predicate_type: str
    authorities: tuple[Authority, ...]
    max_age_s: int | None


@dataclass(frozen=True)
class ImagePolicy:
    """A resolved image rule."""

    index: int
    glob: str
    pattern: re.Pattern[str]
    mode: Mode
    authorities: tuple[Authority, ...]
    attestations: tuple[AttestationRule, ...]
    all_platforms: bool


@dataclass(frozen=True)
class TrustPolicy:
    """A validated trust policy with keys loaded and trusted roots checked."""

    name: str
    source: str
    digest: str
    require_digest: bool
    cache_ttl: int
    rules: tuple[ImagePolicy, ...]

    def rule_for(self, name: str) -> ImagePolicy | None:
        """The first rule whose glob matches ``registry/repository``."""
        return next((rule for rule in self.rules if rule.pattern.fullmatch(name)), None)


def glob_pattern(glob: str) -> re.Pattern[str]:
    """Compile an image glob: ``**`` any characters, ``*`` no ``/``, ``?`` one non-``/``."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out))


def parse_duration(text: str) -> int:
    """Seconds in ``30d``, ``12h``, ``15m``..."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"bad duration {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def load_trust_policy(path: Path) -> TrustPolicy:
    """Load, validate and resolve a trust policy; every problem is reported with its line."""
    document = load_document(path)
    return trust_policy_from_document(document, path.parent)


def _resolve_root(value: str, base: Path) -> str:
    if value in {PRODUCTION_ROOT, STAGING_ROOT}:
        return value
    candidate = Path(value)
    return str(candidate if candidate.is_absolute() else base / candidate)


def trust_policy_from_document(document: Document, base: Path) -> TrustPolicy:
    """Validate a parsed document as a trust policy (paths relative to ``base``)."""
    model = validate_user_document(document, TrustPolicyDocument, what="a TrustPolicy")
    spec = model.spec
    problems: list[Problem] = []
    authorities: dict[str, Authority] = {}
    key_material: list[Any] = []
    default_root = _resolve_root(spec.trusted_root, base)
    for index, item in enumerate(spec.authorities):
        where = ("spec", "authorities", index)
        if item.name in authorities:
            problems.append(
                Problem(document.locate((*where, "name")), f"duplicate authority {item.name!r}")
            )
            continue
        try:
            if item.key is not None:
                if item.key.path is not None:
                    key_path = Path(item.key.path)
                    key_path = key_path if key_path.is_absolute() else base / key_path
                    try:
                        pem = read_file_bytes(key_path, MAX_KEY_FILE_BYTES)
                    except InputError as exc:
                        raise InputError(f"cannot read key: {exc.message}") from None
                else:
                    pem = (item.key.pem or "").encode()
                key = load_public_key(pem, item.name, f"authority {item.name!r}")
                authorities[item.name] = Authority(item.name, key, None, default_root)
                key_material.append(key.key_id)
            elif item.keyless is not None:
                spec_kl = item.keyless
                root = (
                    _resolve_root(spec_kl.trusted_root, base)
                    if spec_kl.trusted_root
                    else default_root
                )
                trusted_root_verifier(root)
                identity = KeylessIdentity(
                    item.name,
                    spec_kl.identity,
                    spec_kl.identity_regex,
                    spec_kl.issuer,
                    spec_kl.issuer_regex,
                )
                authorities[item.name] = Authority(item.name, None, identity, root)
                key_material.append(_root_digest(root))
        except InputError as exc:
            field = "key" if item.key is not None else "keyless"
            problems.append(Problem(document.locate((*where, field)), exc.message))
    rules: list[ImagePolicy] = []
    for index, rule in enumerate(spec.images):
        where = ("spec", "images", index)
        chosen: list[Authority] = []
        for position, name in enumerate(rule.authorities):
            if name not in authorities:
                problems.append(
                    Problem(
                        document.locate((*where, "authorities", position)),
                        f"unknown authority {name!r}",
                    )
                )
            else:
                chosen.append(authorities[name])
        attestations: list[AttestationRule] = []
        for a_index, att in enumerate(rule.attestations):
            names = att.authorities if att.authorities is not None else rule.authorities
            att_auth: list[Authority] = []
            for position, name in enumerate(names):
                if name not in authorities:
                    problems.append(
                        Problem(
                            document.locate(
                                (*where, "attestations", a_index, "authorities", position)
                            ),
                            f"unknown authority {name!r}",
                        )
                    )
                else:
                    att_auth.append(authorities[name])
            max_age = parse_duration(att.max_age) if att.max_age else None
            attestations.append(
                AttestationRule(predicate_type(att.predicate_type), tuple(att_auth), max_age)
            )
        rules.append(
            ImagePolicy(
                index,
                rule.glob,
                glob_pattern(rule.glob),
                rule.mode,
                tuple(chosen),
                tuple(attestations),
                rule.platforms == "all",
            )
        )
    if problems:
        raise DocumentInvalid(problems)
    digest = sha256_hex(
        canonical_json(
            {"policy": model.model_dump(mode="json", by_alias=True), "keys": key_material}
        )
    )
    return TrustPolicy(
        model.metadata.name,
        document.source,
        digest,
        spec.require_digest,
        spec.cache_ttl,
        tuple(rules),
    )


def _root_digest(root: str) -> str:
    if root in {PRODUCTION_ROOT, STAGING_ROOT}:
        return root
    try:
        return sha256_hex(read_file_bytes(Path(root), MAX_BUNDLE_BYTES))
    except InputError:
        return root


def trust_policy_schema() -> dict[str, Any]:
    """The JSON Schema of a TrustPolicy document."""
    return document_schema(TrustPolicyDocument, "trust-policy")

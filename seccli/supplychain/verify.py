"""The supply-chain gate: every image checked against the trust policy, with a verdict and why.

For each distinct image (references written several times are checked once):
1. the first policy rule whose glob matches ``registry/repository`` applies; none → blocked;
2. a tag is resolved to its digest (and reported); with ``requireDigest`` an unpinned reference
   is blocked even when signed;
3. signatures: cosign key-based signatures at ``sha256-<hex>.sig`` and Sigstore bundles attached
   as referrers (keyless or key-based); at least one must verify and come from one of the rule's
   authorities;
4. multi-arch: the digest the manifest names (the index) must be signed; with
   ``platforms: all`` every platform manifest must be signed too (attestation manifests that
   BuildKit lists in an index are not platforms and are skipped). An index listing more than
   ``max_platforms`` platforms is blocked unread, and the platforms are walked only while the
   verdict is open: an unsigned index, or the first unsigned platform, ends the walk;
5. attestations: for each required predicate type, a DSSE in-toto statement signed by one of its
   authorities whose subject digest is the image's, and, with ``maxAge``, not older than that
   (timestamp: the verified signing time, else the predicate's own; none → blocked);
6. any error — unreachable registry, timeout, malformed manifest or bundle, unknown key type,
   even a bug — is a block with the reason (``dependency_failure`` marks the blocks where the
   registry or seccli itself failed rather than the image); each image has an overall deadline
   (``image_timeout``) over all its requests, besides each request's own. Only passes are
   cached, keyed by (image, digest, policy hash), and only authenticated entries are used (see
   ``cache``; one that fails is reported in ``notes`` and the image verified again); a
   reference pinned by digest with a fresh cached pass is answered from the cache without
   contacting the registry (the digest is immutable; the TTL bounds how long a revoked key or
   a changed attestation can go unnoticed).

Mode ``warn`` turns a block into a warning (reported, not blocking). No rule → always blocked.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from seccli.core.clock import Clock, SystemClock
from seccli.core.errors import DependencyError, SeccliError
from seccli.core.hashing import canonical_json, sha256_hex
from seccli.core.imageref import ImageRef
from seccli.core.location import Location
from seccli.supplychain.bundles import BUNDLE_ARTIFACT_TYPE, BUNDLE_MEDIA_TYPES, verify_bundle
from seccli.supplychain.cache import VerificationCache
from seccli.supplychain.cosign import verify_cosign_signatures
from seccli.supplychain.deadlines import overall_deadline
from seccli.supplychain.dsse import COSIGN_SIGN_PREDICATE
from seccli.supplychain.policy import Authority, ImagePolicy, Mode, TrustPolicy
from seccli.supplychain.refs import FoundImage
from seccli.supplychain.registry import (
    DeadlineExceeded,
    Descriptor,
    ManifestNotFound,
    RegistryClient,
    RegistryError,
)

MAX_REFERRERS = 32
MAX_BUNDLE_LAYER_BYTES = 4 * 1024 * 1024
MAX_PLATFORMS = 64
DEFAULT_IMAGE_TIMEOUT_S = 60.0
_ATTESTATION_REFERENCE = "vnd.docker.reference.type"
_UNPINNED_WITHOUT_REGISTRY = (
    "not pinned by digest (the policy requires a digest; blocked whatever the registry answers)"
)


class Verdict(StrEnum):
    """The gate's answer for one image."""

    PASS = "pass"
    WARN = "warn"
    BLOCK = "block"


@dataclass(frozen=True)
class ImageVerdict:
    """One image: its verdict, the reasons, who signed it and what is attested."""

    reference: str
    locations: tuple[Location, ...]
    verdict: Verdict
    reasons: tuple[str, ...]
    digest: str | None = None
    pinned: bool = False
    rule: str | None = None
    signers: tuple[str, ...] = ()
    attestations: tuple[str, ...] = ()
    cached: bool = False
    dependency_failure: bool = False
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Stable JSON for reports."""
        return {
            "reference": self.reference,
            "verdict": self.verdict.value,
            "reasons": list(self.reasons),
            "digest": self.digest,
            "pinned": self.pinned,
            "rule": self.rule,
            "signers": list(self.signers),
            "attestations": list(self.attestations),
            "cached": self.cached,
            "dependencyFailure": self.dependency_failure,
            "notes": list(self.notes),
            "locations": [
                {"file": loc.file, "line": loc.line, "path": loc.path} for loc in self.locations
            ],
        }


@dataclass
class _Evidence:
    """Verified signatures and attestations of one digest, and why others failed."""

    signers: dict[str, str] = field(default_factory=dict)  # authority -> description
    statements: list[tuple[str, str, Any, datetime | None]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class Gate:
    """Verifies images against a trust policy; thread-safe, share one registry client."""

    def __init__(
        self,
        policy: TrustPolicy,
        client: RegistryClient,
        *,
        cache: VerificationCache | None = None,
        clock: Clock | None = None,
        require_digest: bool = False,
        workers: int = 16,
        image_timeout: float | None = DEFAULT_IMAGE_TIMEOUT_S,
        max_platforms: int = MAX_PLATFORMS,
    ) -> None:
        self.policy = policy
        self.client = client
        self.cache = cache
        self.clock = clock or SystemClock()
        self.require_digest = require_digest or policy.require_digest
        self.workers = max(1, workers)
        self.image_timeout = image_timeout
        self.max_platforms = max(1, max_platforms)
        # Cached passes are valid only for the policy and the gate settings that judged them.
        self.cache_scope = sha256_hex(
            canonical_json({"policy": policy.digest, "maxPlatforms": self.max_platforms})
        )
        self._lock = threading.Lock()

    # --- many images ----------------------------------------------------------------------

    def verify_found(self, found: Sequence[FoundImage]) -> list[ImageVerdict]:
        """Verdicts for found references: one per distinct image, in first-seen order."""
        groups: dict[str, list[FoundImage]] = {}
        for item in found:
            groups.setdefault(item.normalised, []).append(item)
        jobs = list(groups.values())

        def run(items: list[FoundImage]) -> ImageVerdict:
            locations = tuple(item.location for item in items)
            first = items[0]
            if first.ref is None:
                return ImageVerdict(
                    first.text,
                    locations,
                    Verdict.BLOCK,
                    (f"unparsable image reference: {first.error}",),
                )
            return self.verify(first.ref, locations)

        if len(jobs) <= 1 or self.workers == 1:
            return [run(items) for items in jobs]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(jobs))) as pool:
            return list(pool.map(run, jobs))

    # --- one image ------------------------------------------------------------------------

    def verify(self, ref: ImageRef, locations: tuple[Location, ...] = ()) -> ImageVerdict:
        """The verdict for one image; never raises, never allows on error or time-out."""
        notes: list[str] = []
        try:
            with overall_deadline(self.image_timeout):
                verdict = self._verify(ref, locations, notes)
        except DeadlineExceeded as exc:
            verdict = self._error(
                ref, locations, f"timed out: no verdict within {self.image_timeout:g} s ({exc})"
            )
        except ManifestNotFound as exc:
            verdict = self._error(ref, locations, str(exc), dependency=False)
        except DependencyError as exc:
            verdict = self._error(ref, locations, str(exc))
        except SeccliError as exc:
            verdict = self._error(ref, locations, str(exc), dependency=False)
        except Exception as exc:  # fail closed on anything unexpected
            verdict = self._error(
                ref, locations, f"verification error ({type(exc).__name__}): {exc}"
            )
        return replace(verdict, notes=tuple(notes)) if notes else verdict

    @staticmethod
    def _error(
        ref: ImageRef, locations: tuple[Location, ...], reason: str, *, dependency: bool = True
    ) -> ImageVerdict:
        return ImageVerdict(
            str(ref),
            locations,
            Verdict.BLOCK,
            (reason,),
            pinned=ref.pinned,
            dependency_failure=dependency,
        )

    def _verify(
        self, ref: ImageRef, locations: tuple[Location, ...], notes: list[str]
    ) -> ImageVerdict:
        reference = str(ref)
        rule = self.policy.rule_for(ref.name)
        if rule is None:
            return ImageVerdict(
                reference,
                locations,
                Verdict.BLOCK,
                (f"no trust policy rule matches {ref.name}",),
                pinned=ref.pinned,
            )
        rule_label = f"images[{rule.index}] {rule.glob}"
        reasons: list[str] = []
        failures: list[str] = []
        # Decided without the registry: said first, whatever the registry answers.
        undigested = self.require_digest and not ref.pinned
        if ref.digest is not None:
            # A digest is immutable: a cached pass for it needs no registry round trip.
            cached = self._cached(ref, ref.digest, locations, rule_label, reasons, notes)
            if cached is not None:
                return cached
        try:
            manifest = self.client.get_manifest(
                ref.registry, ref.repository, ref.digest or ref.tag or "latest"
            )
        except DeadlineExceeded:
            raise
        except RegistryError as exc:
            decided = [_UNPINNED_WITHOUT_REGISTRY] if undigested else []
            verdict = self._decide(
                ref, locations, rule, rule_label, None, [], [*decided, f"registry: {exc}"], [], []
            )
            return replace(verdict, dependency_failure=not isinstance(exc, ManifestNotFound))
        digest = manifest.digest
        if not ref.pinned:
            message = f"tag {ref.tag} resolved to {digest}"
            if undigested:
                failures.append(f"not pinned by digest ({message})")
            else:
                reasons.append(message)
        platforms: list[Descriptor] = []
        if manifest.is_index:
            platforms = [
                entry
                for entry in manifest.manifests()
                if _ATTESTATION_REFERENCE not in entry.annotations
            ]
            if len(platforms) > self.max_platforms:
                failures.append(
                    f"index lists {len(platforms):,} platform manifests, over the limit of "
                    f"{self.max_platforms}; not verified"
                )
                return self._decide(
                    ref, locations, rule, rule_label, digest, reasons, failures, [], []
                )
        if not failures:
            cached = self._cached(ref, digest, locations, rule_label, reasons, notes)
            if cached is not None:
                return cached
        evidence = self._evidence(ref, digest, rule)
        signers = [
            f"{name}: {desc}"
            for name, desc in evidence.signers.items()
            if name in {a.name for a in rule.authorities}
        ]
        if signers:
            reasons.append("signed (" + "; ".join(signers) + ")")
        else:
            detail = "; ".join(dict.fromkeys(evidence.failures)) or "no signature found"
            failures.append(f"not signed by a trusted authority: {detail}")
        if manifest.is_index and rule.all_platforms and not failures:
            # Walked only while the verdict is open: an unsigned index is blocked already.
            failures.extend(self._platform_failures(ref, platforms, rule))
        attested: list[str] = []
        for requirement in rule.attestations:
            ok, message = self._attestation(requirement, evidence)
            (attested if ok else failures).append(message)
        return self._decide(
            ref, locations, rule, rule_label, digest, reasons, failures, signers, attested
        )

    def _cached(
        self,
        ref: ImageRef,
        digest: str,
        locations: tuple[Location, ...],
        rule_label: str,
        reasons: list[str],
        notes: list[str],
    ) -> ImageVerdict | None:
        if self.cache is None:
            return None
        lookup = self.cache.lookup(ref.name, digest, self.cache_scope)
        if lookup.problem is not None:
            notes.append(f"{lookup.problem}; verified again")
        hit = lookup.result
        if hit is None:
            return None
        fields = [hit.get(name, []) for name in ("reasons", "signers", "attestations")]
        if not all(isinstance(f, list) and all(isinstance(x, str) for x in f) for f in fields):
            notes.append(f"cache entry for {ref.name}@{digest} is malformed; verified again")
            return None
        cached_reasons, signers, attested = fields
        return ImageVerdict(
            str(ref),
            locations,
            Verdict.PASS,
            tuple(reasons) + tuple(cached_reasons),
            digest,
            ref.pinned,
            rule_label,
            tuple(signers),
            tuple(attested),
            cached=True,
        )

    def _decide(
        self,
        ref: ImageRef,
        locations: tuple[Location, ...],
        rule: ImagePolicy,
        rule_label: str,
        digest: str | None,
        reasons: list[str],
        failures: list[str],
        signers: list[str],
        attested: list[str],
    ) -> ImageVerdict:
        if failures:
            verdict = Verdict.BLOCK if rule.mode is Mode.ENFORCE else Verdict.WARN
            return ImageVerdict(
                str(ref),
                locations,
                verdict,
                tuple(failures + reasons),
                digest,
                ref.pinned,
                rule_label,
                tuple(signers),
                tuple(attested),
            )
        result = ImageVerdict(
            str(ref),
            locations,
            Verdict.PASS,
            tuple(reasons),
            digest,
            ref.pinned,
            rule_label,
            tuple(signers),
            tuple(attested),
        )
        if self.cache is not None and digest is not None:
            cacheable = [r for r in reasons if not r.startswith("tag ")]
            self.cache.put(
                ref.name,
                digest,
                self.cache_scope,
                {"reasons": cacheable, "signers": signers, "attestations": attested},
                self.policy.cache_ttl,
            )
        return result

    def _authorities(self, rule: ImagePolicy) -> list[Authority]:
        seen: dict[str, Authority] = {a.name: a for a in rule.authorities}
        for requirement in rule.attestations:
            for authority in requirement.authorities:
                seen.setdefault(authority.name, authority)
        return list(seen.values())

    def _evidence(self, ref: ImageRef, digest: str, rule: ImagePolicy) -> _Evidence:
        evidence = _Evidence()
        authorities = self._authorities(rule)
        keys = [a.key for a in authorities if a.key is not None]
        for check in verify_cosign_signatures(
            self.client, ref.registry, ref.repository, digest, keys
        ):
            if check.ok and check.authority:
                evidence.signers.setdefault(check.authority, "cosign signature")
            else:
                evidence.failures.append(check.reason)
        referrers = self.client.referrers(ref.registry, ref.repository, digest)
        bundles = [d for d in referrers if d.artifact_type == BUNDLE_ARTIFACT_TYPE]
        if len(bundles) > MAX_REFERRERS:
            evidence.failures.append(f"{len(bundles)} bundle referrers; only {MAX_REFERRERS} read")
        for descriptor in bundles[:MAX_REFERRERS]:
            self._check_bundle(ref, digest, descriptor.digest, authorities, evidence)
        return evidence

    def _check_bundle(
        self,
        ref: ImageRef,
        digest: str,
        manifest_digest: str,
        authorities: list[Authority],
        evidence: _Evidence,
    ) -> None:
        referrer = self.client.get_manifest(ref.registry, ref.repository, manifest_digest)
        subject = referrer.subject
        if subject is None or subject.digest != digest:
            evidence.failures.append("a bundle referrer names another subject")
            return
        layers = [layer for layer in referrer.layers() if layer.media_type in BUNDLE_MEDIA_TYPES]
        if not layers:
            evidence.failures.append("a bundle referrer has no bundle layer")
            return
        raw = self.client.get_blob(
            ref.registry, ref.repository, layers[0].digest, max_bytes=MAX_BUNDLE_LAYER_BYTES
        )
        keys = [a.key for a in authorities if a.key is not None]
        roots: dict[str, list[Authority]] = {}
        for authority in authorities:
            if authority.identity is not None:
                roots.setdefault(authority.trusted_root, []).append(authority)
        attempts: list[tuple[str, list[Any], list[Any]]] = []
        if keys:
            attempts.append(("", keys, []))
        for root, members in roots.items():
            attempts.append((root, [], [a.identity for a in members]))
        if not attempts:
            evidence.failures.append("bundle found, but the rule names no usable authority")
            return
        reasons: list[str] = []
        for root, attempt_keys, identities in attempts:
            kwargs: dict[str, Any] = {"keys": attempt_keys, "identities": identities}
            if root:
                kwargs["trusted_root"] = root
            result = verify_bundle(raw, digest, **kwargs)
            if not result.ok:
                reasons.append(result.reason)
                continue
            signer_name = result.authority or "?"
            statement = result.statement
            if statement is None or statement.predicate_type == COSIGN_SIGN_PREDICATE:
                evidence.signers.setdefault(signer_name, f"Sigstore bundle, {result.signer}")
            if statement is not None:
                evidence.statements.append(
                    (statement.predicate_type, signer_name, statement.predicate, result.signed_time)
                )
            return
        evidence.failures.append("bundle: " + " / ".join(dict.fromkeys(reasons)))

    def _platform_failures(
        self, ref: ImageRef, platforms: list[Descriptor], rule: ImagePolicy
    ) -> list[str]:
        """The first unsigned platform manifest, if any (the verdict is decided there)."""
        names = {a.name for a in rule.authorities}
        for number, entry in enumerate(platforms):
            evidence = self._evidence(ref, entry.digest, rule)
            if not names & set(evidence.signers):
                platform = entry.platform or {}
                label = "/".join(
                    str(platform[k]) for k in ("os", "architecture", "variant") if k in platform
                )
                rest = len(platforms) - number - 1
                unchecked = f" ({rest} more not checked)" if rest else ""
                return [f"platform manifest {label or entry.digest} is not signed{unchecked}"]
        return []

    def _attestation(self, requirement: Any, evidence: _Evidence) -> tuple[bool, str]:
        names = {a.name for a in requirement.authorities}
        kind = requirement.predicate_type
        candidates = [s for s in evidence.statements if s[0] == kind and s[1] in names]
        if not candidates:
            return False, f"missing attestation {kind} from {', '.join(sorted(names))}"
        if requirement.max_age_s is None:
            return True, f"attestation {kind} by {candidates[0][1]}"
        now = self.clock.now()
        stale: list[str] = []
        for _, authority, predicate, signed_time in candidates:
            moment = signed_time or predicate_time(predicate)
            if moment is None:
                stale.append("has no timestamp")
                continue
            age = (now - moment).total_seconds()
            if age <= requirement.max_age_s:
                return True, f"attestation {kind} by {authority} ({int(age // 3600)} h old)"
            stale.append(f"expired ({int(age // 86400)} days old)")
        return False, f"attestation {kind} " + ", ".join(dict.fromkeys(stale))


_TIME_FIELDS: tuple[tuple[str, ...], ...] = (
    ("runDetails", "metadata", "finishedOn"),
    ("runDetails", "metadata", "startedOn"),
    ("metadata", "buildFinishedOn"),
    ("metadata", "buildStartedOn"),
    ("metadata", "timestamp"),
    ("creationInfo", "created"),
    ("timestamp",),
)


def predicate_time(predicate: Any) -> datetime | None:
    """A timestamp the predicate itself carries (SLSA, CycloneDX, SPDX), if any."""
    for path in _TIME_FIELDS:
        node = predicate
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str):
            try:
                moment = datetime.fromisoformat(node.replace("Z", "+00:00"))
            except ValueError:
                continue
            if moment.tzinfo is not None:
                return moment
    return None


def summarise(verdicts: Sequence[ImageVerdict]) -> dict[str, int]:
    """Counts per verdict."""
    counts = {verdict.value: 0 for verdict in Verdict}
    for item in verdicts:
        counts[item.verdict.value] += 1
    return counts

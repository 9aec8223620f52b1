"""``images list`` and ``images verify`` as capabilities: inputs in, result objects out.

The command line parses options, calls these and renders the result; the audit payload, the
run summary and the exit code are part of the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from seccli.core.errors import ExitCode, InputError, SeccliError

if TYPE_CHECKING:
    from seccli.manifests.walk import SkippedFile, WalkOptions
    from seccli.render.model import FindingsReport
    from seccli.supplychain.cache import SqliteCache, VerificationCache
    from seccli.supplychain.policy import TrustPolicy
    from seccli.supplychain.refs import FoundImage
    from seccli.supplychain.registry import RegistryClient
    from seccli.supplychain.verify import ImageVerdict


def _require_inputs(paths: Sequence[Path], estate: Path | None) -> None:
    if not paths and estate is None:
        raise InputError("give files or folders to read (or --estate FILE)")


@dataclass(frozen=True)
class ImageListing:
    """Every image reference found, in the order written."""

    images: list[FoundImage]
    skipped: list[SkippedFile] = field(default_factory=list)

    @property
    def distinct(self) -> int:
        """How many different images the references name."""
        return len({item.normalised for item in self.images})

    def to_json(self) -> dict[str, Any]:
        """The JSON body of ``images list``."""
        return {
            "images": [
                {
                    "reference": item.text,
                    "normalised": str(item.ref) if item.ref else None,
                    "pinned": bool(item.ref and item.ref.pinned),
                    "error": item.error,
                    "source": item.source_kind,
                    "file": item.location.file,
                    "line": item.location.line,
                    "path": item.location.path,
                }
                for item in self.images
            ]
        }


def list_images(
    paths: Sequence[Path],
    estate: Path | None,
    stdin: IO[bytes] | None = None,
    options: WalkOptions | None = None,
) -> ImageListing:
    """Every image reference of ``paths`` (``-`` reads ``stdin``) and of the estate's services;
    ``options`` say what a folder walk leaves out."""
    from seccli.supplychain.refs import images_in_estate, scan_inputs

    _require_inputs(paths, estate)
    inputs = scan_inputs(paths, stdin=stdin, options=options)
    found = [image for item in inputs for image in item.images]
    if estate is not None:
        found.extend(images_in_estate(estate))
    return ImageListing(found, [skip for item in inputs for skip in item.skipped])


@dataclass(frozen=True)
class GateInputs:
    """The images to judge, and notes about inputs that held none (allowed by the caller)."""

    images: list[FoundImage]
    notes: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def gate_inputs(
    paths: Sequence[Path],
    estate: Path | None,
    stdin: IO[bytes] | None = None,
    *,
    allow_empty: bool = False,
    options: WalkOptions | None = None,
) -> GateInputs:
    """The images of every input; an input holding none is an input error unless allowed.
    ``options`` say what a folder walk leaves out."""
    from seccli.supplychain.refs import images_in_estate, scan_inputs

    _require_inputs(paths, estate)
    found: list[FoundImage] = []
    empty: list[str] = []
    skipped: list[SkippedFile] = []
    for item in scan_inputs(paths, stdin=stdin, options=options):
        found.extend(item.images)
        skipped.extend(item.skipped)
        if item.emptiness is not None:
            empty.append(item.emptiness)
    if estate is not None:
        services = images_in_estate(estate)
        found.extend(services)
        if not services:
            empty.append(f"{estate}: the estate declares no service images")
    if empty and not allow_empty:
        raise InputError(
            "nothing to verify: " + "; ".join(empty),
            hint="pass --allow-empty if an input without images is expected",
        )
    allowed = [f"{reason} (allowed by --allow-empty)" for reason in empty]
    return GateInputs(found, allowed, skipped)


def load_gate_policy(path: Path) -> TrustPolicy:
    """The trust policy; a broken one is a dependency failure (exit 3): the gate cannot decide."""
    from seccli.supplychain.policy import load_trust_policy

    try:
        return load_trust_policy(path)
    except SeccliError as exc:
        exc.exit_code = ExitCode.DEPENDENCY
        raise


def open_gate_cache(store_path: Path, key_path: Path) -> tuple[SqliteCache | None, str | None]:
    """The verification cache beside the store, or ``None`` and why it is not used."""
    from seccli.supplychain.cache import CacheKeyError, open_cache_key
    from seccli.supplychain.cache import SqliteCache as Cache

    try:
        return Cache(store_path, open_cache_key(key_path)), None
    except CacheKeyError as exc:
        return None, f"verification cache not used: {exc}"


@dataclass(frozen=True)
class GateSettings:
    """How the gate judges: the command line's knobs."""

    require_digest: bool = False
    workers: int = 16
    image_timeout: float = 60.0
    max_platforms: int = 64


@dataclass(frozen=True)
class GateRun:
    """The verdicts of one gate run, with what the command reports and records."""

    policy: TrustPolicy
    verdicts: list[ImageVerdict]
    notes: list[str]

    @property
    def counts(self) -> dict[str, int]:
        """Images per verdict."""
        from seccli.supplychain.verify import summarise

        return summarise(self.verdicts)

    @property
    def exit_code(self) -> ExitCode:
        """3 when a registry or seccli failed on a blocked image, 1 when any is blocked, else 0."""
        from seccli.supplychain.verify import Verdict

        blocked = [v for v in self.verdicts if v.verdict is Verdict.BLOCK]
        if any(v.dependency_failure for v in blocked):
            return ExitCode.DEPENDENCY
        return ExitCode.VIOLATIONS if blocked else ExitCode.OK

    @property
    def all_notes(self) -> list[str]:
        """The run's notes, then each image's."""
        return self.notes + [n for v in self.verdicts for n in v.notes]

    def audit_payload(self) -> dict[str, Any]:
        """What the audit entry records (at most ten reasons per image)."""
        return {
            "policy": self.policy.name,
            "policyDigest": self.policy.digest,
            "counts": self.counts,
            "notes": self.all_notes,
            "images": [
                {
                    "reference": v.reference,
                    "digest": v.digest,
                    "verdict": v.verdict.value,
                    "reasons": list(v.reasons)[:10],
                    "signers": list(v.signers),
                    "attestations": list(v.attestations),
                }
                for v in self.verdicts
            ],
        }

    def to_json(self) -> dict[str, Any]:
        """The JSON body of ``images verify``."""
        return {
            "policy": {"name": self.policy.name, "digest": self.policy.digest},
            "summary": self.counts,
            "notes": self.notes,
            "images": [v.to_json() for v in self.verdicts],
        }

    def findings_report(self, source_root: Path | None) -> FindingsReport:
        """Blocked and warned images as findings (paths relative to ``source_root``)."""
        from seccli.supplychain.gate_findings import verdicts_report

        return verdicts_report(self.verdicts, source_root)


def run_gate(
    policy: TrustPolicy,
    inputs: GateInputs,
    client: RegistryClient,
    *,
    cache: VerificationCache | None = None,
    settings: GateSettings | None = None,
    notes: Sequence[str] = (),
) -> GateRun:
    """Judge every image of ``inputs`` against ``policy`` (never raises for an image)."""
    from seccli.supplychain.verify import Gate

    chosen = settings or GateSettings()
    gate = Gate(
        policy,
        client,
        cache=cache,
        require_digest=chosen.require_digest,
        workers=chosen.workers,
        image_timeout=chosen.image_timeout,
        max_platforms=chosen.max_platforms,
    )
    verdicts = gate.verify_found(inputs.images)
    return GateRun(policy, verdicts, [*inputs.notes, *notes])

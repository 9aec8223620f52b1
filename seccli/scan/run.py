"""``seccli scan`` as one capability: scan, gate, record the run, and say what to render.

``scan_repository`` takes a ``ScanRequest`` (what the command line asked for), runs the
scanners, applies the baseline and suppressions, records the run with its audit entry and the
findings history, and returns a ``ScanResult``: the report, the gate verdict, the summary and
the audit payload, and the findings with paths relative to the source root for rendering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seccli.core.errors import InputError
from seccli.core.findings import Finding
from seccli.core.redaction import DEFAULT_REDACTOR, Redactor
from seccli.core.severity import Severity
from seccli.render.findings_json import severity_counts
from seccli.render.model import FindingsReport
from seccli.scan.engine import ScanEvent, ScanOptions, run_scan
from seccli.scan.gate import GateResult, evaluate, record
from seccli.scan.model import ScanReport
from seccli.scan.paths import rebase, source_root
from seccli.store.interface import FindingsDelta, Store

DEFAULT_SUPPRESSIONS = ".seccli-suppressions.yaml"
NO_THRESHOLD = "none"


def parse_threshold(value: str, option: str = "--fail-on") -> Severity | None:
    """A ``--fail-on`` value: a severity, or ``none`` (findings never fail the run)."""
    if value.strip().lower() == NO_THRESHOLD:
        return None
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise InputError(f"{option}: {exc}", hint="or 'none' to report without failing") from None


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """What to scan and how to judge it (``threshold`` ``None``: findings never fail)."""

    target: Path
    threshold: Severity | None = Severity.HIGH
    options: ScanOptions = field(default_factory=ScanOptions)
    baseline: Path | None = None
    suppressions: Path | None = None
    estate: Path | None = None
    cache_path: Path | None = None  # the state database holding the scan cache; None: no cache
    scope: str | None = None
    cwd: Path | None = None


@dataclass(frozen=True, slots=True)
class ScanResult:
    """A finished scan: the report, the gate's verdict, and where paths are relative to.

    ``findings`` are the gate's remaining findings with paths relative to ``source_root``
    (the repository root), which is what every output shows; ``report.findings`` keep paths
    relative to the scanned folder (fingerprints, baselines, suppressions, history).
    """

    request: ScanRequest
    report: ScanReport
    gate: GateResult
    source_root: Path
    prefix: str
    findings: tuple[Finding, ...]
    delta: FindingsDelta | None = None
    run_id: str = ""

    @property
    def exit_code(self) -> int:
        """0 passed, 1 violations, 3 a scanner did not complete."""
        return int(self.gate.exit_code)

    @property
    def verdict(self) -> str:
        """``passed``, ``failed`` or ``error`` (a scanner did not complete)."""
        return {0: "passed", 1: "failed"}.get(self.exit_code, "error")

    def summary(self) -> dict[str, Any]:
        """The run's summary (stored with the run)."""
        summary: dict[str, Any] = {
            "findings": len(self.gate.findings),
            "violations": len(self.gate.violations),
            "toolErrors": len(self.report.errors),
        }
        if self.delta is not None:
            summary.update(new=len(self.delta.new), resolved=len(self.delta.resolved))
        return summary

    def audit_payload(self) -> dict[str, Any]:
        """The audit entry's result: target, counts per severity, tools and versions, verdict."""
        return {
            "target": self.prefix or ".",
            "sourceRoot": str(self.source_root),
            "bySeverity": severity_counts(self.gate.findings),
            "tools": [
                {"name": run.tool, "version": run.version, "status": run.status}
                for run in self.report.runs
            ],
            "gate": {
                "threshold": _threshold_name(self.gate.threshold),
                "verdict": self.verdict,
                "violations": len(self.gate.violations),
                "suppressed": len(self.gate.outcome.suppressed),
                "baselined": self.gate.baselined,
            },
            **self.summary(),
        }

    def findings_report(self, title: str = "seccli scan") -> FindingsReport:
        """What the renderers read: the findings, the tools (with rule help) and the root."""
        from seccli.scan.rule_help import tool_infos

        return FindingsReport(
            findings=self.findings,
            tools=tool_infos(self.report.runs, self.findings),
            source_root=self.source_root,
            end_lines=self.report.end_lines,
            title=title,
        )


def _threshold_name(threshold: Severity | None) -> str:
    return NO_THRESHOLD if threshold is None else threshold.value


def scan_repository(
    store: Store,
    request: ScanRequest,
    actor: str,
    *,
    redactor: Redactor = DEFAULT_REDACTOR,
    on_event: Callable[[ScanEvent], None] | None = None,
) -> ScanResult:
    """Scan ``request.target``, judge it and record the run (action ``scan``) with its audit."""
    from seccli.scan.cache import ScanCache
    from seccli.scan.owners import OwnerRouter, estate_owners
    from seccli.scan.suppressions import load_suppressions, read_baseline
    from seccli.store.runs import recorded_run

    target = request.target
    root_dir = source_root(target, request.cwd)
    prefix = target.resolve().relative_to(root_dir).as_posix()
    prefix = "" if prefix == "." else prefix
    scope = request.scope or f"scan:{target.resolve().name}"
    # Inputs are read inside the run, so a bad one ends it as input-error with an audit entry.
    with recorded_run(store, "scan", actor, prefix or ".", summary={"root": str(target)}) as run:
        if not target.is_dir():
            raise InputError(f"{target}: not a directory", hint="give the repository folder")
        baseline_ids = read_baseline(request.baseline) if request.baseline is not None else None
        suppressions_path = request.suppressions or (target / DEFAULT_SUPPRESSIONS)
        if request.suppressions is not None and not request.suppressions.is_file():
            raise InputError(f"{request.suppressions}: suppressions file not found")
        entries = load_suppressions(suppressions_path) if suppressions_path.is_file() else []
        owner_entries = []
        if request.estate is not None:
            from seccli.estate.loader import load_estate

            owner_entries = estate_owners(load_estate(request.estate).estate)
        owners = OwnerRouter.for_root(target, owner_entries)
        cache = ScanCache(request.cache_path) if request.cache_path is not None else None
        try:
            report = run_scan(
                target,
                request.options,
                cache=cache,
                owners=owners,
                redactor=redactor,
                on_event=on_event,
            )
        finally:
            if cache is not None:
                cache.close()
        gate = evaluate(
            report,
            threshold=request.threshold,
            today=datetime.now(UTC).date(),
            baseline=baseline_ids,
            suppressions=entries,
        )
        delta = record(store, run.run_id, scope, report, gate, actor)
        result = ScanResult(
            request=request,
            report=report,
            gate=gate,
            source_root=root_dir,
            prefix=prefix,
            findings=tuple(rebase(f, prefix) for f in gate.findings),
            delta=delta,
            run_id=run.run_id,
        )
        run.finish(result.exit_code, summary=result.summary(), audit=result.audit_payload())
    return result

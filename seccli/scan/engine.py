"""Running a scan: plan, consult the cache, run the tools concurrently, normalise the findings.

Every tool runs as a subprocess with a time-out in a bounded pool of workers. A tool that is
missing, crashes or times out becomes a critical ``seccli.tool-error`` finding and an ``error``
run, so a gate never passes silently.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from seccli.core.errors import InputError
from seccli.core.findings import Finding
from seccli.core.location import Location
from seccli.core.redaction import DEFAULT_REDACTOR, Redactor
from seccli.core.severity import Severity
from seccli.evidence.mapping import with_controls
from seccli.scan.cache import ScanCache
from seccli.scan.interface import Scanner, ToolContext, ToolFailure, WorkUnit
from seccli.scan.inventory import SKIP_DIRS, build_inventory
from seccli.scan.model import TOOL_ERROR_RULE, RawFinding, ScanReport, ToolRun
from seccli.scan.normalise import (
    deduplicate,
    distinct_ids,
    redact_raw,
    register_secrets,
    secret_spans,
    with_owasp,
)
from seccli.scan.owners import OwnerRouter
from seccli.scan.paths import excluded
from seccli.scan.process import find_executable, run_tool
from seccli.scan.registry import SCANNERS
from seccli.scan.semgrep import OFFLINE_ENV

_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?[\w.+-]*")


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """How to scan: which tools, how many at once, time-outs, rules and executables.

    ``warm`` lets adapters that can keep their tool loaded between scans do so (checkov's
    worker); the findings are the same either way. ``exclude``: globs of paths left out
    (``seccli.scan.paths.excluded``).
    """

    tools: tuple[str, ...] | None = None
    jobs: int = 3
    processes: int = 2
    timeout: float = 600.0
    rules_dir: Path | None = None
    executables: Mapping[str, str | Path] = field(default_factory=dict)
    skip_dirs: tuple[str, ...] = SKIP_DIRS
    warm: bool = False
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScanEvent:
    """Progress: a tool was planned, started, finished, failed, skipped or served from cache."""

    tool: str
    phase: str
    detail: str = ""
    units: int = 0


EventSink = Callable[[ScanEvent], None]


@dataclass
class _Job:
    scanner: Scanner
    units: list[WorkUnit]
    version: str
    rules: str
    context: ToolContext
    hits: dict[str, list[RawFinding]]
    misses: list[WorkUnit]


def run_scan(
    root: Path,
    options: ScanOptions | None = None,
    *,
    cache: ScanCache | None = None,
    owners: OwnerRouter | None = None,
    redactor: Redactor = DEFAULT_REDACTOR,
    on_event: EventSink | None = None,
) -> ScanReport:
    """Scan ``root`` with the tools that apply and return one normalised report."""
    options = options or ScanOptions()
    emit = on_event or (lambda _event: None)
    names = options.tools or tuple(SCANNERS)
    unknown = [name for name in names if name not in SCANNERS]
    if unknown:
        raise InputError(
            f"unknown scanner {unknown[0]!r}", hint=f"choose from {', '.join(SCANNERS)}"
        )
    inventory = build_inventory(root, skip_dirs=options.skip_dirs, exclude=options.exclude)
    runs: dict[str, ToolRun] = {}
    raw: list[RawFinding] = []
    jobs: list[_Job] = []
    for name in names:
        scanner = SCANNERS[name]()
        units = scanner.plan(inventory)
        if not units:
            runs[name] = ToolRun(name, "", "skipped", detail="nothing to scan")
            emit(ScanEvent(name, "skipped", "nothing to scan"))
            continue
        executable = find_executable(scanner.executable_name, options.executables.get(name))
        if executable is None:
            failure = ToolFailure(name, "missing", f"{scanner.executable_name} not found")
            runs[name] = _failed_run(name, "", units, 0, 0.0, failure)
            raw.append(_error_finding(failure))
            emit(ScanEvent(name, "failed", failure.detail))
            continue
        version = tool_version(scanner, executable, cache)
        rules = scanner.rules_digest(options.rules_dir)
        # An unknown version could hide an upgrade: never trust or fill the cache then.
        cacheable = cache is not None and version != "unknown"
        hits = cache.lookup(name, version, rules, units) if cache is not None and cacheable else {}
        misses = [unit for unit in units if unit.key not in hits]
        context = ToolContext(
            root=root,
            executable=executable,
            timeout=options.timeout,
            rules_dir=options.rules_dir,
            processes=options.processes,
            skip_dirs=options.skip_dirs,
            exclude=options.exclude,
            version=version,
            warm=options.warm,
        )
        jobs.append(_Job(scanner, units, version, rules, context, hits, misses))
        emit(ScanEvent(name, "planned", f"{len(misses)} to scan, {len(hits)} cached", len(units)))

    futures: dict[str, tuple[Future[tuple[dict[str, list[RawFinding]], float]], float]] = {}
    scanned: list[tuple[_Job, dict[str, list[RawFinding]]]] = []
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        for job in jobs:
            if job.misses:
                futures[job.scanner.name] = (
                    pool.submit(_run_job, job, emit),
                    time.monotonic(),
                )
        for job in jobs:
            name = job.scanner.name
            for findings in job.hits.values():
                raw.extend(findings)
            if name not in futures:
                runs[name] = ToolRun(
                    name,
                    job.version,
                    "ok",
                    len(job.units),
                    0,
                    len(job.hits),
                    0.0,
                    groups=_groups(job.units),
                )
                emit(ScanEvent(name, "cached", "all units cached", len(job.units)))
                continue
            future, started = futures[name]
            try:
                fresh, elapsed = future.result()
            except ToolFailure as failure:
                elapsed = time.monotonic() - started
                runs[name] = _failed_run(
                    name, job.version, job.units, len(job.hits), elapsed, failure
                )
                raw.append(_error_finding(failure))
                emit(ScanEvent(name, "failed", failure.detail))
                continue
            for findings in fresh.values():
                raw.extend(findings)
            scanned.append((job, fresh))
            runs[name] = ToolRun(
                name,
                job.version,
                "ok",
                len(job.units),
                len(job.misses),
                len(job.hits),
                elapsed,
                groups=_groups(job.units),
            )
            emit(ScanEvent(name, "finished", f"{elapsed:.1f} s", len(job.misses)))

    if options.exclude:  # tools that walk the tree themselves (checkov -d) honour it here
        raw = [item for item in raw if not excluded(item.finding.location.file, options.exclude)]
    # Redact before anything is kept: the cache must never hold a credential. Every finding
    # is cleaned of the values of every secret finding on its lines, whichever tool found it.
    spans = secret_spans(root, raw)
    redacted = register_secrets(spans, redactor)
    raw = [redact_raw(item, spans, redactor) for item in raw]
    if cache is not None:
        for job, fresh in scanned:
            if job.version == "unknown":
                continue
            by_key = {unit.key: unit for unit in job.misses}
            cache.store(
                job.scanner.name,
                job.version,
                job.rules,
                [
                    (by_key[key], [redact_raw(item, spans, redactor) for item in found])
                    for key, found in fresh.items()
                    if key in by_key
                ],
            )
    ordered_runs = [runs[name] for name in names if name in runs]
    return _normalise(root, raw, ordered_runs, owners, redactor, redacted)


def _run_job(job: _Job, emit: EventSink) -> tuple[dict[str, list[RawFinding]], float]:
    emit(ScanEvent(job.scanner.name, "started", "", len(job.misses)))
    started = time.monotonic()
    # The time-out covers the whole tool, however many processes it starts.
    context = replace(job.context, deadline=started + job.context.timeout)
    try:
        return job.scanner.scan(context, job.misses), time.monotonic() - started
    except ToolFailure:
        raise
    except Exception as exc:  # an adapter bug must fail the gate, not pass it
        raise ToolFailure(job.scanner.name, "crash", f"{type(exc).__name__}: {exc}") from exc


def _groups(units: Sequence[WorkUnit]) -> tuple[str, ...]:
    return tuple(sorted({unit.group for unit in units if unit.group}))


def _failed_run(
    name: str,
    version: str,
    units: Sequence[WorkUnit],
    cached: int,
    seconds: float,
    failure: ToolFailure,
) -> ToolRun:
    return ToolRun(
        name,
        version,
        "error",
        len(units),
        0,
        cached,
        seconds,
        detail=f"{failure.kind}: {failure.detail}",
        groups=_groups(units),
    )


def _error_finding(failure: ToolFailure) -> RawFinding:
    finding = Finding.create(
        tool=failure.tool,
        rule_id=TOOL_ERROR_RULE,
        title=f"{failure.tool} did not complete ({failure.kind})",
        message=f"{failure.tool} {failure.kind}: {failure.detail}. Its findings are unknown, so "
        "the scan cannot pass.",
        severity=Severity.CRITICAL,
        location=Location(file="."),
        basis=failure.kind,
        tags=("tool-error",),
    )
    return RawFinding(finding)


def _normalise(
    root: Path,
    raw: list[RawFinding],
    runs: list[ToolRun],
    owners: OwnerRouter | None,
    redactor: Redactor,
    redacted: int,
) -> ScanReport:
    tagged = distinct_ids([with_owasp(item) for item in raw])
    kept, merged = deduplicate(tagged)
    findings: list[Finding] = []
    end_lines: dict[str, int] = {}
    unowned = 0
    for item in kept:
        finding = item.finding
        if owners is not None and finding.location.file != ".":
            owner = owners.owner_of(finding.location.file)
            if owner is None:
                unowned += 1
            else:
                finding = finding.model_copy(update={"owner": owner})
        if item.end_line is not None:
            end_lines[finding.id] = item.end_line
        findings.append(with_controls(finding))
    findings.sort(
        key=lambda f: (-f.severity.rank, f.location.file, f.location.line or 0, f.tool, f.rule_id)
    )
    redacted_runs = tuple(
        ToolRun(
            run.tool,
            run.version,
            run.status,
            run.units,
            run.scanned,
            run.cached,
            run.seconds,
            redactor.redact(run.detail),
            run.groups,
        )
        for run in runs
    )
    return ScanReport(
        root=str(root),
        findings=tuple(findings),
        runs=redacted_runs,
        duplicates=merged,
        redacted=redacted,
        unowned=unowned,
        end_lines=end_lines,
    )


def tool_version(scanner: Scanner, executable: Path, cache: ScanCache | None) -> str:
    """The tool's version: remembered per executable stamp, from package metadata when the
    tool lives in our environment, else from ``--version``."""
    try:
        stat = executable.stat()
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        stamp = "unknown"
    if cache is not None:
        known = cache.tool_version(str(executable), stamp)
        if known is not None:
            return known
    version = ""
    if executable.parent == Path(sys.executable).parent:
        try:
            version = importlib.metadata.version(scanner.package)
        except importlib.metadata.PackageNotFoundError:
            version = ""
    if not version:
        try:
            done = run_tool(
                scanner.name,
                [str(executable), "--version"],
                cwd=Path.cwd(),
                timeout=60.0,
                env=OFFLINE_ENV,
            )
            match = _VERSION.search(done.stdout.decode("utf-8", "replace"))
            version = match.group(0) if match else "unknown"
        except ToolFailure:
            version = "unknown"
    if cache is not None and version != "unknown":
        cache.remember_version(str(executable), stamp, version)
    return version

"""``seccli scan`` (checkov, bandit and semgrep as one gate) and ``seccli findings age``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seccli.cli.context import app_state, current_actor
from seccli.cli.output import (
    JSON_SCHEMA_VERSION,
    OutputFormat,
    require_format,
    stderr_console,
    stdout_console,
)
from seccli.core.errors import InputError

if TYPE_CHECKING:
    from seccli.core.findings import Finding
    from seccli.core.redaction import Redactor
    from seccli.core.severity import Severity
    from seccli.scan.engine import ScanEvent
    from seccli.scan.gate import GateResult
    from seccli.scan.model import ScanReport

findings_app = typer.Typer(help="Findings history: how long findings have been open.")

DEFAULT_SUPPRESSIONS = ".seccli-suppressions.yaml"


def _severity(value: str, option: str) -> Severity:
    from seccli.core.severity import Severity

    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise InputError(f"{option}: {exc}") from None


def scan_command(
    ctx: typer.Context,
    path: Path = typer.Argument(Path("."), help="Repository to scan.", show_default=True),
    output_format: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", "-f", help="table|json|sarif|markdown"
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report to this file instead of stdout."
    ),
    sarif_output: Path | None = typer.Option(
        None, "--sarif-output", help="Also write a SARIF 2.1.0 file (for code scanning)."
    ),
    fail_on: str = typer.Option("high", "--fail-on", help="Exit 1 on findings this severe."),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="Report only findings not in this baseline file."
    ),
    write_baseline: Path | None = typer.Option(
        None, "--write-baseline", help="Write every current finding to a baseline file."
    ),
    suppressions: Path | None = typer.Option(
        None,
        "--suppressions",
        help=f"Suppressions file (default: {DEFAULT_SUPPRESSIONS} in the scanned folder).",
    ),
    estate: Path | None = typer.Option(
        None, "--estate", help="Estate file: route findings to service/namespace owners."
    ),
    tools: list[str] | None = typer.Option(
        None, "--tool", "-t", help="Run only this scanner (repeatable): checkov, bandit, semgrep."
    ),
    jobs: int = typer.Option(3, "--jobs", "-j", min=1, help="Scanners run at once."),
    processes: int = typer.Option(2, "--processes", min=1, help="Processes per scanner."),
    timeout: float = typer.Option(600.0, "--timeout", min=1.0, help="Seconds per scanner."),
    rules: Path | None = typer.Option(None, "--rules", help="semgrep rule pack directory."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Rescan everything."),
    scope: str | None = typer.Option(
        None, "--scope", help="History scope (default: scan:<folder name>)."
    ),
    progress: bool = typer.Option(
        True, "--progress/--no-progress", help="Show progress on a terminal."
    ),
    worker: bool | None = typer.Option(
        None,
        "--worker/--no-worker",
        help="Keep checkov loaded in a background worker between scans, so a re-scan skips "
        "its start-up (default: on, off when CI is set; env SECCLI_SCAN_WORKER=on|off).",
        show_default=False,
    ),
) -> None:
    """Scan a repository with checkov, bandit and semgrep; one report, one gate.

    Exit codes: 0 passed, 1 findings at or above --fail-on, 2 input error, 3 a scanner
    failed (missing, crashed or timed out: still a denial).
    """
    from datetime import UTC, datetime

    from seccli.core.redaction import DEFAULT_REDACTOR
    from seccli.scan.cache import ScanCache
    from seccli.scan.engine import ScanOptions, run_scan
    from seccli.scan.gate import evaluate, record
    from seccli.scan.owners import OwnerRouter, estate_owners
    from seccli.scan.suppressions import load_suppressions, read_baseline
    from seccli.scan.suppressions import write_baseline as save_baseline

    threshold = _severity(fail_on, "--fail-on")
    root = path
    if not root.is_dir():
        raise InputError(f"{root}: not a directory", hint="give the repository folder to scan")
    baseline_ids = read_baseline(baseline) if baseline is not None else None
    suppressions_path = suppressions or (root / DEFAULT_SUPPRESSIONS)
    if suppressions is not None and not suppressions.is_file():
        raise InputError(f"{suppressions}: suppressions file not found")
    entries = load_suppressions(suppressions_path) if suppressions_path.is_file() else []
    owner_entries = []
    if estate is not None:
        from seccli.estate.loader import load_estate

        owner_entries = estate_owners(load_estate(estate).estate)
    owners = OwnerRouter.for_root(root, owner_entries)
    options = ScanOptions(
        tools=tuple(tools) if tools else None,
        jobs=jobs,
        processes=processes,
        timeout=timeout,
        rules_dir=rules,
        warm=_use_worker(worker),
    )
    state = app_state(ctx)
    actor = current_actor()
    with state.open_store() as store:
        cache = None if no_cache else ScanCache(store.path)
        run_id = store.start_run("scan", actor, {"root": str(root)})
        try:
            report = _run_with_progress(
                root, options, cache, owners, DEFAULT_REDACTOR, progress, run_scan
            )
        except BaseException as exc:
            code = int(getattr(exc, "exit_code", 3))
            store.finish_run(run_id, "error", code, {"error": type(exc).__name__})
            raise
        finally:
            if cache is not None:
                cache.close()
        gate = evaluate(
            report,
            threshold=threshold,
            today=datetime.now(UTC).date(),
            baseline=baseline_ids,
            suppressions=entries,
        )
        delta = record(store, run_id, scope or f"scan:{root.resolve().name}", report, gate, actor)
        summary: dict[str, Any] = {
            "findings": len(gate.findings),
            "violations": len(gate.violations),
            "toolErrors": len(report.errors),
        }
        if delta is not None:
            summary.update(new=len(delta.new), resolved=len(delta.resolved))
        status = "ok" if int(gate.exit_code) == 0 else "failed"
        store.finish_run(run_id, status, int(gate.exit_code), summary)
    if write_baseline is not None:
        save_baseline(write_baseline, report.findings)
    text = _render(output_format, report, gate, DEFAULT_REDACTOR)
    if sarif_output is not None:
        _write(sarif_output, _render(OutputFormat.SARIF, report, gate, DEFAULT_REDACTOR))
    if output is not None:
        _write(output, text)
        if output_format is not OutputFormat.TABLE:
            _print_table(report, gate, DEFAULT_REDACTOR)
    else:
        sys.stdout.write(text)
    raise typer.Exit(int(gate.exit_code))


def _use_worker(flag: bool | None) -> bool:
    """``--worker``/``--no-worker``, else ``SECCLI_SCAN_WORKER``, else on unless ``CI`` is set."""
    import os

    from seccli.scan.worker_client import idle_seconds

    try:
        idle_seconds()
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if flag is not None:
        return flag
    setting = os.environ.get("SECCLI_SCAN_WORKER", "").strip().lower()
    if setting in {"1", "on", "true", "yes"}:
        return True
    if setting in {"0", "off", "false", "no"}:
        return False
    if setting:
        raise InputError(
            f"SECCLI_SCAN_WORKER={setting!r}: expected on or off", hint="or pass --[no-]worker"
        )
    return os.environ.get("CI", "").strip().lower() in {"", "0", "false", "no"}


def _run_with_progress(
    root: Path,
    options: Any,
    cache: Any,
    owners: Any,
    redactor: Redactor,
    progress: bool,
    run_scan: Any,
) -> ScanReport:
    if not (progress and sys.stderr.isatty()):
        result: ScanReport = run_scan(root, options, cache=cache, owners=owners, redactor=redactor)
        return result
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = stderr_console()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        tasks: dict[str, Any] = {}

        def on_event(event: ScanEvent) -> None:
            if event.tool not in tasks:
                tasks[event.tool] = bar.add_task(f"{event.tool}: {event.phase}", total=1)
            done = event.phase in {"finished", "failed", "skipped", "cached"}
            bar.update(
                tasks[event.tool],
                description=f"{event.tool}: {event.phase} {event.detail}".rstrip(),
                completed=1 if done else 0,
            )

        result = run_scan(
            root, options, cache=cache, owners=owners, redactor=redactor, on_event=on_event
        )
        return result


def _render(fmt: OutputFormat, report: ScanReport, gate: GateResult, redactor: Redactor) -> str:
    # orjson: the standard encoder's indenting mode is pure Python, and reports run to megabytes.
    import orjson

    from seccli.scan.formats import report_json, to_markdown, to_sarif

    pretty = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    if fmt is OutputFormat.JSON:
        document = {
            "schemaVersion": JSON_SCHEMA_VERSION,
            **report_json(report, gate.findings, gate=gate.as_json()),
        }
        text = orjson.dumps(document, option=pretty | orjson.OPT_SORT_KEYS).decode()
    elif fmt is OutputFormat.SARIF:
        text = orjson.dumps(to_sarif(report, gate.findings), option=pretty).decode()
    elif fmt is OutputFormat.MARKDOWN:
        text = to_markdown(report, gate.findings, threshold=gate.threshold)
    else:
        text = _table_text(report, gate)
    return redactor.redact(text)


def _table_text(report: ScanReport, gate: GateResult) -> str:
    import shutil
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    from seccli.scan.formats import SEVERITY_ORDER

    buffer = StringIO()
    width = shutil.get_terminal_size((160, 24)).columns if sys.stdout.isatty() else 160
    console = Console(
        file=buffer, width=max(80, width), highlight=False, soft_wrap=False, force_terminal=False
    )
    for level in SEVERITY_ORDER:
        group: list[Finding] = [f for f in gate.findings if f.severity == level]
        if not group:
            continue
        table = Table(title=f"{level.value.upper()} ({len(group)})", title_justify="left")
        for column in ("Rule", "Tool", "Location", "Owner", "Message"):
            table.add_column(column, overflow="fold")
        for finding in group:
            table.add_row(
                finding.rule_id,
                finding.tool,
                str(finding.location),
                finding.owner or "(unowned)",
                finding.message,
            )
        console.print(table)
    for run in report.runs:
        line = f"{run.tool} {run.version}: {run.status}"
        if run.status != "skipped":
            line += f", {run.scanned} scanned, {run.cached} cached, {run.seconds:.1f} s"
        if run.detail:
            line += f" ({run.detail})"
        console.print(line)
    for suppression in gate.outcome.expired:
        console.print(
            f"expired suppression: {suppression.label()} (expired "
            f"{suppression.expires.isoformat()}, approver {suppression.approver})"
        )
    counts = ", ".join(
        f"{level.value} {sum(1 for f in gate.findings if f.severity == level)}"
        for level in SEVERITY_ORDER
    )
    console.print(
        f"{len(gate.findings)} findings ({counts}); {len(gate.outcome.suppressed)} suppressed, "
        f"{gate.baselined} in baseline, {report.duplicates} duplicates merged"
    )
    verdict = {0: "PASSED", 1: "FAILED", 3: "FAILED (scanner error)"}[int(gate.exit_code)]
    console.print(
        f"gate (--fail-on {gate.threshold.value}): {verdict}, {len(gate.violations)} violations"
    )
    return buffer.getvalue()


def _print_table(report: ScanReport, gate: GateResult, redactor: Redactor) -> None:
    stdout_console().print(redactor.redact(_table_text(report, gate)), markup=False)


def _write(path: Path, text: str) -> None:
    from seccli.core.atomic import atomic_write_text

    atomic_write_text(path, text)


@findings_app.command("age")
def age_command(
    ctx: typer.Context,
    severity: str = typer.Option("critical", "--severity", help="This severity or worse."),
    older_than: str = typer.Option("24h", "--older-than", help="Age limit, e.g. 24h, 7d."),
    scope: str | None = typer.Option(None, "--scope", help="Only this history scope."),
    output_format: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", "-f", help="table|json"
    ),
) -> None:
    """Open findings older than the SLO (exit 1 when there are any)."""
    from datetime import UTC, datetime

    from seccli.cli.output import print_json
    from seccli.scan.gate import aged_findings, parse_duration

    level = _severity(severity, "--severity")
    require_format(output_format, "findings age")
    try:
        limit = parse_duration(older_than)
    except ValueError as exc:
        raise InputError(f"--older-than: {exc}") from None
    with app_state(ctx).open_store() as store:
        history = store.finding_history(scope)
    aged = aged_findings(history, severity=level, older_than=limit, now=datetime.now(UTC))
    if output_format is OutputFormat.JSON:
        print_json(
            {
                "severity": level.value,
                "olderThan": older_than,
                "count": len(aged),
                "findings": [
                    {
                        "id": a.history.fingerprint,
                        "scope": a.history.scope,
                        "rule": a.history.rule_id,
                        "tool": a.history.tool,
                        "severity": a.history.severity,
                        "file": a.history.file,
                        "title": a.history.title,
                        "firstSeen": a.history.first_seen,
                        "ageHours": round(a.age.total_seconds() / 3600, 1),
                    }
                    for a in aged
                ],
            }
        )
    else:
        console = stdout_console()
        for a in aged:
            hours = a.age.total_seconds() / 3600
            console.print(
                f"{a.history.severity:<8} {hours:7.1f} h  {a.history.rule_id} "
                f"({a.history.tool})  {a.history.file}  [{a.history.scope}]",
                markup=False,
            )
        console.print(
            f"{len(aged)} open finding(s) at or above {level.value} older than {older_than}",
            markup=False,
        )
    raise typer.Exit(1 if aged else 0)

"""``seccli scan`` (checkov, bandit and semgrep as one gate) and ``seccli findings age``."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seccli.cli.context import app_state, current_actor
from seccli.cli.output import (
    OutputFormat,
    format_for_stdout,
    format_option,
    stderr_console,
    stdout_console,
)
from seccli.core.errors import InputError

if TYPE_CHECKING:
    from seccli.core.redaction import Redactor
    from seccli.core.severity import Severity
    from seccli.scan.engine import ScanEvent
    from seccli.scan.run import ScanResult

findings_app = typer.Typer(help="Findings history: how long findings have been open.")

DEFAULT_SUPPRESSIONS = ".seccli-suppressions.yaml"
SCAN_FORMATS = format_option(
    OutputFormat.TABLE,
    OutputFormat.LINES,
    OutputFormat.JSON,
    OutputFormat.SARIF,
    OutputFormat.MARKDOWN,
    pipe_aware=True,
)
AGE_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)


def _severity(value: str, option: str) -> Severity:
    from seccli.core.severity import Severity

    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise InputError(f"{option}: {exc}") from None


def scan_command(
    ctx: typer.Context,
    path: Path = typer.Argument(Path("."), help="Repository to scan.", show_default=True),
    output_format: OutputFormat | None = SCAN_FORMATS,
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report to this file; stdout gets the summary."
    ),
    sarif_output: Path | None = typer.Option(
        None, "--sarif-output", help="Also write a SARIF 2.1.0 file (for code scanning)."
    ),
    fail_on: str = typer.Option(
        "high", "--fail-on", help="Exit 1 on findings this severe ('none': never)."
    ),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="Report only findings not in this baseline file."
    ),
    write_baseline: Path | None = typer.Option(
        None, "--write-baseline", help="Write every current finding to a baseline file (exit 0)."
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
    exclude: list[str] | None = typer.Option(
        None, "--exclude", help="Leave out paths matching this glob (repeatable), e.g. vendor."
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

    Paths are shown relative to the repository root (the enclosing git work tree, else the
    current directory when the scanned folder is inside it). Off a terminal the default output
    is one line per finding (path:line: severity rule message), the summary on stderr.

    Exit codes: 0 passed (or --write-baseline), 1 findings at or above --fail-on, 2 input
    error, 3 a scanner failed (missing, crashed or timed out: still a denial).
    """
    from seccli.core.redaction import DEFAULT_REDACTOR
    from seccli.scan.engine import ScanOptions
    from seccli.scan.run import ScanRequest, parse_threshold, scan_repository

    request = ScanRequest(
        target=path,
        threshold=parse_threshold(fail_on),
        options=ScanOptions(
            tools=tuple(tools) if tools else None,
            jobs=jobs,
            processes=processes,
            timeout=timeout,
            rules_dir=rules,
            warm=_use_worker(worker),
            exclude=tuple(exclude or ()),
        ),
        baseline=baseline,
        suppressions=suppressions,
        estate=estate,
        scope=scope,
    )
    with app_state(ctx).open_store() as store:
        if not no_cache:
            request = replace(request, cache_path=store.path)
        sink = _ScanProgress() if progress and sys.stderr.isatty() else None
        with sink or _NoProgress() as on_event:
            result = scan_repository(
                store, request, current_actor(), redactor=DEFAULT_REDACTOR, on_event=on_event
            )
    # A report file gets the table unless a format is given; stdout follows the terminal.
    fmt = (output_format or OutputFormat.TABLE) if output else format_for_stdout(output_format)
    if sarif_output is not None:
        _write(sarif_output, _render(OutputFormat.SARIF, result, DEFAULT_REDACTOR))
    if output is not None:
        _write(output, _render(fmt, result, DEFAULT_REDACTOR))
        sys.stdout.write(DEFAULT_REDACTOR.redact(_summary(result)))
    else:
        sys.stdout.write(_render(fmt, result, DEFAULT_REDACTOR))
        if fmt is OutputFormat.LINES:
            sys.stderr.write(DEFAULT_REDACTOR.redact(_summary(result)))
    if write_baseline is not None:
        from seccli.scan.suppressions import write_baseline as save_baseline

        save_baseline(write_baseline, result.report.findings)
        sys.stderr.write(
            f"wrote a baseline of {len(result.report.findings)} findings to {write_baseline}\n"
        )
        raise typer.Exit(0)
    raise typer.Exit(result.exit_code)


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


class _NoProgress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _ScanProgress:
    """A Rich progress display on stderr, one line per scanner; entering gives the sink."""

    def __enter__(self) -> Any:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=stderr_console(),
        )
        self.bar.__enter__()
        self.tasks: dict[str, Any] = {}
        return self.on_event

    def on_event(self, event: ScanEvent) -> None:
        if event.tool not in self.tasks:
            self.tasks[event.tool] = self.bar.add_task(f"{event.tool}: {event.phase}", total=1)
        done = event.phase in {"finished", "failed", "skipped", "cached"}
        self.bar.update(
            self.tasks[event.tool],
            description=f"{event.tool}: {event.phase} {event.detail}".rstrip(),
            completed=1 if done else 0,
        )

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)


def _render(fmt: OutputFormat, result: ScanResult, redactor: Redactor) -> str:
    from seccli.render.interface import render_findings

    if fmt is OutputFormat.JSON:
        # orjson: the standard encoder's indenting mode is pure Python; reports run to megabytes.
        import orjson

        from seccli.cli.output import JSON_SCHEMA_VERSION
        from seccli.scan.formats import report_json

        document = {"schemaVersion": JSON_SCHEMA_VERSION, **report_json(result)}
        option = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE | orjson.OPT_SORT_KEYS
        text = orjson.dumps(document, option=option).decode()
    elif fmt is OutputFormat.MARKDOWN:
        from seccli.scan.formats import to_markdown

        text = to_markdown(result)
    elif fmt is OutputFormat.TABLE:
        import shutil

        from seccli.render.text import table_text

        width = shutil.get_terminal_size((160, 24)).columns if sys.stdout.isatty() else 160
        text = table_text(result.findings, width=width, unowned="(unowned)") + _summary(result)
    else:
        text = render_findings(fmt, result.findings_report())
    return redactor.redact(text)


def _summary(result: ScanResult) -> str:
    from seccli.scan.formats import summary_text

    return summary_text(result)


def _write(path: Path, text: str) -> None:
    from seccli.core.atomic import atomic_write_text

    atomic_write_text(path, text)


@findings_app.command("age")
def age_command(
    ctx: typer.Context,
    severity: str = typer.Option("critical", "--severity", help="This severity or worse."),
    older_than: str = typer.Option("24h", "--older-than", help="Age limit, e.g. 24h, 7d."),
    scope: str | None = typer.Option(None, "--scope", help="Only this history scope."),
    output_format: OutputFormat = AGE_FORMATS,
) -> None:
    """Open findings older than the SLO (exit 1 when there are any)."""
    from datetime import UTC, datetime

    from seccli.cli.output import print_json
    from seccli.scan.gate import aged_findings, parse_duration

    level = _severity(severity, "--severity")
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

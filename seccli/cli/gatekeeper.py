"""``seccli policy verify`` and ``seccli policy test``: the Gatekeeper-compatible gate.

Plain functions, registered on the ``policy`` group in ``app.py``; the work is done by
``seccli.policy.gatekeeper.gate_run``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seccli.cli.context import app_state, current_actor
from seccli.cli.output import (
    OutputFormat,
    format_for_stdout,
    format_option,
    print_json,
    stdout_console,
)
from seccli.cli.walking import (
    EXCLUDE_OPTION,
    HELM_OPTION,
    NO_IGNORE_OPTION,
    VERBOSE_OPTION,
    report_skipped,
    walk_options,
)

if TYPE_CHECKING:
    from seccli.policy.gatekeeper.gate_run import (
        PolicyInputs,
        PolicyTestRequest,
        PolicyTestResult,
    )

_PROGRESS_MIN = 500
ALLOW_EMPTY_OPTION = typer.Option(
    False,
    "--allow-empty",
    help="Exit 0 when there is nothing to judge (default: exit 2, a gate passes only what it "
    "judged).",
)
VERIFY_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)
TEST_FORMATS = format_option(
    OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.SARIF, OutputFormat.LINES, pipe_aware=True
)


def verify_command(
    paths: list[str] = typer.Argument(
        ..., help="Suite files or folders to search for suites (gator's dir/... is accepted)."
    ),
    run: str | None = typer.Option(
        None, "--run", "-r", help="Only run tests and cases whose names match this regex."
    ),
    output: OutputFormat = VERIFY_FORMATS,
    allow_empty: bool = ALLOW_EMPTY_OPTION,
) -> None:
    """Run gator-verify suites: exit 1 if a case fails, 2 if a suite or its files are invalid
    or no case ran (unless --allow-empty)."""
    from seccli.core.errors import ExitCode
    from seccli.policy.gatekeeper.gate_run import verify_suites
    from seccli.policy.gatekeeper.report import verify_text

    result = verify_suites(paths, run, allow_empty)
    if output is OutputFormat.JSON:
        print_json(result.document)
    else:
        sys.stdout.write(verify_text(result.suites, run))
    if result.exit_code is not ExitCode.OK:
        raise typer.Exit(int(result.exit_code))


def test_command(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(
        ..., help="Manifest files or folders (YAML/JSON, multi-document, Lists); - for stdin."
    ),
    library: Path | None = typer.Option(
        None, "--library", help="Folder of ConstraintTemplates (default: rego/)."
    ),
    constraints: Path | None = typer.Option(
        None,
        "--constraints",
        help="Folder of constraints (default: made from the library's templates with generic "
        "parameters, or with the --estate's registries and labels).",
    ),
    estate: Path | None = typer.Option(
        None,
        "--estate",
        help="Derive the default constraints from this estate (its registries, labels and "
        "namespaces), as seccli generate does.",
        show_default=False,
    ),
    output: OutputFormat | None = TEST_FORMATS,
    deny_only: bool = typer.Option(
        False, "--deny-only", help="Only report violations of deny-enforced constraints."
    ),
    workers: int = typer.Option(
        min(os.cpu_count() or 1, 8),
        "--workers",
        min=1,
        max=64,
        help="Processes for large inputs (default: the number of cores).",
    ),
    allow_empty: bool = ALLOW_EMPTY_OPTION,
    exclude: list[str] = EXCLUDE_OPTION,
    helm: bool = HELM_OPTION,
    no_ignore: bool = NO_IGNORE_OPTION,
    verbose: bool = VERBOSE_OPTION,
) -> None:
    """Evaluate manifests against every matching constraint, as Gatekeeper would admit them.

    Exit 1 for violations of deny-enforced constraints; 3 when an object could not be judged
    (an evaluation error, or a limit or time-out that aborted it: a denial); 2 when the input
    holds no objects (unless --allow-empty). In folders, files that are not Kubernetes
    manifests (Helm templates, JSON with comments, other YAML) are skipped with a note; a file
    named explicitly must be a manifest.
    """
    from seccli.core.errors import ExitCode, InputError
    from seccli.policy.gatekeeper.gate_run import (
        PolicyTestRequest,
        default_library,
        load_policy_inputs,
    )
    from seccli.store.runs import recorded_run

    if estate is not None and constraints is not None:
        raise InputError("give --estate or --constraints, not both")
    settings = None
    if estate is not None:
        from seccli.estate.loader import load_estate
        from seccli.zerotrust.generate.gatekeeper import estate_settings

        settings = estate_settings(load_estate(estate).estate)
    library_dir = library or default_library()
    walk = walk_options(exclude, helm, no_ignore)
    request = PolicyTestRequest(
        paths, library_dir, constraints, settings, deny_only, workers, allow_empty, walk
    )
    subject = "policy test:" + ",".join(sorted(paths))
    store = app_state(ctx).open_store()
    summary = {"library": str(library_dir), "paths": list(paths)}
    recording = recorded_run(store, "policy test", current_actor(), subject, summary=summary)
    with store, recording as rec:
        inputs = load_policy_inputs(request, sys.stdin.buffer)
        for note in inputs.notes:
            sys.stderr.write(f"note: {note}\n")
        report_skipped(inputs.skipped, verbose)
        result = _judge_with_progress(inputs, request)
        store.record_findings(rec.run_id, subject, result.findings)
        rec.finish(result.exit_code, summary=result.summary(), audit=result.audit_payload())
    _render_test(result, format_for_stdout(output))
    if result.exit_code is not ExitCode.OK:
        raise typer.Exit(int(result.exit_code))


def _judge_with_progress(inputs: PolicyInputs, request: PolicyTestRequest) -> PolicyTestResult:
    from seccli.policy.gatekeeper.gate_run import judge

    if len(inputs.items) < _PROGRESS_MIN or not sys.stderr.isatty():
        return judge(inputs, request)
    from rich.progress import Progress

    from seccli.cli.output import stderr_console

    with Progress(console=stderr_console(), transient=True) as progress:
        task = progress.add_task("reviewing objects", total=len(inputs.items))
        return judge(inputs, request, lambda n: progress.advance(task, n))


def _render_test(result: PolicyTestResult, output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        print_json(result.document())
        return
    if output in (OutputFormat.SARIF, OutputFormat.LINES):
        from seccli import __version__
        from seccli.policy.gatekeeper.gate_run import findings_report
        from seccli.render.interface import render_findings

        report = findings_report(result, __version__, Path.cwd())
        sys.stdout.write(render_findings(output, report))
        if output is OutputFormat.LINES:  # the summary off the grep-able stream
            sys.stderr.write(_summary_line(result.document()["summary"]) + "\n")
        return
    from rich.markup import escape
    from rich.table import Table

    document = result.document()
    console = stdout_console()
    if document["objects"]:
        table = Table(show_header=True, header_style="bold")
        for column in ("object", "constraint", "action", "message", "where"):
            table.add_column(column, overflow="fold")
        styles = {"deny": "bold red", "warn": "yellow", "dryrun": "dim"}
        for entry in document["objects"]:
            obj = entry["object"]
            namespace = obj["namespace"] + "/" if obj["namespace"] else ""
            ident = f"{obj['kind']} {namespace}{obj['name']}"
            where = f"{entry['source']['file']}:{entry['source']['line']}"
            for v in entry["violations"]:
                action = "error" if v.get("error") else v["enforcementAction"]
                table.add_row(
                    escape(ident),
                    escape(f"{v['constraint']['kind']}/{v['constraint']['name']}"),
                    f"[{styles.get(action, 'bold red')}]{action}[/]",
                    escape(v["msg"]),
                    escape(where),
                )
        console.print(table)
    console.print(_summary_line(document["summary"]), markup=False)


def _summary_line(summary: dict[str, Any]) -> str:
    counts = summary["violations"]
    return (
        f"{summary['objects']} object(s): {counts['deny']} deny, {counts['warn']} warn, "
        f"{counts['dryrun']} dryrun, {counts['error']} error"
        + (" -> denied" if summary["denied"] else " -> admitted")
        + (f"; {summary['skippedFiles']} file(s) skipped" if summary["skippedFiles"] else "")
    )

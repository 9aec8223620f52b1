"""``seccli policy verify`` and ``seccli policy test``: the Gatekeeper-compatible gate.

Plain functions, registered on the ``policy`` group in ``app.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from seccli.cli.context import app_state, current_actor
from seccli.cli.output import OutputFormat, print_json, require_format, stdout_console
from seccli.core.errors import ExitCode, InputError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from seccli.core.findings import Finding
    from seccli.policy.gatekeeper.constraint import Constraint
    from seccli.policy.gatekeeper.review import ReviewItem
    from seccli.policy.gatekeeper.run import TestReport
    from seccli.policy.gatekeeper.suite import SuiteResult

LIBRARY_DIR = Path("rego")
_PROGRESS_MIN = 500
ALLOW_EMPTY_OPTION = typer.Option(
    False,
    "--allow-empty",
    help="Exit 0 when there is nothing to judge (default: exit 2, a gate passes only what it "
    "judged).",
)


def default_library() -> Path:
    """``rego/`` in the current folder, else the library beside the seccli source tree."""
    if LIBRARY_DIR.is_dir():
        return LIBRARY_DIR
    beside = Path(__file__).resolve().parents[2] / LIBRARY_DIR
    return beside if beside.is_dir() else LIBRARY_DIR


def verify_command(
    paths: list[str] = typer.Argument(
        ..., help="Suite files or folders to search for suites (gator's dir/... is accepted)."
    ),
    run: str | None = typer.Option(
        None, "--run", "-r", help="Only run tests and cases whose names match this regex."
    ),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table|json"),
    allow_empty: bool = ALLOW_EMPTY_OPTION,
) -> None:
    """Run gator-verify suites: exit 1 if a case fails, 2 if a suite or its files are invalid
    or no case ran (unless --allow-empty)."""
    from seccli.policy.gatekeeper.report import verify_json
    from seccli.policy.gatekeeper.suite import SKIP, find_suites, verify

    require_format(output, "policy verify")
    suites = verify(paths, run)
    if not suites and not find_suites(paths) and not allow_empty:
        raise InputError(
            "nothing to judge: no suites found in " + ", ".join(paths),
            hint="a suite declares kind: Suite and apiVersion: test.gatekeeper.sh/v1alpha1 "
            "(--allow-empty accepts an empty input)",
        )
    document = verify_json(suites)
    judged = sum(1 for s in suites for t in s.tests for c in t.cases if c.status != SKIP)
    if not judged and document["status"] == "pass" and not allow_empty:
        matched = f" matching --run {run!r}" if run else ""
        raise InputError(
            f"nothing to judge: no test case{matched} ran in " + ", ".join(paths),
            hint="a gate passes only what it judged; --allow-empty accepts this",
        )
    if output is OutputFormat.JSON:
        print_json(document)
    else:
        _print_go_style(suites, run)
    if document["status"] == "error":
        raise typer.Exit(int(ExitCode.INPUT))
    if document["status"] == "fail":
        raise typer.Exit(int(ExitCode.VIOLATIONS))


def _print_go_style(suites: list[SuiteResult], run: str | None) -> None:
    out = sys.stdout.write
    failed = False
    for suite in suites:
        for test in suite.tests:
            out(f"--- {_word(test.status)}: {test.name} ({test.seconds:.2f}s)\n")
            for reason in test.reasons:
                prefix = "error: " if test.status == "error" else ""
                out(f"        {prefix}{reason}\n")
            for case in test.cases:
                out(
                    f"    --- {_word(case.status)}: {test.name}/{case.name} ({case.seconds:.2f}s)\n"
                )
                for reason in case.reasons:
                    prefix = "error: " if case.status == "error" else ""
                    out(f"        {prefix}{reason}\n")
        ok = suite.status == "pass"
        failed = failed or not ok
        out(f"{'ok  ' if ok else 'FAIL'}\t{suite.path}\t{suite.seconds:.3f}s\n")
    if not suites and run:
        out(f"warning: no tests to run (--run {run!r} matched nothing)\n")
    out("FAIL\n" if failed else "PASS\n")


def _word(status: str) -> str:
    return {"pass": "PASS", "fail": "FAIL", "skip": "SKIP", "error": "FAIL"}[status]


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
        help="Folder of constraints (default: the sample constraints of the library).",
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", "-f", help="table|json|sarif"
    ),
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
) -> None:
    """Evaluate manifests against every matching constraint, as Gatekeeper would admit them.

    Exit 1 for violations of deny-enforced constraints; 3 when an object could not be judged
    (an evaluation error, or a limit or time-out that aborted it: a denial); 2 when the input
    holds no objects (unless --allow-empty).
    """
    from seccli.policy.gatekeeper.gate import to_findings
    from seccli.policy.gatekeeper.library import load_library, load_objects

    require_format(
        output, "policy test", (OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.SARIF)
    )
    library_dir = library or default_library()
    lib = load_library([library_dir], [constraints] if constraints is not None else None)
    if not lib.constraints:
        raise InputError(
            f"no constraints found in {constraints or library_dir}",
            hint="give a folder of constraints with --constraints",
        )
    for note in lib.notes:
        sys.stderr.write(f"note: {note}\n")
    items = load_objects(paths)
    if not items and not allow_empty:
        raise InputError(
            "nothing to judge: no Kubernetes objects in " + ", ".join(paths),
            hint="a gate passes only what it judged; --allow-empty accepts an empty input",
        )
    inventory = [item.object for item in items if item.object is not None]
    report = _run_with_progress(lib.constraints, items, inventory, workers)
    findings = to_findings(report.results, lib.constraints)
    if deny_only:
        findings = [f for f in findings if "deny" in f.tags or "error" in f.tags]
    state = app_state(ctx)
    with state.open_store() as store:
        run_id = store.start_run(
            "policy test", current_actor(), {"library": str(library_dir), "paths": paths}
        )
        scope = "policy test:" + ",".join(sorted(paths))
        store.record_findings(run_id, scope, findings)
        code = ExitCode.VIOLATIONS if report.denied else ExitCode.OK
        if report.errored:
            code = ExitCode.DEPENDENCY
        store.finish_run(
            run_id,
            "denied" if report.denied else "ok",
            int(code),
            {"objects": len(items), "findings": len(findings)},
        )
    _render_test(report, findings, output, deny_only)
    if code is not ExitCode.OK:
        raise typer.Exit(int(code))


def _run_with_progress(
    constraints: Sequence[Constraint],
    items: Sequence[ReviewItem],
    inventory: Sequence[Mapping[str, Any]],
    workers: int,
) -> TestReport:
    from seccli.policy.gatekeeper.run import run_tests

    if len(items) < _PROGRESS_MIN or not sys.stderr.isatty():
        return run_tests(constraints, items, inventory, workers=workers)
    from rich.progress import Progress

    from seccli.cli.output import stderr_console

    with Progress(console=stderr_console(), transient=True) as progress:
        task = progress.add_task("reviewing objects", total=len(items))
        return run_tests(
            constraints,
            items,
            inventory,
            workers=workers,
            progress=lambda n: progress.advance(task, n),
        )


def _render_test(
    report: TestReport, findings: Sequence[Finding], output: OutputFormat, deny_only: bool
) -> None:
    import json

    from seccli import __version__
    from seccli.policy.gatekeeper.report import sarif, test_json

    if output is OutputFormat.JSON:
        print_json(test_json(report, deny_only=deny_only))
        return
    if output is OutputFormat.SARIF:
        log = sarif(findings, __version__)
        sys.stdout.write(json.dumps(log, indent=2, sort_keys=True) + "\n")
        return
    from rich.markup import escape
    from rich.table import Table

    document = test_json(report, deny_only=deny_only)
    console = stdout_console()
    if document["objects"]:
        table = Table(show_header=True, header_style="bold")
        for column in ("object", "constraint", "action", "message", "where"):
            table.add_column(column, overflow="fold")
        styles = {"deny": "bold red", "warn": "yellow", "dryrun": "dim"}
        for entry in document["objects"]:
            obj = entry["object"]
            ident = (
                f"{obj['kind']} {obj['namespace'] + '/' if obj['namespace'] else ''}" + obj["name"]
            )
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
    summary = document["summary"]
    counts = summary["violations"]
    console.print(
        f"{summary['objects']} object(s): {counts['deny']} deny, {counts['warn']} warn, "
        f"{counts['dryrun']} dryrun, {counts['error']} error"
        + (" -> denied" if summary["denied"] else " -> admitted")
    )

"""``seccli policy``: the Rego engine's commands (conformance runs, ad-hoc evaluation).

Further commands (Gatekeeper ``policy test`` / ``policy verify``) register on the same ``app``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from seccli.cli.output import OutputFormat, format_option, print_json, stdout_console
from seccli.core.errors import ExitCode, InputError

app = typer.Typer(
    help="Rego policies: evaluate, test and check engine conformance.", no_args_is_help=True
)


class EngineName(StrEnum):
    """Selectable policy engines."""

    NATIVE = "native"
    OPA = "opa"
    OPA_SERVER = "opa-server"


ENGINE_OPTION = typer.Option(
    EngineName.NATIVE, "--engine", help="native (default), opa (binary on PATH) or opa-server."
)
OPA_URL_OPTION = typer.Option(
    None, "--opa-url", help="OPA server URL for --engine opa-server, e.g. http://127.0.0.1:8181."
)
CONFORMANCE_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)


def engine_from_options(engine: EngineName, opa_url: str | None) -> Any:
    """Build the selected engine (shared with the other policy commands)."""
    from seccli.policy.engines import get_engine

    return get_engine(engine.value, opa_url=opa_url)


@app.command("conformance")
def conformance(
    paths: list[Path] = typer.Argument(..., help="Directories or files of YAML test cases."),
    skips: Path | None = typer.Option(
        None, "--skips", help="Skip list (cases and files not run, each with a reason)."
    ),
    engine: EngineName = ENGINE_OPTION,
    opa_url: str | None = OPA_URL_OPTION,
    output: OutputFormat = CONFORMANCE_FORMATS,
    show: str = typer.Option("all", "--show", help="Which cases to list: all, fail, none."),
    min_pass_rate: float = typer.Option(
        1.0,
        "--min-pass-rate",
        min=0.0,
        max=1.0,
        help="Exit 1 when the pass rate over non-implementation-specific cases is below this.",
    ),
) -> None:
    """Run Rego test cases in OPA's YAML format; print pass/fail/skip per case and totals."""
    from seccli.policy.conformance import FAIL, PASS, SkipList, run_paths, summarize

    if show not in ("all", "fail", "none"):
        raise InputError("--show must be all, fail or none")
    skip_list = SkipList.load(skips) if skips else SkipList()
    eng = engine_from_options(engine, opa_url)
    results = run_paths(paths, skip_list, eng if engine is not EngineName.NATIVE else None)
    totals = summarize(results)
    if output is OutputFormat.JSON:
        print_json(
            {
                "engine": engine.value,
                "totals": totals,
                "cases": [
                    {"id": r.id, "status": r.status, "detail": r.detail, "kind": r.kind}
                    for r in results
                    if show == "all" or (show == "fail" and r.status == FAIL)
                ],
            }
        )
    else:
        from rich.markup import escape

        console = stdout_console()
        for r in results:
            if show == "none" or (show == "fail" and r.status != FAIL):
                continue
            style = {PASS: "green", FAIL: "red"}.get(r.status, "yellow")
            line = f"[{style}]{r.status.upper():4}[/{style}] {escape(r.id)}"
            if r.detail:
                kind = f"[{r.kind}] " if r.kind else ""
                line += f"  — {escape(kind + r.detail)}"
            console.print(line, markup=True, highlight=False)
        console.print(
            f"total {totals['total']}: {totals['passed']} passed, {totals['failed']} failed, "
            f"{totals['skipped']} skipped ({totals['skipped_implementation_specific']} "
            f"implementation-specific); pass rate {totals['pass_rate']:.1%} of cases run, "
            f"{totals['pass_rate_non_specific']:.1%} of non-implementation-specific cases",
            markup=False,
        )
    if totals["pass_rate_non_specific"] < min_pass_rate:
        raise typer.Exit(int(ExitCode.VIOLATIONS))


@app.command("eval")
def eval_command(
    query: str = typer.Argument(..., help="Query or entrypoint, e.g. data.k8s.violation."),
    modules: list[Path] = typer.Option([], "--module", "-m", help="Rego module file(s)."),
    input_file: Path | None = typer.Option(None, "--input", "-i", help="Input JSON/YAML file."),
    data_file: Path | None = typer.Option(None, "--data", "-d", help="Base data JSON/YAML file."),
    v0: bool = typer.Option(False, "--v0", help="Parse modules as Rego v0."),
    strict: bool = typer.Option(False, "--strict-builtin-errors", help="Builtin errors abort."),
    engine: EngineName = ENGINE_OPTION,
    opa_url: str | None = OPA_URL_OPTION,
    allow_net: str | None = typer.Option(
        None,
        "--allow-net",
        help="Comma-separated hosts http.send and net.lookup_ip_addr may reach (* for any); "
        "without it a module calling them does not compile.",
    ),
) -> None:
    """Evaluate a query against modules, input and data; print the result as JSON."""
    from seccli.core.documents import read_source
    from seccli.policy.evaluate import evaluate_query

    sources = {str(m): read_source(m) for m in modules}
    given = {"input_document": _load_doc(input_file)} if input_file else {}
    data = _load_doc(data_file) if data_file else None
    if allow_net is not None:
        eng: Any = _native_with_net(engine, allow_net)
    else:
        eng = engine_from_options(engine, opa_url)
    outcome = evaluate_query(
        eng, query, sources, data=data, v0=v0, strict_builtin_errors=strict, **given
    )
    print_json(outcome.to_json())
    if not outcome.defined:
        raise typer.Exit(int(ExitCode.VIOLATIONS))


def _native_with_net(engine: EngineName, allow_net: str) -> Any:
    """The native engine with network builtins for the hosts listed in ``allow_net``."""
    from seccli.core.errors import InputError
    from seccli.policy.engines import NativeEngine

    if engine.value != "native":
        raise InputError("--allow-net is for the native engine (OPA takes capabilities files)")
    hosts = frozenset(h.strip().lower() for h in allow_net.split(",") if h.strip())
    if not hosts:
        raise InputError("--allow-net needs at least one host (or * for any)")
    return NativeEngine(allow_net=hosts)


def _load_doc(path: Path) -> Any:
    """One JSON/YAML document (``-`` = standard input) through the safe loader."""
    import sys

    from seccli.core.documents import load_input_document

    return load_input_document(path, sys.stdin.buffer).data

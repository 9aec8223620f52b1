"""``seccli generate``: Zero-Trust controls from the estate, as a Kustomize tree.

The work is done by ``seccli.zerotrust.generate.run``; this module renders and exits.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from seccli.cli.context import app_state, current_actor, default_estate_path
from seccli.cli.output import OutputFormat, format_option, print_json, stdout_console
from seccli.core.errors import ExitCode
from seccli.zerotrust.meshes import MeshChoice

if TYPE_CHECKING:
    from seccli.core.owned_tree import TreeDrift
    from seccli.zerotrust.generate.run import GenerateWrite

GENERATE_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)


def generate_command(
    ctx: typer.Context,
    estate: Path | None = typer.Argument(
        None, help="Estate file (default: the example estate).", show_default=False
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Folder of the generated tree."),
    mesh: MeshChoice | None = typer.Option(
        None, "--mesh", help="istio|linkerd|none (default: the estate's mesh).", show_default=False
    ),
    check: bool = typer.Option(
        False,
        "--check",
        help="Write nothing; exit 1 if generating would change the tree on disk.",
    ),
    rego: Path | None = typer.Option(
        None,
        "--rego",
        help="Gatekeeper template library (default: ./rego when it exists).",
        show_default=False,
    ),
    crd_schemas: Path | None = typer.Option(
        None,
        "--crd-schemas",
        help="Also validate custom resources against the CRD schemas in this folder.",
        show_default=False,
    ),
    output: OutputFormat = GENERATE_FORMATS,
) -> None:
    """Generate NetworkPolicies, SPIFFE/SPIRE, mesh mTLS and authorization, Gatekeeper
    constraints (with the ConstraintTemplates they need) and Vault policies from the estate;
    validate them; write or --check them."""
    from seccli.store.runs import recorded_run
    from seccli.zerotrust.generate.run import (
        GenerateRequest,
        check_generated,
        generate_controls,
        write_generated,
    )

    estate_path = estate or default_estate_path()
    generated = generate_controls(GenerateRequest(estate_path, mesh, rego, crd_schemas))
    if check:
        _report_check(check_generated(generated, out), out, len(generated.tree.files), output)
        return
    store = app_state(ctx).open_store()
    recording = recorded_run(
        store,
        "generate",
        current_actor(),
        str(out),
        summary={"estate": str(estate_path), "mesh": generated.mesh},
        action="zerotrust.generate",
    )
    with store, recording as run:
        result = write_generated(generated, out)
        run.finish(ExitCode.OK, audit=result.audit_payload())
    if output is OutputFormat.JSON:
        print_json(result.to_json())
        return
    _print_written(result)


def _print_written(result: GenerateWrite) -> None:
    console = stdout_console()
    generated, write, out = result.generated, result.write, result.out
    console.print(
        f"[green]generated[/green] {out}: {len(generated.tree.files)} files "
        f"({len(write.written)} written, {len(write.removed)} removed), mesh {generated.mesh}, "
        f"{generated.validation.core_checked} core and {generated.validation.crd_checked} "
        "custom objects schema-valid",
        markup=True,
    )
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
    for path in write.removed:
        console.print(f"removed: {out / path} (generated before, no longer)", markup=False)
    for path in write.foreign:
        console.print(f"foreign: {out / path} is not seccli's (kept)", markup=False)


def _report_check(drift: TreeDrift, out: Path, count: int, output: OutputFormat) -> None:
    """Print what ``--check`` found; exit 1 unless a write would change nothing."""
    from seccli.core.owned_tree import MANIFEST_NAME

    if output is OutputFormat.JSON:
        print_json(
            {
                "out": str(out),
                "clean": drift.clean,
                "missing": list(drift.missing),
                "changed": list(drift.changed),
                "edited": list(drift.edited),
                "stale": list(drift.stale),
                "foreign": list(drift.foreign),
                "unsafe": list(drift.unsafe),
                "manifest": drift.manifest,
                "leftovers": list(drift.leftovers),
            }
        )
    else:
        console = stdout_console()
        if drift.clean:
            console.print(f"[green]up to date[/green] {out}: {count} files")
        for label, paths in (
            ("missing", drift.missing),
            ("changed", drift.changed),
            ("edited", drift.edited),
            ("stale", drift.stale),
            ("unsafe", drift.unsafe),
            ("foreign", drift.foreign),
        ):
            for path in paths:
                console.print(f"{label:8} {out / path}", markup=False)
        if drift.manifest:
            console.print(f"manifest {out / MANIFEST_NAME}: {drift.manifest}", markup=False)
        for leftover in drift.leftovers:
            console.print(f"note: {leftover} is left from an interrupted run", markup=False)
    if not drift.clean:
        raise typer.Exit(int(ExitCode.VIOLATIONS))

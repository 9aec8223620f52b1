"""``seccli generate``: Zero-Trust controls from the estate, as a Kustomize tree."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from seccli.cli.context import app_state, current_actor, default_estate_path
from seccli.cli.output import print_json, stdout_console
from seccli.core.errors import DocumentInvalid, ExitCode

if TYPE_CHECKING:
    from seccli.core.owned_tree import TreeDrift

DEFAULT_REGO_LIBRARY = Path("rego")


class MeshChoice(StrEnum):
    """Service meshes the generator targets."""

    ISTIO = "istio"
    LINKERD = "linkerd"
    NONE = "none"


class GenerateFormat(StrEnum):
    """Output formats of ``generate``."""

    TABLE = "table"
    JSON = "json"


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
    output: GenerateFormat = typer.Option(
        GenerateFormat.TABLE, "--format", "-f", help="table|json"
    ),
) -> None:
    """Generate NetworkPolicies, SPIFFE/SPIRE, mesh mTLS and authorization, Gatekeeper
    constraints and Vault policies from the estate; validate them; write or --check them."""
    from seccli.core.hashing import sha256_json
    from seccli.estate.loader import load_estate
    from seccli.store.interface import AuditRecord
    from seccli.zerotrust.generate.tree import check_drift, generate_tree, write_tree
    from seccli.zerotrust.platform import estate_workloads
    from seccli.zerotrust.validate import validate_objects

    estate_path = estate or default_estate_path()
    loaded = load_estate(estate_path)
    library = rego if rego is not None else DEFAULT_REGO_LIBRARY
    if rego is not None and not rego.is_dir():
        from seccli.core.errors import InputError

        raise InputError(f"{rego}: template library folder not found")
    chosen = mesh.value if mesh is not None else loaded.estate.mesh
    tree = generate_tree(
        loaded.estate,
        mesh=chosen,
        rego_library=library if library.is_dir() else None,
    )
    if crd_schemas is not None and not crd_schemas.is_dir():
        from seccli.core.errors import InputError

        raise InputError(f"{crd_schemas}: CRD schema folder not found")
    report = validate_objects(
        tree.objects, crd_schemas=crd_schemas, world=estate_workloads(loaded.estate, chosen)
    )
    if not report.ok:
        raise DocumentInvalid(
            report.problems,
            hint="the generated manifests are invalid; fix the estate values named above",
        )
    if check:
        _report_check(check_drift(tree, out), out, len(tree.files), output)
        return
    result = write_tree(tree, out)
    digest = sha256_json({path: data.decode("utf-8") for path, data in tree.files.items()})
    with app_state(ctx).open_store() as store:
        store.append_audit(
            AuditRecord(
                actor=current_actor(),
                action="zerotrust.generate",
                subject=str(out),
                payload={
                    "estate": str(estate_path),
                    "mesh": chosen,
                    "files": len(tree.files),
                    "written": len(result.written),
                    "removed": len(result.removed),
                    "sha256": digest,
                },
            )
        )
    if output is GenerateFormat.JSON:
        print_json(
            {
                "out": str(out),
                "mesh": chosen,
                "files": sorted(tree.files),
                "written": list(result.written),
                "removed": list(result.removed),
                "foreign": list(result.foreign),
                "sha256": digest,
                "notes": [*result.notes, *tree.notes],
                "validated": {"core": report.core_checked, "crd": report.crd_checked},
            }
        )
        return
    console = stdout_console()
    console.print(
        f"[green]generated[/green] {out}: {len(tree.files)} files ({len(result.written)} written, "
        f"{len(result.removed)} removed), mesh {chosen}, {report.core_checked} core and "
        f"{report.crd_checked} custom objects schema-valid",
        markup=True,
    )
    for note in [*result.notes, *tree.notes]:
        console.print(f"note: {note}", markup=False)
    for path in result.removed:
        console.print(f"removed: {out / path} (generated before, no longer)", markup=False)
    for path in result.foreign:
        console.print(f"foreign: {out / path} is not seccli's (kept)", markup=False)


def _report_check(drift: TreeDrift, out: Path, count: int, output: GenerateFormat) -> None:
    """Print what ``--check`` found; exit 1 unless a write would change nothing."""
    from seccli.core.owned_tree import MANIFEST_NAME

    if output is GenerateFormat.JSON:
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

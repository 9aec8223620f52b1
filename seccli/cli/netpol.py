"""``seccli netpol``: offline NetworkPolicy reachability, and the proof against the estate."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seccli.cli.context import app_state, current_actor, default_estate_path
from seccli.cli.output import print_json, stdout_console
from seccli.core.errors import ExitCode, InputError

if TYPE_CHECKING:
    from seccli.zerotrust.analyzer import Reachability
    from seccli.zerotrust.prove import Proof

app = typer.Typer(
    help="Offline NetworkPolicy reachability and the proof that policies match the estate.",
    no_args_is_help=True,
)


class ReachFormat(StrEnum):
    """Output formats of ``netpol reach``."""

    TABLE = "table"
    JSON = "json"
    DOT = "dot"


class ProveFormat(StrEnum):
    """Output formats of ``netpol prove``."""

    TABLE = "table"
    JSON = "json"


class MeshChoice(StrEnum):
    """Meshes whose control plane the proof expects to be reachable."""

    ISTIO = "istio"
    LINKERD = "linkerd"
    NONE = "none"


ROOT_OPTION = typer.Option(
    None,
    "--root",
    help="Folder that bounds kustomize references and links (default: each folder named).",
)
MAX_INPUT_OPTION = typer.Option(
    20 * 1024 * 1024, "--max-input-size", min=1, help="Largest input file accepted, in bytes."
)


@app.command("reach")
def reach(
    paths: list[Path] = typer.Argument(..., help="Manifest files or folders (YAML/JSON)."),
    output: ReachFormat = typer.Option(ReachFormat.TABLE, "--format", "-f", help="table|json|dot"),
    namespace: str | None = typer.Option(
        None, "--namespace", "-n", help="DOT/SVG: only edges touching this namespace."
    ),
    svg: Path | None = typer.Option(
        None, "--svg", help="Also render the graph as SVG to this file (needs Graphviz)."
    ),
    max_input_size: int = MAX_INPUT_OPTION,
    root: Path | None = ROOT_OPTION,
) -> None:
    """Compute what the NetworkPolicies in PATH... allow, between every ordered pair of workloads
    and to/from external addresses (pairs not listed allow nothing)."""
    from seccli.core.documents import LoadLimits
    from seccli.zerotrust.analyzer import analyse
    from seccli.zerotrust.manifests import load_manifests

    manifests = load_manifests(paths, LoadLimits(max_bytes=max_input_size), root=root)
    if not manifests.files:
        raise InputError(
            f"{', '.join(map(str, paths))}: no Kubernetes manifests to judge",
            hint="name manifest files, a folder of them, or a folder with a kustomization",
        )
    result = analyse(manifests)
    if svg is not None or output is ReachFormat.DOT:
        from seccli.zerotrust.graph import to_dot, to_svg

        dot_text = to_dot(result, namespace)
        if svg is not None:
            from seccli.core.atomic import atomic_write_bytes

            atomic_write_bytes(svg, to_svg(dot_text))
        if output is ReachFormat.DOT:
            typer.echo(dot_text, nl=False)
            return
    if output is ReachFormat.JSON:
        print_json(reach_payload(result, manifests.files))
        return
    _print_reach(result)
    _print_files(manifests.files)


def reach_payload(result: Reachability, files: list[str] | None = None) -> dict[str, Any]:
    """The JSON document of ``netpol reach``; ``files``: the files that made the build."""
    return {
        "files": list(files or []),
        "workloads": [
            {"id": w.ident, "namespace": w.namespace, "name": w.name, "kind": w.kind}
            for w in result.workloads()
        ],
        "edges": [
            {"src": src.ident, "dst": dst.ident, "ports": ports.to_json()}
            for src, dst, ports in result.edges()
        ],
        "external": [
            {
                "workload": workload.ident,
                "direction": direction,
                "cidrs": list(access.cidrs),
                "ports": access.ports.to_json(),
            }
            for workload, direction, access in result.external()
        ],
    }


def _print_reach(result: Reachability) -> None:
    from rich.table import Table

    console = stdout_console()
    table = Table(show_header=True, header_style="bold")
    table.add_column("from")
    table.add_column("to")
    table.add_column("allowed")
    for src, dst, ports in result.edges():
        table.add_row(src.ident, dst.ident, str(ports))
    for workload, direction, access in result.external():
        cidrs = ", ".join(access.cidrs)
        if direction == "egress":
            table.add_row(workload.ident, cidrs, str(access.ports))
        else:
            table.add_row(cidrs, workload.ident, str(access.ports))
    console.print(table)


@app.command("prove")
def prove_command(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(
        ...,
        help="[ESTATE] DIR: the estate (default: the example estate) and the generated tree.",
        metavar="[ESTATE] DIR",
    ),
    mesh: MeshChoice | None = typer.Option(
        None,
        "--mesh",
        help="Mesh the tree was generated for (default: the estate's).",
        show_default=False,
    ),
    output: ProveFormat = typer.Option(ProveFormat.TABLE, "--format", "-f", help="table|json"),
    dot: Path | None = typer.Option(
        None, "--dot", help="Write the allowed service graph over the estate as DOT."
    ),
    svg: Path | None = typer.Option(
        None, "--svg", help="Write the allowed service graph as SVG (needs Graphviz)."
    ),
    namespace: str | None = typer.Option(
        None, "--namespace", "-n", help="Graph: only edges touching this namespace."
    ),
    root: Path | None = ROOT_OPTION,
) -> None:
    """Prove the generated NetworkPolicies allow exactly the estate's declared traffic (intents,
    DNS, mesh control plane, external egress): exit 0 if equal, 1 listing every difference."""
    from seccli.estate.loader import load_estate
    from seccli.store.interface import AuditRecord
    from seccli.zerotrust.prove import prove

    if len(paths) == 1:
        estate_path, tree = default_estate_path(), paths[0]
    elif len(paths) == 2:
        estate_path, tree = paths[0], paths[1]
    else:
        raise InputError("expected [ESTATE] DIR: at most two paths")
    if not tree.is_dir():
        raise InputError(f"{tree}: folder not found (the generated tree)")
    loaded = load_estate(estate_path)
    proof = prove(loaded.estate, [tree], mesh.value if mesh is not None else None, root=root)
    if (dot is not None or svg is not None) and proof.reachability is not None:
        from seccli.core.atomic import atomic_write_bytes, atomic_write_text
        from seccli.zerotrust.graph import to_dot, to_svg

        dot_text = to_dot(proof.reachability, namespace, title=loaded.estate.metadata.name)
        if dot is not None:
            atomic_write_text(dot, dot_text)
        if svg is not None:
            atomic_write_bytes(svg, to_svg(dot_text))
    with app_state(ctx).open_store() as store:
        store.append_audit(
            AuditRecord(
                actor=current_actor(),
                action="zerotrust.prove",
                subject=str(tree),
                payload={
                    "estate": str(estate_path),
                    "equal": proof.equal,
                    "extra": len(proof.extra),
                    "missing": len(proof.missing),
                },
            )
        )
    if output is ProveFormat.JSON:
        print_json(
            {
                "estate": str(estate_path),
                "tree": str(tree),
                "equal": proof.equal,
                "declaredEdges": proof.declared_edges,
                "allowedEdges": proof.allowed_edges,
                "differences": [d.to_json() for d in proof.differences],
                "files": proof.files,
            }
        )
    else:
        _print_proof(proof, tree)
        _print_files(proof.files)
    if not proof.equal:
        raise typer.Exit(int(ExitCode.VIOLATIONS))


def _print_files(files: list[str]) -> None:
    console = stdout_console()
    console.print(f"judged the build of {len(files)} files:", markup=False)
    for name in files:
        console.print(f"  {name}", markup=False, highlight=False)


def _print_proof(proof: Proof, tree: Path) -> None:
    console = stdout_console()
    if proof.equal:
        console.print(
            f"[green]proven[/green] {tree}: the policies allow exactly the "
            f"{proof.declared_edges} declared edges"
        )
        return
    console.print(
        f"[red]not proven[/red] {tree}: {len(proof.extra)} extra, {len(proof.missing)} missing"
    )
    for diff in proof.differences:
        console.print(diff.describe(), markup=False)
        for reason in diff.responsible:
            console.print(f"    {reason}", markup=False)

"""``seccli netpol``: offline NetworkPolicy reachability, and the proof against the estate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from seccli.cli.context import app_state, current_actor, default_estate_path
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
from seccli.core.errors import ExitCode, InputError
from seccli.zerotrust.hostnet import HostNetwork
from seccli.zerotrust.meshes import MeshChoice

if TYPE_CHECKING:
    from seccli.zerotrust.analyzer import Reachability
    from seccli.zerotrust.prove import Proof

app = typer.Typer(
    help="Offline NetworkPolicy reachability and the proof that policies match the estate.",
    no_args_is_help=True,
)


ROOT_OPTION = typer.Option(
    None,
    "--root",
    help="Folder that bounds kustomize references and links (default: each folder named).",
)
MAX_INPUT_OPTION = typer.Option(
    20 * 1024 * 1024, "--max-input-size", min=1, help="Largest input file accepted, in bytes."
)
REACH_FORMATS = format_option(
    OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.DOT, OutputFormat.LINES, pipe_aware=True
)
PROVE_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)


@app.command("reach")
def reach(
    paths: list[Path] = typer.Argument(..., help="Manifest files or folders (YAML/JSON)."),
    output: OutputFormat | None = REACH_FORMATS,
    namespace: str | None = typer.Option(
        None, "--namespace", "-n", help="DOT/SVG: only edges touching this namespace."
    ),
    svg: Path | None = typer.Option(
        None, "--svg", help="Also render the graph as SVG to this file (needs Graphviz)."
    ),
    max_input_size: int = MAX_INPUT_OPTION,
    root: Path | None = ROOT_OPTION,
    host_network: HostNetwork = typer.Option(
        HostNetwork.UNRESTRICTED,
        "--host-network",
        help="Host-network pods: unrestricted (NetworkPolicy does not govern them on most "
        "CNIs: everything to and from them is reported allowed) or as-pods (analysed as "
        "ordinary pods).",
    ),
    exclude: list[str] = EXCLUDE_OPTION,
    helm: bool = HELM_OPTION,
    no_ignore: bool = NO_IGNORE_OPTION,
    verbose: bool = VERBOSE_OPTION,
) -> None:
    """Compute what the NetworkPolicies in PATH... allow, between every ordered pair of workloads
    and to/from external addresses (pairs not listed allow nothing)."""
    from seccli.core.documents import LoadLimits
    from seccli.zerotrust.reachreport import reach_paths

    result = reach_paths(
        paths,
        LoadLimits(max_bytes=max_input_size),
        root=root,
        host_network=host_network,
        options=walk_options(exclude, helm, no_ignore),
    )
    report_skipped(result.skipped, verbose)
    output = format_for_stdout(output)
    if svg is not None or output is OutputFormat.DOT:
        from seccli.zerotrust.graph import to_dot, to_svg

        dot_text = to_dot(result.reachability, namespace)
        if svg is not None:
            from seccli.core.atomic import atomic_write_bytes

            atomic_write_bytes(svg, to_svg(dot_text))
        if output is OutputFormat.DOT:
            typer.echo(dot_text, nl=False)
            return
    if output is OutputFormat.JSON:
        print_json(result.as_json())
        return
    if output is OutputFormat.LINES:
        # one grep-able line per allowed pair; what was judged goes to stderr
        for line in _reach_lines(result.reachability):
            typer.echo(line)
        for note in result.notes():
            typer.echo(f"note: {note}")
        typer.echo(f"judged the build of {len(result.files)} files", err=True)
        return
    _print_reach(result.reachability)
    for note in result.notes():
        stdout_console().print(f"note: {note}", markup=False)
    _print_files(list(result.files))


def _reach_rows(result: Reachability, cidr_separator: str) -> list[tuple[str, str, str]]:
    """(from, to, allowed) for every allowed pair, then every external address."""
    rows = [(src.ident, dst.ident, str(ports)) for src, dst, ports in result.edges()]
    for workload, direction, access in result.external():
        cidrs = cidr_separator.join(access.cidrs)
        ends = (workload.ident, cidrs) if direction == "egress" else (cidrs, workload.ident)
        rows.append((*ends, str(access.ports)))
    return rows


def _reach_lines(result: Reachability) -> list[str]:
    """``from -> to: ports`` for every allowed pair and external address, sorted as the table."""
    return [f"{src} -> {dst}: {allowed}" for src, dst, allowed in _reach_rows(result, ",")]


def _print_reach(result: Reachability) -> None:
    from rich.table import Table

    console = stdout_console()
    table = Table(show_header=True, header_style="bold")
    table.add_column("from")
    table.add_column("to")
    table.add_column("allowed")
    for row in _reach_rows(result, ", "):
        table.add_row(*row)
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
    output: OutputFormat = PROVE_FORMATS,
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
    exclude: list[str] = EXCLUDE_OPTION,
    helm: bool = HELM_OPTION,
    no_ignore: bool = NO_IGNORE_OPTION,
    verbose: bool = VERBOSE_OPTION,
) -> None:
    """Prove the generated NetworkPolicies allow exactly the estate's declared traffic (intents,
    DNS, mesh control plane, external egress): exit 0 if equal, 1 listing every difference."""
    from seccli.store.runs import recorded_run
    from seccli.zerotrust.prove import prove_tree

    if len(paths) == 1:
        estate_path, tree = default_estate_path(), paths[0]
    elif len(paths) == 2:
        estate_path, tree = paths[0], paths[1]
    else:
        raise InputError("expected [ESTATE] DIR: at most two paths")
    store = app_state(ctx).open_store()
    recording = recorded_run(
        store, "netpol prove", current_actor(), str(tree), summary={"estate": str(estate_path)}
    )
    with store, recording as run:
        result = prove_tree(
            estate_path,
            tree,
            mesh.value if mesh is not None else None,
            root=root,
            options=walk_options(exclude, helm, no_ignore),
        )
        run.finish(result.exit_code, summary=result.audit_payload(), audit=result.audit_payload())
    proof = result.proof
    report_skipped(proof.skipped, verbose)
    if (dot is not None or svg is not None) and proof.reachability is not None:
        from seccli.core.atomic import atomic_write_bytes, atomic_write_text
        from seccli.zerotrust.graph import to_dot, to_svg

        dot_text = to_dot(
            proof.reachability, namespace, title=result.estate_name, differences=proof.differences
        )
        if dot is not None:
            atomic_write_text(dot, dot_text)
        if svg is not None:
            atomic_write_bytes(svg, to_svg(dot_text))
    if output is OutputFormat.JSON:
        print_json(result.as_json())
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

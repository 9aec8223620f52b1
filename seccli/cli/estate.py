"""``seccli estate``: validate the estate and summarise it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from seccli.cli.context import app_state, current_actor, default_estate_path
from seccli.cli.output import OutputFormat, invalid_document_payload, print_json, stdout_console
from seccli.core.errors import DocumentInvalid, ExitCode

if TYPE_CHECKING:
    from seccli.estate.summary import EstateSummary

app = typer.Typer(help="Validate and inspect the estate.", no_args_is_help=True)

MAX_INPUT_OPTION = typer.Option(
    20 * 1024 * 1024, "--max-input-size", min=1, help="Largest input file accepted, in bytes."
)


@app.command("validate")
def validate(
    ctx: typer.Context,
    path: Path | None = typer.Argument(
        None, help="Estate file (default: the example estate).", show_default=False
    ),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table|json"),
    max_input_size: int = MAX_INPUT_OPTION,
) -> None:
    """Validate an estate: schema, types and cross-references, every problem at once."""
    from seccli.core.documents import LoadLimits
    from seccli.core.hashing import sha256_file
    from seccli.estate.loader import load_estate
    from seccli.estate.summary import summarise
    from seccli.store.interface import AuditRecord

    estate_path = path or default_estate_path()
    try:
        loaded = load_estate(estate_path, LoadLimits(max_bytes=max_input_size))
    except DocumentInvalid as exc:
        if output is OutputFormat.JSON:
            print_json(invalid_document_payload(estate_path, exc))
            raise typer.Exit(int(ExitCode.INPUT)) from None
        raise
    summary = summarise(loaded.estate)
    digest = sha256_file(estate_path)
    state = app_state(ctx)
    with state.open_store() as store:
        run_id = store.start_run("estate validate", current_actor(), {"file": str(estate_path)})
        store.append_audit(
            AuditRecord(
                actor=current_actor(),
                action="estate.validate",
                subject=str(estate_path),
                payload={"sha256": digest, "valid": True, "counts": summary.as_dict()},
            )
        )
        store.finish_run(run_id, "ok", 0, {"counts": summary.as_dict()})
    if output is OutputFormat.JSON:
        print_json(
            {
                "file": str(estate_path),
                "sha256": digest,
                "valid": True,
                "estate": loaded.estate.metadata.name,
                "organisation": loaded.estate.organisation,
                "trustDomain": loaded.estate.trust_domain,
                "counts": summary.as_dict(),
            }
        )
        return
    _print_summary(estate_path, loaded.estate.organisation, summary)


def _print_summary(path: Path, organisation: str, summary: EstateSummary) -> None:
    from rich.table import Table

    console = stdout_console()
    console.print(f"[green]valid[/green] {path}: {organisation}")
    table = Table(show_header=True, header_style="bold")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in (
        ("namespaces", summary.namespaces),
        ("  subsidiaries", summary.subsidiaries),
        ("subdomains", summary.subdomains),
        ("services", summary.services),
        ("intents", summary.intents),
        ("secrets", summary.secrets),
        ("external egress", summary.external_egress),
        ("pinned images", summary.pinned_images),
    ):
        table.add_row(name, str(value))
    console.print(table)

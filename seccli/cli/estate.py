"""``seccli estate``: validate the estate and summarise it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from seccli.cli.context import app_state, current_actor, default_estate_path
from seccli.cli.output import (
    OutputFormat,
    format_option,
    invalid_document_payload,
    print_json,
    stdout_console,
)
from seccli.core.errors import DocumentInvalid, ExitCode

if TYPE_CHECKING:
    from seccli.estate.summary import EstateSummary

app = typer.Typer(help="Validate and inspect the estate.", no_args_is_help=True)

MAX_INPUT_OPTION = typer.Option(
    20 * 1024 * 1024, "--max-input-size", min=1, help="Largest input file accepted, in bytes."
)


VALIDATE_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)


@app.command("validate")
def validate(
    ctx: typer.Context,
    path: Path | None = typer.Argument(
        None, help="Estate file (default: the example estate).", show_default=False
    ),
    output: OutputFormat = VALIDATE_FORMATS,
    max_input_size: int = MAX_INPUT_OPTION,
) -> None:
    """Validate an estate: schema, types and cross-references, every problem at once."""
    from seccli.core.documents import LoadLimits
    from seccli.estate.summary import validate_estate_file
    from seccli.store.runs import recorded_run

    estate_path = path or default_estate_path()
    # Validate first: an estate that does not validate writes nothing (not even a run record).
    try:
        result = validate_estate_file(estate_path, LoadLimits(max_bytes=max_input_size))
    except DocumentInvalid as exc:
        if output is OutputFormat.JSON:
            print_json(invalid_document_payload(estate_path, exc))
            raise typer.Exit(int(ExitCode.INPUT)) from None
        raise
    store = app_state(ctx).open_store()
    subject = str(estate_path)
    recording = recorded_run(
        store, "estate validate", current_actor(), subject, summary={"file": subject}
    )
    with store, recording as run:
        run.finish(0, summary={"counts": result.summary.as_dict()}, audit=result.audit_payload())
    if output is OutputFormat.JSON:
        print_json(result.as_json())
        return
    _print_summary(estate_path, result.organisation, result.summary)


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

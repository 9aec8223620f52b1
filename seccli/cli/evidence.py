"""``seccli evidence``: control catalogs, the signed evidence pack, its verification and KPIs."""

from __future__ import annotations

import csv
import io
from typing import Any

import typer

from seccli.cli.output import OutputFormat, format_option, print_json, stdout_console

app = typer.Typer(
    help="Audit evidence: control catalogs, signed evidence packs, verification, KPIs.",
    no_args_is_help=True,
)

CONTROLS_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.CSV)


@app.command("controls")
def controls_command(
    framework: str | None = typer.Option(
        None, "--framework", help="soc2, iso27001 or gdpr (default: all)."
    ),
    output: OutputFormat = CONTROLS_FORMATS,
) -> None:
    """List the controls of the catalogs, the checks that evidence them and the crosswalk."""
    from seccli.evidence.controls_view import control_rows

    rows = control_rows(framework)
    if output is OutputFormat.JSON:
        print_json({"controls": rows})
    elif output is OutputFormat.CSV:
        typer.echo(_csv(rows), nl=False)
    else:
        _table(rows)


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["framework", "id", "title", "group", "checks", "related"])
    for row in rows:
        writer.writerow(
            [
                row["framework"],
                row["id"],
                row["title"],
                row["group"],
                " ".join(row["checks"]),
                " ".join(
                    f"{r['framework']}:{r['id']}({r['relationship']})" for r in row["related"]
                ),
            ]
        )
    return buffer.getvalue()


def _table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    for column in ("framework", "id", "title", "checks", "crosswalk"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["framework"],
            row["id"],
            row["title"],
            ", ".join(row["checks"]) or "-",
            ", ".join(f"{r['id']} ({r['relationship']})" for r in row["related"]) or "-",
        )
    stdout_console().print(table)

"""format_option: a command offers only the formats it renders, in --help and on parse."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from seccli.cli.output import format_option
from seccli.render.formats import OutputFormat

TABLE_OR_JSON = format_option(OutputFormat.TABLE, OutputFormat.JSON)


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def show(output: OutputFormat = TABLE_OR_JSON) -> None:
        typer.echo(f"format={output.value}:{type(output).__name__}")

    return app


def test_supported_formats_parse_to_the_enum() -> None:
    runner = CliRunner()
    assert runner.invoke(_app(), []).output.strip() == "format=table:OutputFormat"
    assert runner.invoke(_app(), ["-f", "json"]).output.strip() == "format=json:OutputFormat"


def test_unsupported_format_is_a_usage_error_listing_the_supported_ones() -> None:
    for value in ("sarif", "markdown", "JSON", ""):
        result = CliRunner().invoke(_app(), ["--format", value])
        assert result.exit_code == 2, value
        assert "table, json" in result.output


def test_help_shows_only_the_supported_formats() -> None:
    text = CliRunner().invoke(_app(), ["--help"]).output
    assert "[table|json]" in text
    assert "sarif" not in text and "markdown" not in text

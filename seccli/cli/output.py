"""Rendering helpers for commands: formats, JSON, tables and errors on stderr."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from seccli.render.formats import OutputFormat as OutputFormat  # re-exported for commands

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console

    from seccli.core.errors import DocumentInvalid, SeccliError

JSON_SCHEMA_VERSION = "1"


def format_option(
    *formats: OutputFormat, default: OutputFormat | None = None, pipe_aware: bool = False
) -> Any:
    """A ``--format/-f`` option offering exactly ``formats`` (``--help`` lists only those).

    Annotate the parameter as ``OutputFormat``; a format the command does not render is a
    usage error (exit 2) naming the ones it does. With ``pipe_aware`` the option defaults to
    ``None`` (annotate ``OutputFormat | None``) and the command calls ``format_for_stdout``:
    a table on a terminal, one line per result otherwise, unless a format is given.
    """
    import typer

    names = [fmt.value for fmt in formats]

    def parse(value: str | OutputFormat) -> OutputFormat:
        text = value.value if isinstance(value, OutputFormat) else str(value)
        if text not in names:
            raise typer.BadParameter(f"{text!r} is not one of {', '.join(names)}")
        return OutputFormat(text)

    note = " Default: table on a terminal, lines otherwise." if pipe_aware else ""
    return typer.Option(
        None if pipe_aware else (default or formats[0]).value,
        "--format",
        "-f",
        parser=parse,
        metavar="[" + "|".join(names) + "]",
        help=f"Output format: {', '.join(names)}.{note}",
        show_default=not pipe_aware,
    )


def format_for_stdout(
    chosen: OutputFormat | None,
    *,
    terminal: OutputFormat = OutputFormat.TABLE,
    pipe: OutputFormat = OutputFormat.LINES,
    stream: Any = None,
) -> OutputFormat:
    """The format given on the command line, else ``terminal`` when stdout (or ``stream``) is
    a terminal and ``pipe`` (grep-friendly lines) when it is a pipe or a file."""
    if chosen is not None:
        return chosen
    return terminal if _is_terminal(sys.stdout if stream is None else stream) else pipe


def _is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (a stream that cannot tell is not one)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return callable(isatty) and bool(isatty())
    except (OSError, ValueError):
        return False


#: Width of tables written to a pipe or a file (Rich would cut them at 80 columns).
PIPE_WIDTH = 200


def _width(stream: Any) -> int | None:
    """``None`` (Rich decides) on a terminal or when ``COLUMNS`` is set; else ``PIPE_WIDTH``."""
    import os

    return None if _is_terminal(stream) or os.environ.get("COLUMNS") else PIPE_WIDTH


def stdout_console() -> Console:
    """A Rich console on stdout: colours on a terminal, plain text otherwise."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, width=_width(sys.stdout))


def stderr_console() -> Console:
    """A Rich console on stderr."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True, width=_width(sys.stderr))


def print_json(payload: dict[str, Any]) -> None:
    """Print a versioned, stable JSON document (sorted keys) on stdout."""
    document = {"schemaVersion": JSON_SCHEMA_VERSION, **payload}
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
    if not _encodable(text, sys.stdout):
        # Same document, lossless: \uXXXX escapes where stdout's encoding lacks a character.
        text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True)
    sys.stdout.write(text + "\n")


def _encodable(text: str, stream: object) -> bool:
    """Whether ``stream``'s encoding can write every character of ``text``."""
    if text.isascii():
        return True
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def print_error(error: SeccliError) -> None:
    """Print a user-facing error on stderr: one line per problem, then the hint (credentials
    in any URL they quote removed: the raising code should have, this is the last line)."""
    from seccli.core.urls import redact_urls

    for line in error.lines():
        sys.stderr.write(f"error: {redact_urls(line)}\n")
    if error.hint:
        sys.stderr.write(f"hint: {redact_urls(error.hint)}\n")


def invalid_document_payload(path: Path, error: DocumentInvalid) -> dict[str, Any]:
    """The JSON body reporting an invalid document: every problem with file, line and path."""
    return {
        "file": str(path),
        "valid": False,
        "problems": [
            {
                "file": problem.location.file,
                "line": problem.location.line,
                "path": problem.location.path,
                "message": problem.message,
            }
            for problem in error.problems
        ],
    }

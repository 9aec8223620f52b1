"""``seccli sbom [PATH | --environment]`` and ``seccli sbom diff OLD NEW``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from seccli.cli.output import OutputFormat, format_option, print_json, stdout_console
from seccli.core.errors import InputError

if TYPE_CHECKING:
    from seccli.supplychain.sbom_diff import SbomDiff

DIFF_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)


def sbom_command(
    targets: list[str] = typer.Argument(
        None,
        help="A project folder (Python, npm, Go lock or manifest files) or one such file; "
        "or `diff OLD.json NEW.json`.",
        show_default=False,
    ),
    environment: bool = typer.Option(
        False, "--environment", help="Describe an installed environment instead of a project."
    ),
    python: str | None = typer.Option(
        None, "--python", help="With --environment: interpreter or virtualenv (default: this one)."
    ),
    out: Path | None = typer.Option(None, "--output", "-o", help="Write the SBOM here."),
    output: OutputFormat = DIFF_FORMATS,
) -> None:
    """Build a CycloneDX 1.6 JSON SBOM (validated against the schema), or diff two SBOMs
    (`seccli sbom diff OLD NEW`: exit 0 if equal, 1 if they differ)."""
    args = list(targets or [])
    if args and args[0] == "diff":
        if len(args) != 3:
            raise InputError("usage: seccli sbom diff OLD.json NEW.json")
        _diff(Path(args[1]), Path(args[2]), output)
        return
    from seccli.core.atomic import atomic_write_text
    from seccli.supplychain.sbom import build_sbom, plan_for_environment, plan_for_path

    if environment:
        if args:
            raise InputError("give a PATH or --environment, not both")
        plan = plan_for_environment(python or sys.executable)
    else:
        if len(args) != 1:
            raise InputError("give one project folder or requirements file (or --environment)")
        plan = plan_for_path(Path(args[0]))
    sbom = build_sbom(plan)
    text = json.dumps(sbom, indent=2, sort_keys=True) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    atomic_write_text(out, text)
    count = len(sbom.get("components") or [])
    stdout_console().print(
        f"CycloneDX {sbom.get('specVersion')} SBOM, {count} components → {out}", markup=False
    )


def _diff(old_path: Path, new_path: Path, output: OutputFormat) -> None:
    from seccli.supplychain.sbom import load_sbom
    from seccli.supplychain.sbom_diff import diff_sboms

    diff = diff_sboms(load_sbom(old_path), load_sbom(new_path))
    if output is OutputFormat.JSON:
        print_json({"old": str(old_path), "new": str(new_path), **diff.to_json()})
    else:
        _print_diff(diff)
    if not diff.empty:
        raise typer.Exit(1)


def _print_diff(diff: SbomDiff) -> None:
    console = stdout_console()
    for sign, entries in (("+", diff.added), ("-", diff.removed)):
        for entry in entries:
            console.print(
                f"{sign} {entry.key} {entry.version or ''} {', '.join(entry.licenses)}".rstrip(),
                markup=False,
            )
    for change in diff.changed:
        line = f"~ {change.key} {change.old_version} → {change.new_version}"
        if change.old_licenses != change.new_licenses:
            line += (
                f" (licences {', '.join(change.old_licenses) or 'none'} → "
                f"{', '.join(change.new_licenses) or 'none'})"
            )
        console.print(line, markup=False)
    console.print(
        f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"
    )

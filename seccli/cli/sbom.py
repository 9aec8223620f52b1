"""``seccli sbom [PATH | --environment]`` and ``seccli sbom diff OLD NEW``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from seccli.cli.output import OutputFormat, format_option, print_json, stdout_console
from seccli.core.errors import InputError

DIFF_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)


def sbom_command(
    targets: list[str] = typer.Argument(
        None,
        help="A Python project folder or requirements file; or `diff OLD.json NEW.json`.",
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
    stdout_console().print(f"CycloneDX {sbom.get('specVersion')} SBOM, {count} components → {out}")


def _diff(old_path: Path, new_path: Path, output: OutputFormat) -> None:
    from seccli.supplychain.sbom import diff_sboms, load_sbom

    diff = diff_sboms(load_sbom(old_path), load_sbom(new_path))
    if output is OutputFormat.JSON:
        print_json({"old": str(old_path), "new": str(new_path), **diff.to_json()})
    else:
        console = stdout_console()
        for name, version, licenses in diff.added:
            console.print(f"+ {name} {version or ''} {', '.join(licenses)}".rstrip())
        for name, version, licenses in diff.removed:
            console.print(f"- {name} {version or ''} {', '.join(licenses)}".rstrip())
        for change in diff.changed:
            line = f"~ {change.name} {change.old_version} → {change.new_version}"
            if change.old_licenses != change.new_licenses:
                line += (
                    f" (licences {', '.join(change.old_licenses) or 'none'} → "
                    f"{', '.join(change.new_licenses) or 'none'})"
                )
            console.print(line)
        console.print(
            f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"
        )
    if not diff.empty:
        raise typer.Exit(1)

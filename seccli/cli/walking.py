"""Options of every command that walks a tree of manifests, and how skipped files are shown.

Usage in a command: ``exclude: list[str] = EXCLUDE_OPTION``, ``helm: bool = HELM_OPTION``,
``verbose: bool = VERBOSE_OPTION``; pass ``walk_options(exclude, helm, no_ignore)`` to the
capability and call ``report_skipped(result.skipped, verbose)`` after rendering.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from seccli.manifests.walk import SkippedFile, WalkOptions

EXCLUDE_OPTION = typer.Option(
    [],
    "--exclude",
    help="Leave out paths matching this glob when walking a folder (repeatable; "
    "e.g. vendor, charts/, '*.json').",
)
HELM_OPTION = typer.Option(
    False,
    "--helm",
    help="Render Helm charts (folders with Chart.yaml) with `helm template` instead of "
    "skipping their templates (needs helm on PATH).",
)
NO_IGNORE_OPTION = typer.Option(
    False, "--no-ignore-files", help="Do not honour .gitignore and .seccliignore files."
)
VERBOSE_OPTION = typer.Option(
    False, "--verbose", "-v", help="List every file skipped as not a manifest."
)


def walk_options(exclude: Sequence[str], helm: bool, no_ignore: bool = False) -> WalkOptions:
    """The walk options of a command's flags."""
    from seccli.manifests.walk import WalkOptions

    return WalkOptions(tuple(exclude), ignore_files=not no_ignore, helm=helm)


def report_skipped(skipped: Sequence[SkippedFile], verbose: bool) -> None:
    """On stderr: one note per skipped file with ``--verbose``, else their count."""
    if not skipped:
        return
    if verbose:
        for item in skipped:
            sys.stderr.write(f"note: {item.note()}\n")
        return
    sys.stderr.write(
        f"note: {len(skipped)} file(s) skipped as not Kubernetes manifests (--verbose lists them)\n"
    )

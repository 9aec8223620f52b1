"""Where scanned paths are relative to, and which paths ``--exclude`` leaves out.

Findings are fingerprinted with paths relative to the scanned folder, so ``infrastructure``,
``./infrastructure/`` and its absolute path give the same ids. Outputs show paths relative to
the *source root*, which SARIF declares as ``originalUriBaseIds.SRCROOT``:

1. the root of the git work tree holding the scanned folder (a ``.git`` entry), else
2. the current directory, when the scanned folder is inside it, else
3. the scanned folder itself.

So ``seccli scan infrastructure`` run from the repository root reports
``infrastructure/info-app/app.py``, a path that exists in the repository.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from seccli.core.findings import Finding
from seccli.manifests.walk import excluded

__all__ = ["excluded", "rebase", "source_root"]


def source_root(target: Path, cwd: Path | None = None) -> Path:
    """The folder outputs make paths relative to (see the module docstring)."""
    resolved = target.resolve()
    for candidate in (resolved, *resolved.parents):
        if (candidate / ".git").exists():
            return candidate
    here = (cwd or Path.cwd()).resolve()
    if resolved == here or here in resolved.parents:
        return here
    return resolved


def rebase(finding: Finding, prefix: str) -> Finding:
    """``finding`` with its file relative to the source root (``prefix``: the scanned folder
    relative to it); the id is kept, findings on the whole tree (``.``) are left alone."""
    file = finding.location.file
    if not prefix or file in (".", "") or Path(file).is_absolute():
        return finding
    location = replace(finding.location, file=f"{prefix}/{file}")
    return finding.model_copy(update={"location": location})

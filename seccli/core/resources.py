"""The data seccli ships: the Rego policy library, the Semgrep rule pack, examples, playbooks.

In the repository these live in their well-known top-level folders (``rego/``,
``policies/semgrep/``, ``examples/``, ``playbooks/``); the wheel carries them as package data
under ``seccli/_data/`` with the same relative paths (see ``setup.py``). ``bundled_path``
finds them with ``importlib.resources`` in an installed package and falls back to the folders
of a source checkout (an editable install or ``python -m seccli`` from the repository).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path, PurePosixPath

from seccli.core.errors import InputError

# Top-level folders of the repository shipped in the wheel (``setup.py`` maps each one).
BUNDLED_FOLDERS = ("rego", "policies/semgrep", "examples", "playbooks")
DATA_PACKAGE = "_data"


def _checked(relative: str | Path) -> PurePosixPath:
    rel = PurePosixPath(Path(relative).as_posix())
    if rel.is_absolute() or ".." in rel.parts:
        raise InputError(f"not a path inside seccli's data: {relative}")
    if not any(rel.is_relative_to(folder) for folder in BUNDLED_FOLDERS):
        raise InputError(
            f"{relative} is not shipped with seccli (shipped: {', '.join(BUNDLED_FOLDERS)})"
        )
    return rel


def installed_data_root() -> Path | None:
    """``seccli/_data`` of an installed wheel, or None (a source checkout has no such folder)."""
    root = files("seccli") / DATA_PACKAGE
    if isinstance(root, Path) and root.is_dir():
        return root
    return None


def checkout_root() -> Path:
    """The repository folder when seccli runs from a source checkout."""
    return Path(__file__).resolve().parents[2]


def bundled_path(relative: str | Path) -> Path:
    """Where the shipped ``relative`` path (``examples/claytom/estate.yaml``, ``rego``) is.

    The installed package data first, then the source checkout. The returned path may not
    exist (e.g. a file a newer version added); callers report that as for any missing input.
    """
    rel = _checked(relative)
    installed = installed_data_root()
    if installed is not None:
        candidate = installed.joinpath(*rel.parts)
        if candidate.exists():
            return candidate
    return checkout_root().joinpath(*rel.parts)


def default_input(relative: str | Path) -> Path:
    """``relative`` in the current folder when it exists there, else the shipped copy."""
    local = Path(relative)
    if local.exists():
        return local
    shipped = bundled_path(relative)
    return shipped if shipped.exists() else local

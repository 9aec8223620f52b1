"""State shared by every command: the store, the actor, the debug flag and default inputs."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from seccli.store.sqlite import SqliteStore

DEFAULT_STORE = Path(".seccli") / "state.db"
EXAMPLE_ESTATE = Path("examples") / "claytom" / "estate.yaml"


@dataclass
class AppState:
    """Global options given before the command."""

    store_path: Path | None = None
    debug: bool = False
    invoke: Callable[[list[str]], object] | None = None
    """Runs one whole seccli command line in this process (set by the app; the bus worker
    runs its jobs with it, so no command module has to import the app that imports it)."""

    def resolved_store_path(self) -> Path:
        """The state database path: ``--store``, ``SECCLI_STORE`` or ``.seccli/state.db``."""
        return self.store_path or DEFAULT_STORE

    def open_store(self, *, create: bool = True) -> SqliteStore:
        """Open the state database (creating and migrating it unless ``create`` is false)."""
        from seccli.store.sqlite import SqliteStore

        return SqliteStore.open(self.resolved_store_path(), create=create)


def app_state(ctx: typer.Context) -> AppState:
    """The ``AppState`` of the running command."""
    root = ctx.find_root()
    state = root.obj
    if not isinstance(state, AppState):
        state = AppState()
        root.obj = state
    return state


def current_actor() -> str:
    """Who is running seccli, for the audit log: ``SECCLI_ACTOR`` or the login name."""
    actor = os.environ.get("SECCLI_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def default_estate_path() -> Path:
    """The estate every command reads by default.

    ``SECCLI_ESTATE`` if set; else ``examples/claytom/estate.yaml`` in the current folder; else
    the example shipped with seccli.
    """
    from seccli.core.resources import default_input

    configured = os.environ.get("SECCLI_ESTATE")
    if configured:
        return Path(configured)
    return default_input(EXAMPLE_ESTATE)

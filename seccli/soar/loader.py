"""Finding, loading and validating playbooks (``playbooks/NAME.yaml``) and incidents."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccli.core.documents import Document, load_document
from seccli.core.errors import DocumentInvalid, InputError, SeccliError
from seccli.core.userdoc import validate_user_document
from seccli.soar.interface import SoarConfig
from seccli.soar.model import Playbook
from seccli.soar.validate import check_playbook


@dataclass
class PlaybookLibrary:
    """Where playbooks are looked up by name, with a cache of the ones loaded."""

    folders: tuple[Path, ...]
    config: SoarConfig
    _loaded: dict[str, tuple[Playbook, Document] | None] = field(default_factory=dict)

    def path_of(self, name: str) -> Path | None:
        """The file of playbook ``name`` in the first folder that has one."""
        for folder in self.folders:
            for suffix in (".yaml", ".yml"):
                candidate = folder / f"{name}{suffix}"
                if candidate.is_file():
                    return candidate
        return None

    def names(self) -> list[str]:
        """Every playbook name in the folders (first folder wins)."""
        found: set[str] = set()
        for folder in self.folders:
            if folder.is_dir():
                found.update(p.stem for p in folder.glob("*.yaml"))
        return sorted(found)

    def parse(self, path: Path) -> tuple[Playbook, Document]:
        """Schema-validate the playbook at ``path`` (no graph checks)."""
        document = load_document(path)
        return validate_user_document(document, Playbook), document

    def resolve(self, name: str) -> Playbook | None:
        """Playbook ``name`` (schema-valid) or None when missing or invalid."""
        if name not in self._loaded:
            path = self.path_of(name)
            try:
                self._loaded[name] = self.parse(path) if path else None
            except SeccliError:
                self._loaded[name] = None
        found = self._loaded[name]
        return found[0] if found else None

    def load(self, name_or_file: str) -> tuple[Playbook, Document, Path]:
        """Load and fully validate a playbook by name or path (``DocumentInvalid``)."""
        path = Path(name_or_file)
        if not (path.suffix in (".yaml", ".yml", ".json") and path.exists()):
            found = self.path_of(name_or_file)
            if found is None:
                where = ", ".join(str(f) for f in self.folders)
                raise InputError(
                    f"playbook {name_or_file!r} not found (looked in {where})",
                    hint="give a file path or a name from `seccli playbook list`",
                )
            path = found
        playbook, document = self.parse(path)
        self._loaded.setdefault(playbook.metadata.name, (playbook, document))
        return playbook, document, path

    def validated(self, name_or_file: str) -> tuple[Playbook, Document, Path]:
        """``load`` plus every graph, definition, action and call check."""
        playbook, document, path = self.load(name_or_file)
        problems = check_playbook(playbook, document, self.config, self.resolve)
        if problems:
            raise DocumentInvalid(problems)
        return playbook, document, path


def load_incident(path: Path) -> tuple[dict[str, Any], str]:
    """An incident's fields (a JSON or YAML mapping) and its source name."""
    document = load_document(path)
    if not isinstance(document.data, dict):
        raise InputError(f"{path}:{document.start_line}: an incident must be a JSON object")
    data = document.data.get("inputs", document.data)
    if not isinstance(data, dict):
        raise InputError(f"{path}:{document.line_of(('inputs',))}: inputs must be an object")
    return data, str(path)

"""Collect forensics: snapshot named files and recent findings into a content-hashed folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field

from seccli.core.atomic import atomic_write_bytes
from seccli.core.documents import read_file_bytes
from seccli.core.errors import SeccliError
from seccli.core.hashing import canonical_json, sha256_hex
from seccli.soar.interface import Action, ActionArgs, ActionContext, ActionFailed, SoarConfig

MAX_FILE_BYTES = 16 * 1024 * 1024


class ForensicsArgs(ActionArgs):
    files: list[str] = Field(default_factory=list, max_length=200)
    """Regular files to copy (each at most 16 MiB)."""
    include_findings: bool = True
    """Add the store's recent findings."""
    label: str = "incident"


class ForensicsAction(Action[ForensicsArgs]):
    name = "forensics.collect"
    summary = "snapshot files and recent findings into a folder named by their hash"
    args_model = ForensicsArgs
    changes_state = True

    def describe(self, args: ForensicsArgs, config: SoarConfig) -> str:
        extra = " and recent findings" if args.include_findings else ""
        return f"snapshot {len(args.files)} file(s){extra} into {config.workdir}/forensics/"

    def execute(self, args: ForensicsArgs, ctx: ActionContext) -> dict[str, Any]:
        contents: dict[str, bytes] = {}
        for index, name in enumerate(args.files):
            try:
                contents[f"files/{index:03d}-{Path(name).name}"] = read_file_bytes(
                    Path(name), MAX_FILE_BYTES
                )
            except SeccliError as exc:
                raise ActionFailed(f"cannot snapshot {name}: {exc.message}") from None
        if args.include_findings and ctx.config.recent_findings is not None:
            findings = ctx.config.recent_findings()
            contents["findings.json"] = json.dumps(findings, sort_keys=True, indent=1).encode()
        manifest = {
            "label": args.label,
            "run": ctx.run_id,
            "step": ctx.step_key,
            "files": {name: sha256_hex(data) for name, data in sorted(contents.items())},
            "sources": list(args.files),
        }
        digest = sha256_hex(canonical_json(manifest))
        folder = ctx.config.workdir / "forensics" / digest[:32]
        try:
            for name, data in contents.items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(folder / name, data, mode=0o600)
            atomic_write_bytes(folder / "manifest.json", canonical_json(manifest) + b"\n")
        except (OSError, SeccliError) as exc:
            raise ActionFailed(f"cannot write the snapshot: {exc}") from None
        return {"folder": str(folder), "sha256": digest, "files": len(contents)}

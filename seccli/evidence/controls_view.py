"""The rows ``seccli evidence controls`` shows: each control, its checks and its crosswalk."""

from __future__ import annotations

from typing import Any

from seccli.evidence.catalog import FRAMEWORKS, catalogs, related_controls
from seccli.evidence.mapping import CHECKS


def checks_by_control() -> dict[tuple[str, str], list[str]]:
    """(framework key, control id) → ids of the checks that produce evidence for it."""
    keys = {name: key for key, name in FRAMEWORKS.items()}
    result: dict[tuple[str, str], list[str]] = {}
    for check in CHECKS.values():
        for ref in check.controls:
            result.setdefault((keys[ref.framework], ref.control_id), []).append(check.id)
    return result


def control_rows(framework: str | None) -> list[dict[str, Any]]:
    """Every control of ``framework`` (all frameworks if ``None``) as JSON-ready rows."""
    by_control = checks_by_control()
    return [
        {
            **control.to_json(),
            "checks": sorted(by_control.get((control.framework, control.id), [])),
            "related": [
                {"framework": fw, "id": cid, "relationship": rel}
                for fw, cid, rel in related_controls(control.framework, control.id)
            ],
        }
        for cat in catalogs((framework,) if framework is not None else None)
        for control in cat.controls
    ]

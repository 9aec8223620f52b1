"""Security KPIs in the organisation's standard metrics JSON, one record per subsidiary.

Record shape: ``{"ts", "subsidiary", "role": "security", "kpis": {...}, "okrs": {...}}``.
``kpis`` holds the measured values (``null`` when not measured: a check that never ran, or a
server that was not configured, is never reported as meeting its target); ``okrs`` holds
each KPI's target and whether it is met (``null`` when unmeasured).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from seccli.estate.model import Estate
from seccli.evidence.collect import Collected, RunEvidence
from seccli.evidence.period import iso, parse_instant

HOLDING = "holding"
TARGETS: dict[str, tuple[float, str]] = {
    "openCriticalFindingsOver24h": (0, "max"),
    "imagesSignedPercent": (100, "min"),
    "secretsInVaultWithinRotationPercent": (100, "min"),
    "lastDrillMttaMinutes": (5, "max"),
    "lastDrillMttrMinutes": (30, "max"),
}


def subsidiaries(estate: Estate) -> list[tuple[str, str | None]]:
    """(subsidiary slug, namespace) pairs, the holding first."""
    pairs: list[tuple[str, str | None]] = [(HOLDING, None)]
    pairs += [
        (n.name.removeprefix("subs-"), n.name) for n in estate.namespaces if n.role == "subsidiary"
    ]
    return pairs


def _latest(collected: Collected, check_id: str) -> RunEvidence | None:
    result = collected.checks.get(check_id)
    return result.latest if result is not None else None


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _attribute(text: str, slugs: Iterable[tuple[str, str | None]]) -> str:
    for slug, namespace in slugs:
        if namespace and (namespace in text or f"/{slug}/" in text):
            return slug
    return HOLDING


def _minutes(result: Any, *names: str) -> float | None:
    if not isinstance(result, dict):
        return None
    for name in names:
        value = result.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return round(float(value) / 60.0, 2) if name.endswith("Seconds") else float(value)
    for nested in ("scores", "score", "summary", "metrics"):
        inner = result.get(nested)
        if isinstance(inner, dict):
            found = _minutes(inner, *names)
            if found is not None:
                return found
    return None


def compute_kpis(estate: Estate, collected: Collected, ts: datetime) -> list[dict[str, Any]]:
    """One KPI record per subsidiary (and one for the holding's shared platform)."""
    slugs = subsidiaries(estate)
    cutoff = iso(ts - timedelta(hours=24))
    critical: dict[str, int] = dict.fromkeys((s for s, _ in slugs), 0)
    for finding in collected.findings:
        h = finding.history
        if finding.open and h.severity.lower() == "critical" and h.first_seen < cutoff:
            critical[_attribute(f"{h.scope} {h.file}", slugs)] += 1
    images = _image_verdicts(_latest(collected, "image-gate"))
    secrets = _secret_share(collected)
    drill = _latest(collected, "drills")
    drill_result = drill.audit_payload if drill is not None else None
    mtta = _minutes(drill_result, "mttaMinutes", "mttaSeconds", "mtta")
    mttr = _minutes(drill_result, "mttrMinutes", "mttrSeconds", "mttr")
    shared = {n.name for n in estate.namespaces if n.role != "subsidiary"}
    records: list[dict[str, Any]] = []
    for slug, namespace in slugs:
        owned = {namespace} if namespace else shared
        services = [s for s in estate.services if s.namespace in owned]
        signed_pct: float | None = None
        if images is not None and services:
            # an image the gate did not judge counts as not signed (never as signed)
            signed_pct = _percent(sum(1 for s in services if images.get(s.image)), len(services))
        values: dict[str, float | int | None] = {
            "openCriticalFindingsOver24h": critical[slug],
            "imagesSignedPercent": signed_pct,
            "secretsInVaultWithinRotationPercent": secrets,
            "lastDrillMttaMinutes": mtta,
            "lastDrillMttrMinutes": mttr,
        }
        records.append(
            {
                "ts": iso(ts),
                "subsidiary": slug,
                "role": "security",
                "kpis": values,
                "okrs": {name: _okr(name, value) for name, value in values.items()},
            }
        )
    return records


def _okr(name: str, value: float | int | None) -> dict[str, Any]:
    target, kind = TARGETS[name]
    met = None if value is None else (value <= target if kind == "max" else value >= target)
    return {"target": target, "direction": kind, "met": met}


def _image_verdicts(run: RunEvidence | None) -> dict[str, bool] | None:
    """Image reference → signed and allowed, from the latest image-gate run."""
    if run is None or not isinstance(run.audit_payload, dict):
        return None
    verdicts: dict[str, bool] = {}
    for item in run.audit_payload.get("images") or []:
        if isinstance(item, dict) and isinstance(item.get("reference"), str):
            signed = bool(item.get("signers")) and item.get("verdict") == "pass"
            verdicts[item["reference"]] = signed
    return verdicts


def _secret_share(collected: Collected) -> float | None:
    result = collected.checks.get("vault-audit")
    if result is None or result.status not in {"pass", "fail"} or result.latest is None:
        return None  # Vault not audited (or not reachable) in the period: not measured
    summary = result.latest.run.summary
    total, overdue = summary.get("secrets"), summary.get("overdue")
    if not isinstance(total, int) or not isinstance(overdue, int):
        return None
    return _percent(total - overdue, total)


def kpi_timestamp(text: str) -> datetime:
    """Parse a KPI ``ts``."""
    return parse_instant(text, "ts")

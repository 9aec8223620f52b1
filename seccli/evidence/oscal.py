"""OSCAL assessment results (1.x) built with compliance-trestle's models and validated by them.

One result per framework; one observation per automated check (its evidence file as relevant
evidence); one finding per control with its status: OSCAL's objective status knows only
``satisfied`` and ``not-satisfied``, so controls not assessed or not applicable carry no
status and say so in a ``seccli-status`` property. UUIDs are derived from the pack's content
(UUIDv5), so identical inputs give identical files. trestle is imported lazily (~1.5 s).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from seccli import __version__
from seccli.core.errors import DependencyError
from seccli.evidence.catalog import Catalog
from seccli.evidence.collect import Collected
from seccli.evidence.status import ControlResult

_NAMESPACE = uuid.UUID("8f0b5c1e-6a59-4c39-9d0e-2f1d2c7e5a10")


def _uuid(seed: str, *parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join((seed, *parts))))


def assessment_results(
    seed: str,
    generated: datetime,
    collected: Collected,
    frameworks: Sequence[tuple[Catalog, list[ControlResult]]],
) -> bytes:
    """The assessment results as OSCAL JSON bytes, validated by trestle's models."""
    try:
        from trestle.oscal import OSCAL_VERSION, common
        from trestle.oscal import assessment_results as ar
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DependencyError(f"compliance-trestle is not installed: {exc}") from None

    period = collected.period
    observations = []
    observation_ids: dict[str, str] = {}
    for result in sorted(collected.checks.values(), key=lambda r: r.check.id):
        oid = _uuid(seed, "observation", result.check.id)
        observation_ids[result.check.id] = oid
        observations.append(
            common.Observation(
                uuid=oid,
                title=result.check.title,
                description=f"{result.check.id}: {result.status} — {result.reason}",
                methods=["TEST"],
                types=["control-objective"],
                props=[common.Property(name="seccli-check-status", value=result.status)],
                relevant_evidence=[
                    common.RelevantEvidence(
                        href=f"../evidence/checks/{result.check.id}.json",
                        description="Runs of this check and their audit payloads",
                    )
                ],
                collected=generated,
            )
        )
    results = []
    for cat, controls in frameworks:
        findings = []
        for control in controls:
            target: dict[str, Any] = {
                "type": common.FindingTargetTypeValidValues.objective_id,
                "target_id": _token(control.control.id),
                "title": control.control.title,
                "description": control.reason,
            }
            if control.status in ("satisfied", "not satisfied"):
                state = (
                    common.ObjectiveStatusStateValidValues.satisfied
                    if control.status == "satisfied"
                    else common.ObjectiveStatusStateValidValues.not_satisfied
                )
                target["status"] = common.ObjectiveStatus(state=state)
            related = [
                common.RelatedObservation(observation_uuid=observation_ids[c.check.id])
                for c in control.checks
            ]
            findings.append(
                common.Finding(
                    uuid=_uuid(seed, "finding", cat.framework, control.control.id),
                    title=f"{control.control.id} {control.control.title}",
                    description=control.reason,
                    props=[
                        common.Property(
                            name="seccli-status", value=control.status.replace(" ", "-")
                        )
                    ],
                    target=common.FindingTarget(**target),
                    related_observations=related or None,
                )
            )
        results.append(
            ar.Result(
                uuid=_uuid(seed, "result", cat.framework),
                title=f"{cat.title} — {period.label}",
                description=f"Automated assessment of {cat.title} by seccli {__version__}.",
                start=period.start,
                end=period.end,
                reviewed_controls=common.ReviewedControls(
                    control_selections=[
                        common.ControlSelections(
                            include_controls=[
                                common.SelectControlById(control_id=_token(c.control.id))
                                for c in controls
                            ]
                        )
                    ]
                ),
                observations=observations or None,
                findings=findings or None,
            )
        )
    model = ar.AssessmentResults(
        uuid=_uuid(seed, "assessment-results"),
        metadata=common.Metadata(
            title=f"seccli evidence pack — {period.label}",
            last_modified=generated,
            version=__version__,
            oscal_version=common.OscalVersion(OSCAL_VERSION),
        ),
        import_ap=ar.ImportAp(
            href="#seccli-automated-assessment",
            remarks="No separate assessment plan: seccli's checks are the plan (see manifest).",
        ),
        results=results,
    )
    data: bytes = model.oscal_serialize_json_bytes(pretty=True, wrapped=True)
    validate_assessment_results(data)
    return data + b"\n"


def _token(control_id: str) -> str:
    return control_id.lower()


def validate_assessment_results(data: bytes) -> None:
    """Parse ``data`` back through trestle's models (``ValueError`` if invalid)."""
    from trestle.oscal import assessment_results as ar

    from seccli.core.documents import parse_json_bytes

    document = parse_json_bytes(data, "oscal/assessment-results.json")
    if not isinstance(document, dict) or set(document) != {"assessment-results"}:
        raise ValueError("not an OSCAL assessment-results document")
    ar.AssessmentResults.model_validate(document["assessment-results"])

"""Gatekeeper constraints for the estate, instantiated from the ``rego/`` template library.

The estate gives the parameters (``seccli.policy.gatekeeper.instantiate`` says which template
parameter takes which): its registries, the label keys every service's pods carry, the label
keys every generated Namespace carries, and its namespaces as the match. What ``seccli
generate`` writes carries exactly these labels, so the tree passes its own constraints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccli.estate.model import Estate
from seccli.policy.gatekeeper.instantiate import ConstraintSettings, instantiate
from seccli.zerotrust.platform import pod_labels

#: Labels ``seccli generate`` puts on every Namespace besides the estate's own.
GENERATED_NAMESPACE_LABELS = ("app.kubernetes.io/managed-by", "seccli.dev/role")


@dataclass(slots=True)
class GatekeeperOutput:
    """Constraints generated, the template files they need, and templates skipped."""

    constraints: list[dict[str, Any]] = field(default_factory=list)
    template_files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _registries(estate: Estate) -> tuple[str, ...]:
    return tuple(sorted({f"{s.image_ref.registry}/" for s in estate.services}))


def _common(label_sets: list[set[str]]) -> tuple[str, ...]:
    if not label_sets:
        return ()
    return tuple(sorted(set.intersection(*label_sets)))


def estate_settings(estate: Estate) -> ConstraintSettings:
    """Constraint parameters from ``estate``: registries, labels and namespaces."""
    namespace_labels = _common([set(ns.labels) for ns in estate.namespaces])
    return ConstraintSettings(
        name_prefix=estate.metadata.name,
        registries=_registries(estate),
        workload_labels=_common([set(pod_labels(s)) for s in estate.services]),
        namespace_labels=tuple(sorted({*namespace_labels, *GENERATED_NAMESPACE_LABELS})),
        namespaces=tuple(sorted(ns.name for ns in estate.namespaces)),
        source=f"estate {estate.metadata.name}",
    )


def generate_constraints(estate: Estate, library: Path) -> GatekeeperOutput:
    """The constraints of every usable template of ``library`` for ``estate``."""
    made = instantiate(library, estate_settings(estate))
    return GatekeeperOutput(made.constraints, made.template_files, made.notes)

"""``seccli generate`` as a capability: the estate in, a validated tree written or checked.

``generate_controls`` builds and validates the tree; ``write_generated`` writes it and returns
what changed plus the audit payload; ``check_generated`` compares it with the tree on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccli.core.errors import DocumentInvalid, InputError
from seccli.core.owned_tree import TreeDrift, TreeWrite
from seccli.zerotrust.generate.tree import GeneratedTree
from seccli.zerotrust.meshes import MeshChoice
from seccli.zerotrust.validate import ValidationReport

DEFAULT_REGO_LIBRARY = Path("rego")


@dataclass(frozen=True)
class GenerateRequest:
    """The estate file, the mesh (``None``: the estate's), the template library (``None``:
    ``./rego`` when it exists) and CRD schemas to validate custom resources against."""

    estate: Path
    mesh: MeshChoice | None = None
    rego: Path | None = None
    crd_schemas: Path | None = None


@dataclass
class Generated:
    """A generated, schema-valid tree and what it was made from."""

    estate: Path
    mesh: str
    tree: GeneratedTree
    validation: ValidationReport

    @property
    def digest(self) -> str:
        """SHA-256 over every generated file (path → text)."""
        from seccli.core.hashing import sha256_json

        return sha256_json({path: data.decode("utf-8") for path, data in self.tree.files.items()})


@dataclass
class GenerateWrite:
    """A written tree: what was written, removed and kept, with notes."""

    generated: Generated
    out: Path
    write: TreeWrite
    notes: list[str] = field(default_factory=list)

    def audit_payload(self) -> dict[str, Any]:
        """Estate, mesh, counts and the tree's digest."""
        return {
            "estate": str(self.generated.estate),
            "mesh": self.generated.mesh,
            "files": len(self.generated.tree.files),
            "written": len(self.write.written),
            "removed": len(self.write.removed),
            "sha256": self.generated.digest,
        }

    def to_json(self) -> dict[str, Any]:
        """The JSON document ``generate --format json`` prints."""
        generated = self.generated
        return {
            "out": str(self.out),
            "mesh": generated.mesh,
            "files": sorted(generated.tree.files),
            "written": list(self.write.written),
            "removed": list(self.write.removed),
            "foreign": list(self.write.foreign),
            "sha256": generated.digest,
            "notes": self.notes,
            "validated": {
                "core": generated.validation.core_checked,
                "crd": generated.validation.crd_checked,
            },
        }


def generate_controls(request: GenerateRequest) -> Generated:
    """Generate the tree for the estate and validate every object (``DocumentInvalid`` if the
    estate's values make invalid manifests)."""
    from seccli.estate.loader import load_estate
    from seccli.zerotrust.generate.tree import generate_tree
    from seccli.zerotrust.platform import estate_workloads
    from seccli.zerotrust.validate import validate_objects

    loaded = load_estate(request.estate)
    if request.rego is not None and not request.rego.is_dir():
        raise InputError(f"{request.rego}: template library folder not found")
    from seccli.core.resources import default_input

    library = request.rego if request.rego is not None else default_input(DEFAULT_REGO_LIBRARY)
    chosen = request.mesh.value if request.mesh is not None else loaded.estate.mesh
    tree = generate_tree(
        loaded.estate, mesh=chosen, rego_library=library if library.is_dir() else None
    )
    if request.crd_schemas is not None and not request.crd_schemas.is_dir():
        raise InputError(f"{request.crd_schemas}: CRD schema folder not found")
    report = validate_objects(
        tree.objects,
        crd_schemas=request.crd_schemas,
        world=estate_workloads(loaded.estate, chosen),
    )
    if not report.ok:
        raise DocumentInvalid(
            report.problems,
            hint="the generated manifests are invalid; fix the estate values named above",
        )
    return Generated(request.estate, chosen, tree, report)


def write_generated(generated: Generated, out: Path) -> GenerateWrite:
    """Make ``out`` exactly the generated tree (one atomic switch)."""
    from seccli.zerotrust.generate.tree import write_tree

    result = write_tree(generated.tree, out)
    return GenerateWrite(generated, out, result, [*result.notes, *generated.tree.notes])


def check_generated(generated: Generated, out: Path) -> TreeDrift:
    """How ``out`` differs from the generated tree (writes nothing)."""
    from seccli.zerotrust.generate.tree import check_drift

    return check_drift(generated.tree, out)

"""A store with known runs, findings and audit entries, and keys, for the evidence tests."""

from __future__ import annotations

from pathlib import Path

from seccli.core.findings import Finding
from seccli.core.location import Location
from seccli.core.severity import Severity
from seccli.store.runs import recorded_run
from seccli.store.sqlite import SqliteStore
from seccli.supplychain.keys import generate_key_pair

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "claytom" / "estate.yaml"
ALL_TIME = ("2000-01-01", "2100-01-01")
GATEWAY_IMAGE = (
    "registry.claytom.systems/holding/api-gateway:3.2.0@sha256:"
    "59d051b0ed639f71c667d87481b33096bec34fd6328910e536f2370154b49ebf"
)


def keys(folder: Path, name: str = "evidence") -> tuple[Path, Path]:
    """Write a fresh key pair; return (private, public) paths."""
    private, public = generate_key_pair()
    (folder / f"{name}.key").write_bytes(private)
    (folder / f"{name}.pub").write_bytes(public)
    return folder / f"{name}.key", folder / f"{name}.pub"


def finding(
    rule: str, severity: Severity, file: str = "app/main.py", tool: str = "bandit"
) -> Finding:
    """A finding of ``tool``'s ``rule``."""
    return Finding.create(
        tool=tool,
        rule_id=rule,
        title=f"{rule} title",
        message="m",
        severity=severity,
        location=Location(file=file, line=3),
        basis=f"{rule}-{file}",
    )


def fill_store(db: Path) -> None:
    """Runs of several checks with known outcomes, findings and their audit entries."""
    with SqliteStore.open(db, create=True) as store:
        with recorded_run(store, "estate validate", "ci", str(EXAMPLE)) as run:
            run.finish(0, summary={"valid": True}, audit={"valid": True})
        with recorded_run(store, "images verify", "ci", "trust.yaml") as run:
            run.finish(
                0,
                summary={"pass": 1},
                audit={
                    "images": [
                        {
                            "reference": GATEWAY_IMAGE,
                            "verdict": "pass",
                            "signers": ["demo"],
                        }
                    ]
                },
            )
        with recorded_run(store, "netpol prove", "ci", "out") as run:
            run.finish(1, summary={"violations": 2}, audit={"violations": 2})
        with recorded_run(store, "scan", "ci", "repo") as run:
            store.record_findings(
                run.run_id,
                "scan:repo",
                [
                    finding("B105", Severity.CRITICAL),
                    finding("B311", Severity.LOW, "subs-hoteles/app.py"),
                    finding("CKV_K8S_20", Severity.HIGH, "k8s/deploy.yaml", tool="checkov"),
                ],
            )
            run.finish(1, summary={"findings": 3}, audit={"findings": 3})
        with recorded_run(store, "drill run", "ci", "ransomware") as run:
            run.finish(0, summary={"score": 90}, audit={"mttaMinutes": 4, "mttrMinutes": 42})

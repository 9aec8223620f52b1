"""Evidence pack benchmark: build and verify the pack for the example and a large estate.

Workloads:
- the example: a store filled by one ``seccli assess`` of examples/claytom (in process: every
  step, the scanners included), then the pack built from it and verified;
- large: the synthetic estate of bench/foundation.py (35 namespaces x 100 services = 3,500
  services) and a temporary store holding 10,000 findings (100 scan scopes of 100) and 10,000
  audit entries (2,000 of them the entries of recorded runs of every check).

Goals: example build <= 10 s, example verify <= 2 s; large build <= 30 s. Build and verify are
each the best of ``--repeats`` runs (a shared machine only adds noise); build includes writing
the zip.

Run: python bench/evidence.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from _timing import best_of, report, timed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from foundation import synthetic_estate  # noqa: E402

from seccli.core.atomic import atomic_write_bytes  # noqa: E402
from seccli.core.findings import Finding  # noqa: E402
from seccli.core.location import Location  # noqa: E402
from seccli.core.severity import Severity  # noqa: E402
from seccli.evidence.pack import BuildRequest, build_pack  # noqa: E402
from seccli.evidence.period import Period  # noqa: E402
from seccli.evidence.verify import verify_pack  # noqa: E402
from seccli.store.interface import AuditRecord  # noqa: E402
from seccli.store.sqlite import SqliteStore  # noqa: E402
from seccli.supplychain.keys import PrivateKey, generate_key_pair, load_private_key  # noqa: E402

EXAMPLE = ROOT / "examples" / "claytom"
ALL_TIME = Period("bench", datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
FINDINGS = 10_000
SCOPES = 100
AUDIT_ENTRIES = 10_000
RUNS = 2_000
COMMANDS = (
    "estate validate",
    "org validate",
    "generate",
    "netpol prove",
    "policy test",
    "images verify",
    "vault audit",
    "scan",
    "drill run",
    "playbook run",
)
SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)
RULES = (("bandit", "B105"), ("checkov", "CKV_K8S_20"), ("semgrep", "python.lang.x"))
WIDTH = 34


def _key(folder: Path) -> PrivateKey:
    private, _public = generate_key_pair()
    path = folder / "bench.key"
    path.write_bytes(private)
    return load_private_key(path)


def _build_and_verify(
    name: str,
    db: Path,
    estate: Path,
    out: Path,
    key: PrivateKey,
    repeats: int,
    goals: dict[str, float],
) -> None:
    request = BuildRequest(estate_path=estate, period=ALL_TIME, key=key, source_date_epoch=0)

    def build() -> None:
        with SqliteStore.open(db, create=False) as store:
            built = build_pack(store, request)
        atomic_write_bytes(out, built.data)

    build_s = best_of(build, repeats).wall
    public = key.public()
    checked = verify_pack(out, public)
    if not checked.ok:
        raise SystemExit(f"{name}: the pack does not verify: {checked.problems[:3]}")
    verify_s = best_of(lambda: verify_pack(out, public), repeats).wall
    size = out.stat().st_size / 1e6
    print(f"{name}: {checked.files} files, {size:.1f} MB")
    report(f"  build (best of {repeats})", build_s, goals.get("build"), WIDTH)
    report(f"  verify (best of {repeats})", verify_s, goals.get("verify"), WIDTH)


def example(folder: Path, repeats: int) -> None:
    from seccli.assess.run import AssessRequest, assess
    from seccli.scan.engine import ScanOptions

    db = folder / "example.db"
    request = AssessRequest(
        estate=EXAMPLE / "estate.yaml",
        org=EXAMPLE / "org.yaml",
        work=folder / "work",
        scan_options=ScanOptions(warm=False),
    )
    with timed() as filled:
        result = assess(request, lambda: SqliteStore.open(db), "bench")
    statuses = ", ".join(f"{s.step} {s.status.value}" for s in result.steps)
    report("example: assess (fills the store)", filled.wall, None, WIDTH)
    print(f"  steps: {statuses}")
    _build_and_verify(
        "example pack",
        db,
        EXAMPLE / "estate.yaml",
        folder / "example.zip",
        _key(folder),
        repeats,
        {"build": 10.0, "verify": 2.0},
    )


def _fill_large(db: Path) -> None:
    with SqliteStore.open(db) as store:
        run_ids = []
        for n in range(RUNS):
            command = COMMANDS[n % len(COMMANDS)]
            run_id = store.start_run(command, "bench", {"n": n})
            status, code = ("ok", 0) if n % 7 else ("violations", 1)
            store.finish_run(run_id, status, code, {"n": n})
            run_ids.append((run_id, command, status, code))
        per_scope = FINDINGS // SCOPES
        for scope in range(SCOPES):
            findings = []
            for i in range(per_scope):
                tool, rule = RULES[i % len(RULES)]
                findings.append(
                    Finding.create(
                        tool=tool,
                        rule_id=rule,
                        title=f"{rule} in service {i}",
                        message="synthetic finding",
                        severity=SEVERITIES[i % len(SEVERITIES)],
                        location=Location(f"subs-n{scope % 35:02d}/svc{i:03d}/main.py", i + 1),
                        basis=f"{scope}/{i}",
                    )
                )
            run_id = run_ids[scope * len(COMMANDS) + COMMANDS.index("scan")][0]  # a scan run
            store.record_findings(run_id, f"scan:repo{scope:03d}", findings)
        records = [
            AuditRecord(
                actor="bench",
                action=".".join(command.split()),
                subject="synthetic",
                payload={"run": run_id, "exitCode": code, "status": status, "result": {"n": i}},
            )
            for i, (run_id, command, status, code) in enumerate(run_ids)
        ]
        records += [
            AuditRecord(actor="bench", action="bench.note", subject="synthetic", payload={"n": n})
            for n in range(AUDIT_ENTRIES - len(records))
        ]
        for start in range(0, len(records), 1000):
            store.append_audit_many(records[start : start + 1000])


def large(folder: Path, repeats: int) -> None:
    from seccli.estate.loader import load_estate

    estate = folder / "estate.yaml"
    estate.write_text(synthetic_estate())
    services = len(load_estate(estate).estate.services)
    db = folder / "large.db"
    with timed() as filled:
        _fill_large(db)
    report(
        f"large: store of {FINDINGS} findings, {AUDIT_ENTRIES} audit entries (setup)",
        filled.wall,
    )
    _build_and_verify(
        f"large pack ({services} services)",
        db,
        estate,
        folder / "large.zip",
        _key(folder),
        repeats,
        {"build": 30.0},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        example(Path(folder), args.repeats)
        large(Path(folder), args.repeats)


if __name__ == "__main__":
    main()

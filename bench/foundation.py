"""Foundation benchmark: estate load + validate, and audit-log append + verify.

Workload: a synthetic estate of 35 namespaces x 100 services x 5 intents, and 10,000
audit entries. Goal: each under 2 s on a 2-core machine.

Run: python bench/foundation.py
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

from _timing import median_of, timed, verdict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seccli.estate.loader import load_estate  # noqa: E402
from seccli.store.interface import AuditRecord  # noqa: E402
from seccli.store.sqlite import SqliteStore  # noqa: E402

NAMESPACES = 35
SERVICES_PER_NAMESPACE = 100
INTENTS_PER_SERVICE = 5
AUDIT_ENTRIES = 10_000
GOAL_S = 2.0


def synthetic_estate() -> str:
    """YAML text of the synthetic estate."""
    lines = [
        "apiVersion: seccli.dev/v1alpha1",
        "kind: Estate",
        "metadata:",
        "  name: synthetic",
        "organisation: Synthetic Holdings",
        "trustDomain: synthetic.example",
        "cluster: synthetic",
        "namespaces:",
    ]
    for n in range(NAMESPACES):
        lines += [f"  - name: subs-n{n:02d}", "    role: subsidiary"]
    lines.append("subdomains:")
    for n in range(NAMESPACES):
        lines += [f"  - name: sd{n:02d}", f"    squad: squad-{n:02d}"]
    lines.append("services:")
    for n in range(NAMESPACES):
        for s in range(SERVICES_PER_NAMESPACE):
            digest = hashlib.sha256(f"{n}/{s}".encode()).hexdigest()
            lines += [
                f"  - name: svc{s:03d}",
                f"    namespace: subs-n{n:02d}",
                f"    subdomain: sd{n:02d}",
                "    labels:",
                f"      app.kubernetes.io/name: svc{s:03d}",
                "    ports:",
                "      - name: http",
                "        port: 8080",
                "      - name: grpc",
                "        port: 9090",
                f"    image: registry.synthetic.example/n{n:02d}/svc{s:03d}:1.0@sha256:{digest}",
                "    secrets:",
                f"      - path: kv/subs-n{n:02d}/svc{s:03d}",
                "    intents:",
            ]
            for k in range(1, INTENTS_PER_SERVICE + 1):
                target = (s + k) % SERVICES_PER_NAMESPACE
                other = (n + k) % NAMESPACES
                to = f"svc{target:03d}" if k % 2 else f"subs-n{other:02d}/svc{target:03d}"
                lines += [f"      - to: {to}", f"        port: {'http' if k % 2 else 9090}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        estate_path = root / "estate.yaml"
        estate_path.write_text(synthetic_estate())
        size_mb = estate_path.stat().st_size / 1e6
        loaded = load_estate(estate_path)
        services = len(loaded.estate.services)
        intents = sum(len(s.intents) for s in loaded.estate.services)
        load_s = median_of(lambda: load_estate(estate_path), 3).wall
        print(f"estate: {services} services, {intents} intents, {size_mb:.1f} MB of YAML")
        print(
            f"  load + validate (median of 3): {load_s:.3f} s  "
            f"(goal <= {GOAL_S} s: {verdict(load_s, GOAL_S)})"
        )

        records = [
            AuditRecord("bench", "bench.append", f"subject-{i}", {"i": i, "note": "x" * 40})
            for i in range(AUDIT_ENTRIES)
        ]
        with SqliteStore.open(root / "batch.db") as store:
            with timed() as batch:
                store.append_audit_many(records)
            with timed() as verify:
                result = store.verify_audit()
            batch_s, verify_s = batch.wall, verify.wall
            assert result.ok and result.entries == AUDIT_ENTRIES
        with SqliteStore.open(root / "single.db") as store:
            with timed() as single:
                for record in records:
                    store.append_audit(record)
            single_s = single.wall
            assert store.verify_audit().ok
        total = batch_s + verify_s
        print(f"audit: {AUDIT_ENTRIES} entries")
        print(f"  append in one transaction: {batch_s:.3f} s")
        print(f"  full verify:               {verify_s:.3f} s")
        print(
            f"  append + verify:           {total:.3f} s  "
            f"(goal <= {GOAL_S} s: {verdict(total, GOAL_S)})"
        )
        print(
            f"  one transaction per entry (durable checkpoint each time): {single_s:.3f} s "
            f"({AUDIT_ENTRIES / single_s:,.0f} entries/s)"
        )


if __name__ == "__main__":
    main()

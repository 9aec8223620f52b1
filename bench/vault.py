"""Vault benchmark: audit 10,000 secrets and rotate 1,000, against the emulator, through hvac.

Workload: a synthetic estate of 20 namespaces x 50 services x 10 KV v2 secrets
(10,000 secrets), 1,000 of them overdue. Prints secrets/second for the metadata audit and for
the two-phase rotation, and HTTP requests per secret (goals: audit <= 1, rotation <= 6).
Rotation declares no verification (a verifier's own cost is the user's); every step is
appended to a real SQLite audit log.

The emulator (tests/fakes/vault.py) is Python on the same two cores, so absolute rates are a
floor: against a real Vault the client side is the same and the server is faster.

Run: python bench/vault.py
"""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path

from _timing import timed, verdict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seccli.core.clock import FixedClock  # noqa: E402
from seccli.core.redaction import Secret  # noqa: E402
from seccli.estate.model import Estate  # noqa: E402
from seccli.secrets.client import VaultSettings, connect  # noqa: E402
from seccli.secrets.inventory import audit_secrets  # noqa: E402
from seccli.secrets.rotation import RotationOptions, Rotator  # noqa: E402
from seccli.store.sqlite import SqliteStore  # noqa: E402
from tests.fakes.vault import FakeVault  # noqa: E402

NAMESPACES = 20
SERVICES_PER_NAMESPACE = 50
SECRETS_PER_SERVICE = 10
OVERDUE_EVERY = 10  # one secret in ten is overdue -> 1,000
AUDIT_GOAL = 1.0
ROTATION_GOAL = 6.0
AUDIT_WORKERS = 4


def synthetic_estate() -> Estate:
    """10,000 KV secrets across 1,000 services."""
    namespaces = [f"ns-{n:02d}" for n in range(NAMESPACES)]
    services = [
        {
            "name": f"svc-{s:03d}",
            "namespace": ns,
            "subdomain": "core",
            "image": "registry.example.com/app:1.0",
            "secrets": [
                {"path": f"kv/{ns}/svc-{s:03d}/s{k}", "generator": {"key": "password"}}
                for k in range(SECRETS_PER_SERVICE)
            ],
        }
        for ns in namespaces
        for s in range(SERVICES_PER_NAMESPACE)
    ]
    return Estate.model_validate(
        {
            "apiVersion": "seccli.dev/v1alpha1",
            "kind": "Estate",
            "metadata": {"name": "bench"},
            "organisation": "Bench",
            "trustDomain": "bench.example",
            "cluster": "bench",
            "namespaces": [{"name": ns, "role": "subsidiary"} for ns in namespaces],
            "subdomains": [{"name": "core", "squad": "platform"}],
            "services": services,
        }
    )


def _emulator(conn: Connection) -> None:
    """Child process: seed the emulator, serve it, answer "count" and "stop" over the pipe."""
    estate = synthetic_estate()
    vault = FakeVault()
    paths = [ref.path for svc in estate.services for ref in svc.secrets]
    for i, path in enumerate(paths):
        age = 120 if i % OVERDUE_EVERY == 0 else 10
        created = vault.now - timedelta(days=age)
        vault.put_kv(path, {"password": f"p{i}", "user": "u"}, created=created)
    vault.start()
    conn.send((vault.url, vault.root_token, vault.now))
    while True:
        command = conn.recv()
        if command == "count":
            conn.send(vault.requests)
        else:
            vault.stop()
            conn.send(None)
            return


def main() -> None:
    estate = synthetic_estate()
    paths = [ref.path for svc in estate.services for ref in svc.secrets]
    # The emulator runs in its own process so that it does not share the client's GIL.
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    server = context.Process(target=_emulator, args=(child,), daemon=True)
    server.start()
    url, token, now = parent.recv()

    def count() -> int:
        parent.send("count")
        return int(parent.recv())

    try:
        api = connect(VaultSettings(address=url, token=Secret(token)))
        clock = FixedClock(now)

        with timed() as parallel_run:
            parallel = audit_secrets(api, estate, clock=clock, workers=AUDIT_WORKERS)
        parallel_s = parallel_run.wall

        start_requests = count()
        with timed() as serial_run:
            report = audit_secrets(api, estate, clock=clock)
        audit_s, audit_cpu = serial_run.wall, serial_run.cpu
        assert parallel == report
        audit_requests = count() - start_requests
        overdue = [s.path for s in report.overdue]

        with (
            tempfile.TemporaryDirectory() as tmp,
            SqliteStore.open(Path(tmp) / "state.db") as store,
        ):
            rotator = Rotator(api=api, audit=store, actor="bench", clock=clock)
            start_requests = count()
            with timed() as rotation:
                outcomes = rotator.rotate_estate(estate, RotationOptions(only=tuple(overdue)))
            rotate_s, rotate_cpu = rotation.wall, rotation.cpu
            rotate_requests = count() - start_requests
            audit_entries = len(store.audit_entries())
    finally:
        parent.send("stop")
        parent.recv()
        server.join(timeout=10)

    rotated = sum(o.action == "rotated" for o in outcomes)
    mounts = len({path.split("/", 1)[0] for path in paths})
    audit_per = (audit_requests - mounts) / len(paths)
    rotate_per = (rotate_requests - mounts) / max(len(overdue), 1)
    print(f"secrets: {len(paths):,} declared, {len(overdue):,} overdue")
    print(
        f"audit (serial): {len(paths):,} secrets in {audit_s:.2f} s = {len(paths) / audit_s:,.0f} "
        f"secrets/s (client CPU {audit_cpu / len(paths) * 1000:.2f} ms/secret); "
        f"{audit_requests:,} requests = {audit_per:.2f} per secret + 1 per mount (its config) "
        f"(goal <= {AUDIT_GOAL:g}: {verdict(audit_per, AUDIT_GOAL)})"
    )
    print(
        f"audit with {AUDIT_WORKERS} workers: {len(paths) / parallel_s:,.0f} secrets/s "
        f"({parallel_s:.2f} s, same report)"
    )
    print(
        f"rotation: {rotated:,} secrets in {rotate_s:.2f} s = {rotated / rotate_s:,.0f} "
        f"secrets/s (client CPU {rotate_cpu / max(rotated, 1) * 1000:.2f} ms/secret); "
        f"{rotate_requests:,} requests = {rotate_per:.2f} per secret + 1 per mount "
        f"(goal <= {ROTATION_GOAL:g}: {verdict(rotate_per, ROTATION_GOAL)}); "
        f"{audit_entries:,} audit-log entries"
    )
    if rotated != len(overdue):
        print(f"WARNING: only {rotated} of {len(overdue)} rotated")


if __name__ == "__main__":
    main()

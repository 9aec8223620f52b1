"""Bus benchmark: the same work in one process, on one worker and on two workers over NATS.

Workload (against Debian's nats-server with JetStream and a local docker-registry):
- ``--policy-jobs`` (default 1,000) ``policy test`` jobs, each one subsidiary's rendered
  workloads (a namespace folder of the generated example tree, made distinct per job) against
  the policy library;
- ``--image-jobs`` (default 500) ``images verify`` jobs, one key-signed image each;
- ``--noop-jobs`` (default 1,000) no-op jobs for the bus's own overhead per job
  (submit → result), on the NATS and the local bus.

Printed: jobs/s in one process (the commands run back to back, no bus), with 1 and with 2
workers, the 2-worker/1-worker ratio (goal ≥ 1.7× on a 2-core machine) and the overhead per
job (goal ≤ 5 ms).

Run: python bench/bus.py [--policy-jobs 1000] [--image-jobs 500] [--noop-jobs 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _timing import Stopwatch, timed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seccli.bus.config import bus_config  # noqa: E402
from seccli.bus.jobs import prepare  # noqa: E402
from seccli.bus.model import Job, JobVerb  # noqa: E402
from seccli.bus.select import open_bus  # noqa: E402
from seccli.bus.worker import WorkerSettings, run_worker  # noqa: E402
from tests.bus.conftest import NatsServer, free_port  # noqa: E402

SECCLI = Path(sys.executable).parent / "seccli"
ESTATE = ROOT / "examples" / "claytom" / "estate.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy-jobs", type=int, default=1000)
    parser.add_argument("--image-jobs", type=int, default=500)
    parser.add_argument("--noop-jobs", type=int, default=1000)
    args = parser.parse_args()
    if shutil.which("nats-server") is None:
        print("nats-server is not installed (apt install nats-server)")
        return 2
    work = Path(tempfile.mkdtemp(prefix="seccli-bench-bus-"))
    overhead = noop_overhead(work, args.noop_jobs)
    rows = []
    if args.policy_jobs:
        rows.append(
            ("policy test", *throughput(work / "policy", policy_jobs(work, args.policy_jobs)))
        )
    if args.image_jobs:
        from tests.supplychain.registry_server import RegistryServer

        server = RegistryServer(work / "registry")
        try:
            rows.append(
                (
                    "images verify",
                    *throughput(work / "images", image_jobs(work, server.host, args.image_jobs)),
                )
            )
        finally:
            server.stop()
    print()
    print(
        f"{'work':<15} {'jobs':>5} {'1 process':>11} {'1 worker':>10} "
        f"{'2 workers':>10} {'2w/1w':>6}"
    )
    ok = True
    for name, count, inline, one, two in rows:
        ratio = two / one
        ok = ok and ratio >= 1.7
        print(f"{name:<15} {count:>5} {inline:>9.1f}/s {one:>8.1f}/s {two:>8.1f}/s {ratio:>5.2f}x")
    for kind, per_job in overhead.items():
        ok = ok and per_job <= 5.0
        print(f"bus overhead per no-op job ({kind}): {per_job:.2f} ms (goal <= 5 ms)")
    print("GOALS MET" if ok else "GOALS NOT MET")
    return 0 if ok else 1


# --- the bus's own cost ----------------------------------------------------------------------


def noop_overhead(work: Path, count: int) -> dict[str, float]:
    """Submit ``count`` distinct no-op jobs and run them with one in-process worker."""
    results: dict[str, float] = {}
    for kind in ("nats", "local"):
        server = None
        if kind == "nats":
            server = NatsServer(work / "js-noop", free_port())
            server.start()
        try:
            config = bus_config(server.url if server else None, local_path=work / "noop-bus.db")
            results[kind] = asyncio.run(_noop_run(config, count))
        finally:
            if server is not None:
                server.stop()
    return results


async def _noop_run(config: object, count: int) -> float:
    bus = open_bus(config)  # type: ignore[arg-type]
    await bus.connect()
    try:
        jobs = [Job(JobVerb.NOOP, (f"0.{n:06d}",)) for n in range(count)]
        settings = WorkerSettings(concurrency=16, idle_exit=0.0, max_jobs=count)
        with timed() as timing:
            for job in jobs:
                await bus.submit(job)
            stats = await run_worker(bus, _never, settings)
        elapsed = timing.wall
        assert stats.done == count, stats
        # The job's own sleep is 0.000nnn s: subtract it.
        slept = sum(float(j.args[0]) for j in jobs) / settings.concurrency
        return (elapsed - slept) / count * 1000
    finally:
        await bus.close()


async def _never(args: list[str], workdir: Path) -> object:
    raise AssertionError("no-op jobs run no command")


# --- workloads -------------------------------------------------------------------------------


def policy_jobs(work: Path, count: int) -> list[list[str]]:
    tree = work / "generated"
    done = subprocess.run(
        [str(SECCLI), "generate", str(ESTATE), "-o", str(tree)],
        capture_output=True,
        check=False,
        cwd=work,
        env={**os.environ, "SECCLI_STORE": str(work / "gen.db")},
    )
    assert done.returncode == 0, done.stderr
    namespaces = sorted(p for p in (tree / "namespaces").iterdir() if p.is_dir())
    jobs = []
    for n in range(count):
        source = namespaces[n % len(namespaces)]
        folder = work / "policy-inputs" / f"job{n:04d}"
        shutil.copytree(source, folder)
        (folder / "bench-marker.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: marker-{n}, "
            f"namespace: {source.name}}}\ndata: {{n: '{n}'}}\n"
        )
        jobs.append(["policy", "test", str(folder), "--format", "json"])
    return jobs


def image_jobs(work: Path, host: str, count: int) -> list[list[str]]:
    from seccli.supplychain.keys import generate_key_pair, load_private_key
    from seccli.supplychain.registry import RegistryClient, RegistryOptions
    from seccli.supplychain.signing import sign_image
    from tests.supplychain.conftest import push_image

    private_pem, public_pem = generate_key_pair()
    (work / "release.key").write_bytes(private_pem)
    (work / "release.pub").write_bytes(public_pem)
    key = load_private_key(work / "release.key")
    client = RegistryClient(RegistryOptions(insecure=frozenset({host}), timeout=10))

    def one(n: int) -> object:
        ref = push_image(client, host, f"bench/bus{n:04d}", tag="1.0")
        sign_image(client, ref, key)
        return ref

    with ThreadPoolExecutor(max_workers=8) as pool:
        refs = list(pool.map(one, range(count)))
    folder = work / "image-inputs"
    folder.mkdir()
    (folder / "trust.yaml").write_text(
        "apiVersion: seccli.dev/v1alpha1\nkind: TrustPolicy\nspec:\n"
        f"  authorities:\n    - name: release\n      key: {{path: {work / 'release.pub'}}}\n"
        f"  images:\n    - glob: '{host}/**'\n      authorities: [release]\n"
    )
    jobs = []
    for n, ref in enumerate(refs):
        pod = folder / f"pod{n:04d}.yaml"
        pod.write_text(f"kind: Pod\nspec: {{containers: [{{name: a, image: '{ref}'}}]}}\n")
        jobs.append(
            [
                "images",
                "verify",
                str(pod),
                "--policy",
                str(folder / "trust.yaml"),
                "--insecure-registry",
                host,
                "--no-cache",
                "--format",
                "json",
            ]
        )
    return jobs


# --- throughput ------------------------------------------------------------------------------


def throughput(work: Path, jobs: list[list[str]]) -> tuple[int, float, float, float]:
    work.mkdir(parents=True, exist_ok=True)
    inline = _in_one_process(work, jobs)
    one = _on_workers(work / "one", jobs, 1)
    two = _on_workers(work / "two", jobs, 2)
    return len(jobs), inline, one, two


def _in_one_process(work: Path, jobs: list[list[str]]) -> float:
    from seccli.cli.app import invoke
    from seccli.cli.bus import run_captured

    store = work / "inline.db"
    with timed() as timing:
        for args in jobs:
            code, _, err = run_captured(invoke, ["--store", str(store), *args], str(work))
            assert code in (0, 1), err
    return len(jobs) / timing.wall


def _on_workers(work: Path, jobs: list[list[str]], workers: int) -> float:
    work.mkdir(parents=True, exist_ok=True)
    server = NatsServer(work / "js", free_port())
    server.start()
    try:
        config = bus_config(server.url)
        asyncio.run(_submit_all(config, jobs))
        env = {**os.environ, "SECCLI_STORE": str(work / "worker.db")}
        env.pop("SECCLI_BUS", None)
        watch = Stopwatch()
        processes = [
            subprocess.Popen(
                [str(SECCLI), "worker", "--bus", server.url, "--idle-exit", "600"],
                cwd=work,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        try:
            asyncio.run(_wait_results(config, len(jobs)))
            elapsed = watch.elapsed().wall
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
        return len(jobs) / elapsed
    finally:
        server.stop()


async def _submit_all(config: object, jobs: list[list[str]]) -> None:
    bus = open_bus(config)  # type: ignore[arg-type]
    await bus.connect()
    try:
        for words in jobs:
            prepared = prepare(words, "holding", Path.cwd())
            for name, data in prepared.payloads:
                await bus.put_payload(name, data)
            assert await bus.submit(prepared.job), "every bench job is distinct"
    finally:
        await bus.close()


async def _wait_results(config: object, count: int) -> None:
    from seccli.bus.jetstream import RESULTS_STREAM

    bus = open_bus(config)  # type: ignore[arg-type]
    await bus.connect()
    try:
        while True:
            info = await bus._js.stream_info(RESULTS_STREAM)  # type: ignore[attr-defined]
            if info.state.messages >= count:
                return
            await asyncio.sleep(0.2)
    finally:
        await bus.close()


if __name__ == "__main__":
    sys.exit(main())

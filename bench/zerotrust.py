"""Benchmark: Zero-Trust generation, validation and proof on a synthetic estate.

35 namespaces x 100 services x 5 intents (3,500 workloads): time to generate the tree, validate
it (kubernetes-validate strict schemas + semantics), write it, and prove it (read the tree back,
compute reachability offline, compare with the declared intents). Goal: the whole pipeline in
10 s or less. Then how the analyser's cost grows with 350, 3,500 and 10,000 workloads.

Run: ``.venv/bin/python bench/zerotrust.py [--quick]``
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from _timing import timed_call, verdict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seccli.core.documents import Document  # noqa: E402
from seccli.estate.model import Estate  # noqa: E402
from seccli.zerotrust.analyzer import Analyzer  # noqa: E402
from seccli.zerotrust.generate.tree import generate_tree, write_tree  # noqa: E402
from seccli.zerotrust.manifests import build_manifest_set  # noqa: E402
from seccli.zerotrust.platform import estate_workloads  # noqa: E402
from seccli.zerotrust.prove import prove  # noqa: E402
from seccli.zerotrust.validate import validate_objects  # noqa: E402

T = TypeVar("T")


def synthetic_estate(namespaces: int, services: int, intents: int, seed: int = 7) -> Estate:
    """A deterministic estate: ``namespaces`` x ``services``, each with ``intents`` calls
    (mostly in its namespace, one in five to the shared namespace), 1 in 10 with egress."""
    rng = random.Random(seed)
    names = ["shared"] + [f"subs-n{i:03d}" for i in range(1, namespaces)]
    svc: list[dict[str, Any]] = []
    for ns in names:
        for index in range(services):
            calls = []
            for _ in range(intents):
                target_ns = "shared" if rng.random() < 0.2 else ns
                target = rng.randrange(services)
                if (target_ns, target) == (ns, index):
                    target = (target + 1) % services
                to = f"{target_ns}/s{target:03d}"
                port = "http" if rng.random() < 0.8 else "grpc"
                calls.append({"to": to, "port": port})
            service: dict[str, Any] = {
                "name": f"s{index:03d}",
                "namespace": ns,
                "subdomain": "core",
                "ports": [
                    {"name": "http", "port": 8080, "appProtocol": "http"},
                    {"name": "grpc", "port": 9090, "appProtocol": "grpc"},
                ],
                "image": f"registry.bench.example/{ns}/s{index:03d}:1.0.0",
                "intents": calls,
                "secrets": [{"path": f"kv/{ns}/s{index:03d}"}],
            }
            if index % 10 == 0:
                service["egress"] = [
                    {"host": "api.pay.example.com", "cidrs": ["203.0.113.0/25"], "ports": [443]}
                ]
            svc.append(service)
    return Estate.model_validate(
        {
            "apiVersion": "seccli.dev/v1alpha1",
            "kind": "Estate",
            "metadata": {"name": "bench"},
            "organisation": "Bench",
            "trustDomain": "bench.example",
            "cluster": "bench",
            "mesh": "istio",
            "namespaces": [
                {"name": ns, "role": "platform" if ns == "shared" else "subsidiary"} for ns in names
            ],
            "subdomains": [{"name": "core", "squad": "squad-core"}],
            "services": svc,
        }
    )


def stage(label: str, func: Callable[[], T], figures: dict[str, float]) -> T:
    """Call ``func``, keeping its wall and CPU seconds in ``figures`` under ``label``."""
    result, timing = timed_call(func)
    figures[label] = timing.wall
    figures[f"{label}.cpu"] = timing.cpu
    return result


def pipeline(namespaces: int, services: int, intents: int) -> dict[str, float]:
    """Generate, validate, write and prove one synthetic estate; seconds per stage."""
    figures: dict[str, float] = {}
    estate = stage("estate", lambda: synthetic_estate(namespaces, services, intents), figures)
    tree = stage("generate", lambda: generate_tree(estate), figures)
    report = stage(
        "validate",
        lambda: validate_objects(tree.objects, world=estate_workloads(estate)),
        figures,
    )
    assert report.ok, report.problems[:3]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        stage("write", lambda: write_tree(tree, out), figures)
        proof = stage("prove", lambda: prove(estate, [out]), figures)
    assert proof.equal, [d.describe() for d in proof.differences[:3]]
    figures["files"] = len(tree.files)
    figures["edges"] = proof.declared_edges
    return figures


def analyser_cost(namespaces: int, services: int, intents: int) -> tuple[int, float, int]:
    """CPU seconds for the analyser alone (policies already parsed) and the pairs it found."""
    estate = synthetic_estate(namespaces, services, intents)
    tree = generate_tree(estate, include_vault=False)
    documents = [
        Document(path, index, obj, 1)
        for path, objs in tree.objects.items()
        for index, obj in enumerate(objs)
        if obj.get("kind") == "NetworkPolicy"
    ]
    world = estate_workloads(estate)
    world.policies = build_manifest_set(documents).policies
    reach, timing = timed_call(Analyzer(world).run)
    return len(world.workloads), timing.cpu, len(reach.pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Skip the 10,000-workload run.")
    parser.add_argument(
        "--repeat", type=int, default=3, help="Runs of the pipeline; the best of each is shown."
    )
    args = parser.parse_args()
    runs = [pipeline(35, 100, 5) for _ in range(max(1, args.repeat))]
    figures = {key: min(run[key] for run in runs) for key in runs[0]}
    stages = ("generate", "validate", "write", "prove")
    total = sum(figures[s] for s in stages)
    total_cpu = sum(figures[f"{s}.cpu"] for s in stages)
    print(
        "Zero-Trust pipeline, 35 namespaces x 100 services x 5 intents (3,500 workloads), "
        f"best of {len(runs)}:"
    )
    print(f"  {'stage':<17} {'wall':>7}   {'cpu':>7}")
    print(f"  {'estate model':<17} {figures['estate']:7.2f} s {figures['estate.cpu']:7.2f} s")
    for stage in stages:
        print(f"  {stage:<17} {figures[stage]:7.2f} s {figures[stage + '.cpu']:7.2f} s")
    met = verdict(total, 10)
    print(f"  {'total':<17} {total:7.2f} s {total_cpu:7.2f} s  (goal <= 10 s wall: {met})")
    if total_cpu < total * 0.8:
        print("  (wall well above CPU time: other processes share the cores)")
    print(f"  {int(figures['files'])} files, {int(figures['edges'])} declared edges, proven equal")
    print()
    print("Analyser alone (policies parsed), CPU time vs workloads:")
    sizes = [(10, 35, 5), (35, 100, 5)]
    if not args.quick:
        sizes.append((100, 100, 5))
    base: float | None = None
    for ns, svc, intents in sizes:
        workloads, seconds, pairs = min(
            (analyser_cost(ns, svc, intents) for _ in range(max(1, args.repeat))),
            key=lambda r: r[1],
        )
        base = base or seconds
        print(
            f"  {workloads:6d} workloads: {seconds:6.2f} s, {pairs:6d} allowed pairs, "
            f"x{seconds / base:5.1f} the 350-workload time"
        )


if __name__ == "__main__":
    main()

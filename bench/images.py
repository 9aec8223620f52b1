"""Supply-chain gate benchmark: images verify over 500 images, cold, warm and per process.

Workload: 500 images in a local docker-registry: 225 cosign key-signed (simple signing at
``sha256-<hex>.sig``), 225 signed with key-based Sigstore bundles attached as referrers (the
``sha256-<hex>`` tag-index fallback, since docker-registry 2.8 has no referrers API), 50 unsigned.
One manifest file references all 500 (pinned by digest).

Measured:
- cold: ``seccli images verify`` once over all 500 (empty verification cache);
- warm: the same again (cache filled);
- per-process: ``seccli images verify`` invoked once per image, as a user scripting a loop would
  (a sample of ``--sample`` images, extrapolated to 500).

Goals: cold ≥ 20× faster than one process per image; warm ≥ 5× faster than cold.
Also printed: the in-process gate time (no interpreter start-up), cold and warm.

Cold and warm are each the best of ``--repeats`` runs (a shared machine only adds noise).

Run: python bench/images.py [--sample 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from _timing import timed, timed_call

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seccli.core.imageref import ImageRef  # noqa: E402
from seccli.store.sqlite import SqliteStore  # noqa: E402
from seccli.supplychain.cache import SqliteCache, open_cache_key  # noqa: E402
from seccli.supplychain.keys import generate_key_pair, load_private_key  # noqa: E402
from seccli.supplychain.policy import load_trust_policy  # noqa: E402
from seccli.supplychain.refs import find_images  # noqa: E402
from seccli.supplychain.registry import RegistryClient, RegistryOptions  # noqa: E402
from seccli.supplychain.signing import sign_image, sign_image_bundle  # noqa: E402
from seccli.supplychain.verify import Gate, summarise  # noqa: E402
from tests.supplychain.conftest import push_image  # noqa: E402
from tests.supplychain.registry_server import RegistryServer  # noqa: E402

IMAGES = 500
UNSIGNED = 50


def seccli(args: list[str], cwd: Path, store: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "SECCLI_STORE": str(store), "SECCLI_ACTOR": "bench"}
    env["SECCLI_CACHE_KEY"] = str(cwd / "cache.key")
    return subprocess.run(
        [sys.executable, "-m", "seccli", *args], cwd=cwd, env=env, capture_output=True, check=False
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=20, help="per-process runs to time")
    parser.add_argument("--repeats", type=int, default=3, help="cold and warm runs (best kept)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="seccli-bench-images-"))
    server = RegistryServer(work / "registry")
    try:
        return run(work, server.host, args.sample, args.repeats)
    finally:
        server.stop()


def run(work: Path, host: str, sample: int, repeats: int) -> int:
    private_pem, public_pem = generate_key_pair()
    (work / "release.key").write_bytes(private_pem)
    (work / "release.pub").write_bytes(public_pem)
    key = load_private_key(work / "release.key")
    options = RegistryOptions(insecure=frozenset({host}), timeout=10)
    client = RegistryClient(options)

    def prepare(number: int) -> ImageRef:
        ref = push_image(client, host, f"bench/app{number:03d}", tag="1.0")
        if number >= UNSIGNED:
            (sign_image if number % 2 else sign_image_bundle)(client, ref, key)
        return ref

    with timed() as pushing, ThreadPoolExecutor(max_workers=8) as pool:
        refs = list(pool.map(prepare, range(IMAGES)))
    print(f"pushed and signed {IMAGES} images in {pushing.wall:.1f} s")

    manifest_lines = ["apiVersion: v1", "kind: List", "items:"]
    for number, ref in enumerate(refs):
        manifest_lines += [
            "  - kind: Pod",
            f"    metadata: {{name: app{number:03d}}}",
            f"    spec: {{containers: [{{name: app, image: '{ref}'}}]}}",
        ]
    (work / "pods.yaml").write_text("\n".join(manifest_lines) + "\n")
    (work / "trust.yaml").write_text(
        "apiVersion: seccli.dev/v1alpha1\nkind: TrustPolicy\nspec:\n"
        "  cacheTTL: 3600\n"
        "  authorities:\n    - {name: release, key: {path: release.pub}}\n"
        f"  images:\n    - glob: '{host}/**'\n      authorities: [release]\n"
    )
    verify = ["images", "verify", "pods.yaml", "--policy", "trust.yaml"]
    verify += ["--insecure-registry", host, "--format", "json"]

    def timed_run(store: Path, phase: str) -> float:
        done, timing = timed_call(lambda: seccli(verify, work, store))
        report = json.loads(done.stdout)
        assert done.returncode == 1, done.stderr  # the 50 unsigned images are blocked
        counts = report["summary"]
        cached = sum(1 for image in report["images"] if image["cached"])
        assert counts == {"pass": IMAGES - UNSIGNED, "warn": 0, "block": UNSIGNED}, counts
        assert cached == (IMAGES - UNSIGNED if phase == "warm" else 0), cached
        return timing.wall

    # Best of `repeats` (other work on a shared machine only ever adds time). Each cold run
    # starts from an empty state database; warm runs reuse the one the last cold run filled.
    cold_runs = [timed_run(work / f"state{n}.db", "cold") for n in range(repeats)]
    warm_runs = [timed_run(work / f"state{repeats - 1}.db", "warm") for _ in range(repeats)]
    timings = {"cold": min(cold_runs), "warm": min(warm_runs)}
    for phase, runs in (("cold", cold_runs), ("warm", warm_runs)):
        shown = ", ".join(f"{t:.2f}" for t in runs)
        print(f"CLI {phase}: best {timings[phase]:.2f} s for {IMAGES} images (runs: {shown})")
    empty = work / "empty.yaml"
    empty.write_text("kind: List\nitems: []\n")
    with timed() as fixed:
        seccli(["images", "verify", "empty.yaml", "--policy", "trust.yaml"], work, work / "e.db")
    print(f"CLI start-up and fixed costs (no images): {fixed.wall:.2f} s")

    per_process: list[float] = []
    for number in range(sample):
        one = work / f"one{number}.yaml"
        one.write_text(
            f"kind: Pod\nspec: {{containers: [{{name: a, image: '{refs[number * 7]}'}}]}}\n"
        )
        args = ["images", "verify", one.name, "--policy", "trust.yaml"]
        args += ["--insecure-registry", host, "--no-cache", "--format", "json"]
        with timed() as one_process:
            seccli(args, work, work / "per-process.db")
        per_process.append(one_process.wall)
    mean = sum(per_process) / len(per_process)
    loop_total = mean * IMAGES
    print(
        f"one process per image: {mean:.3f} s each (mean of {sample}), "
        f"{loop_total:.0f} s extrapolated to {IMAGES}"
    )

    # The gate alone, in process (no interpreter start-up, imports or YAML parsing).
    policy = load_trust_policy(work / "trust.yaml")
    found = find_images([work / "pods.yaml"])
    gate_store = SqliteStore.open(work / "gate.db")
    cache = SqliteCache(gate_store.path, open_cache_key(work / "cache.key"))
    gate_times: dict[str, float] = {}
    for phase in ("cold", "warm"):
        with RegistryClient(options) as fresh:
            gate = Gate(policy, fresh, cache=cache, workers=16)
            verdicts, timing = timed_call(partial(gate.verify_found, found))
            gate_times[phase] = timing.wall
        print(f"gate in process, {phase}: {gate_times[phase]:.2f} s {summarise(verdicts)}")
    cache.close()
    gate_store.close()

    speedup = loop_total / timings["cold"]
    warm_ratio = timings["cold"] / timings["warm"]
    gate_warm_ratio = gate_times["cold"] / gate_times["warm"]
    print()
    print(f"cold vs one process per image: {speedup:.1f}x  (goal >= 20x)")
    print(f"warm vs cold (CLI):            {warm_ratio:.1f}x  (goal >= 5x)")
    print(f"warm vs cold (gate alone):     {gate_warm_ratio:.1f}x")
    ok = speedup >= 20 and warm_ratio >= 5
    print("GOALS MET" if ok else "GOALS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

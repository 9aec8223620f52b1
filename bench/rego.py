"""Benchmark the native Rego engine on a Gatekeeper-style admission workload.

Generates realistic Pods (several containers, security contexts, labels) and 20 typical
Gatekeeper-style templates, evaluates every template's ``violation`` set for every Pod, and
prints evaluations/second, objects/second, median and p99 per evaluation.  When ``regopy``
(rego-cpp) is importable, the same workload runs on its compiled-bundle path and the ratio is
printed.  ``--workers N`` spreads Pods over N processes.

    python bench/rego.py [--pods 5000] [--workers 2] [--regopy-pods 300] [--seed 7]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from _timing import timed, timed_call

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seccli.policy.rego import Policy, compile, to_json  # noqa: E402

HEADER = "import rego.v1\n\n"

# name -> (rego body after the package line, parameters)
TEMPLATES: dict[str, tuple[str, dict[str, Any]]] = {
    "privileged": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  c.securityContext.privileged
  msg := sprintf("privileged container is not allowed: %v", [c.name])
}
""",
        {},
    ),
    "privilege_escalation": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  not c.securityContext.allowPrivilegeEscalation == false
  msg := sprintf("privilege escalation container is not allowed: %v", [c.name])
}
""",
        {},
    ),
    "capabilities_add": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  some cap in c.securityContext.capabilities.add
  cap in input.parameters.disallowed
  msg := sprintf("container %v adds disallowed capability %v", [c.name, cap])
}
""",
        {"disallowed": ["NET_ADMIN", "SYS_ADMIN", "ALL"]},
    ),
    "capabilities_drop": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  dropped := {x | x := c.securityContext.capabilities.drop[_]}
  missing := {x | x := input.parameters.requiredDrop[_]} - dropped
  count(missing) > 0
  msg := sprintf("container %v must drop %v", [c.name, missing])
}
""",
        {"requiredDrop": ["ALL"]},
    ),
    "host_namespace": (
        """
violation contains {"msg": msg} if {
  shares_host_namespace
  name := input.review.object.metadata.name
  msg := sprintf("sharing the host namespace is not allowed: %v", [name])
}

shares_host_namespace if input.review.object.spec.hostPID
shares_host_namespace if input.review.object.spec.hostIPC
""",
        {},
    ),
    "host_network": (
        """
violation contains {"msg": msg} if {
  input.review.object.spec.hostNetwork
  msg := "host network is not allowed"
}
""",
        {},
    ),
    "allowed_repos": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  not startswith(c.image, input.parameters.repos[_])
  not any_good(c.image)
  msg := sprintf("container <%v> has an invalid image repo <%v>", [c.name, c.image])
}

any_good(image) if startswith(image, input.parameters.repos[_])
""",
        {"repos": ["registry.example.com/", "ghcr.io/acme/"]},
    ),
    "required_labels": (
        """
violation contains {"msg": msg, "details": {"missing_labels": missing}} if {
  provided := {label | input.review.object.metadata.labels[label]}
  required := {label | label := input.parameters.labels[_].key}
  missing := required - provided
  count(missing) > 0
  msg := sprintf("you must provide labels: %v", [missing])
}

violation contains {"msg": msg} if {
  value := input.review.object.metadata.labels[key]
  expected := input.parameters.labels[_]
  expected.key == key
  expected.allowedRegex != ""
  not regex.match(expected.allowedRegex, value)
  msg := sprintf("label <%v: %v> does not satisfy regex %v", [key, value, expected.allowedRegex])
}
""",
        {
            "labels": [
                {"key": "app", "allowedRegex": "^[a-z][a-z0-9-]*$"},
                {"key": "owner", "allowedRegex": ""},
            ]
        },
    ),
    "container_limits": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  not c.resources.limits.cpu
  msg := sprintf("container <%v> has no cpu limit", [c.name])
}

violation contains {"msg": msg} if {
  c := input_containers[_]
  not c.resources.limits.memory
  msg := sprintf("container <%v> has no memory limit", [c.name])
}
""",
        {},
    ),
    "memory_max": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  mem := units.parse_bytes(c.resources.limits.memory)
  mem > units.parse_bytes(input.parameters.memory)
  msg := sprintf("container <%v> memory limit %v exceeds %v", [
    c.name, c.resources.limits.memory, input.parameters.memory,
  ])
}
""",
        {"memory": "1Gi"},
    ),
    "read_only_root": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  not c.securityContext.readOnlyRootFilesystem == true
  msg := sprintf("only read-only root filesystem container is allowed: %v", [c.name])
}
""",
        {},
    ),
    "run_as_non_root": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  not run_as_non_root(c)
  msg := sprintf("container %v must set runAsNonRoot", [c.name])
}

run_as_non_root(c) if c.securityContext.runAsNonRoot == true
run_as_non_root(_) if input.review.object.spec.securityContext.runAsNonRoot == true
""",
        {},
    ),
    "seccomp": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  path := ["securityContext", "seccompProfile", "type"]
  pod_profile := object.get(input.review.object.spec, path, "unset")
  profile := object.get(c, path, pod_profile)
  not profile in {"RuntimeDefault", "Localhost"}
  msg := sprintf("seccomp profile %v is not allowed for container %v", [profile, c.name])
}
""",
        {},
    ),
    "disallow_latest": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  latest_or_untagged(c.image)
  msg := sprintf("container <%v> uses a disallowed tag <%v>", [c.name, c.image])
}

latest_or_untagged(image) if endswith(image, ":latest")
latest_or_untagged(image) if {
  not contains(image, "@")
  parts := split(image, "/")
  not contains(parts[count(parts) - 1], ":")
}
""",
        {},
    ),
    "host_path": (
        """
violation contains {"msg": msg} if {
  v := input.review.object.spec.volumes[_]
  v.hostPath
  msg := sprintf("hostPath volume %v is not allowed", [v.name])
}
""",
        {},
    ),
    "host_ports": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  p := c.ports[_]
  p.hostPort
  not in_range(p.hostPort)
  msg := sprintf("hostPort %v of container %v is outside %v-%v", [
    p.hostPort, c.name, input.parameters.min, input.parameters.max,
  ])
}

in_range(port) if {
  port >= input.parameters.min
  port <= input.parameters.max
}
""",
        {"min": 8000, "max": 9000},
    ),
    "probes": (
        """
violation contains {"msg": msg} if {
  c := input.review.object.spec.containers[_]
  probe := input.parameters.probes[_]
  not c[probe]
  msg := sprintf("container <%v> has no <%v>", [c.name, probe])
}
""",
        {"probes": ["readinessProbe", "livenessProbe"]},
    ),
    "apparmor": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  key := sprintf("container.apparmor.security.beta.kubernetes.io/%v", [c.name])
  profile := object.get(input.review.object.metadata, ["annotations", key], "unconfined")
  not profile in input.parameters.allowedProfiles
  msg := sprintf("AppArmor profile %v is not allowed for container %v", [profile, c.name])
}
""",
        {"allowedProfiles": ["runtime/default"]},
    ),
    "allowed_users": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  uid := object.get(c, ["securityContext", "runAsUser"], 0)
  not user_ok(uid)
  msg := sprintf("container %v runs as user %v outside the allowed ranges", [c.name, uid])
}

user_ok(uid) if {
  r := input.parameters.ranges[_]
  uid >= r.min
  uid <= r.max
}
""",
        {"ranges": [{"min": 1000, "max": 65535}]},
    ),
    "image_digests": (
        """
violation contains {"msg": msg} if {
  c := input_containers[_]
  not regex.match("@[a-z0-9]+([+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$", c.image)
  msg := sprintf("container <%v> uses an image without a digest <%v>", [c.name, c.image])
}
""",
        {},
    ),
}

# rego-cpp cannot iterate inside call arguments (`startswith(x, ys[_])`); for regopy only,
# the same logic is written with an explicit `some`.
REGOPY_BODIES = {
    "allowed_repos": """
violation contains {"msg": msg} if {
  c := input_containers[_]
  not any_good(c.image)
  msg := sprintf("container <%v> has an invalid image repo <%v>", [c.name, c.image])
}

any_good(image) if {
  some repo in input.parameters.repos
  startswith(image, repo)
}
""",
}

HELPERS = """
input_containers contains c if c := input.review.object.spec.containers[_]
input_containers contains c if c := input.review.object.spec.initContainers[_]
"""


def template_source(name: str, regopy: bool = False) -> str:
    body, _ = TEMPLATES[name]
    if regopy:
        body = REGOPY_BODIES.get(name, body)
    return f"package bench.{name}\n\n{HEADER}{HELPERS}{body}"


def make_pod(rng: random.Random, i: int) -> dict[str, Any]:
    """One realistic Pod."""
    repos = ["registry.example.com/", "ghcr.io/acme/", "docker.io/library/", "quay.io/x/"]
    names = ["web", "api", "worker", "sidecar", "proxy", "init-db"]

    def container(n: int) -> dict[str, Any]:
        image = rng.choice(repos) + rng.choice(["nginx", "app", "envoy", "redis"])
        tag = rng.choice([":1.25.3", ":latest", "", "@sha256:" + "ab" * 32])
        sc: dict[str, Any] = {}
        if rng.random() < 0.8:
            sc = {
                "privileged": rng.random() < 0.05,
                "allowPrivilegeEscalation": rng.random() < 0.2,
                "readOnlyRootFilesystem": rng.random() < 0.7,
                "runAsNonRoot": rng.random() < 0.8,
                "runAsUser": rng.choice([0, 1000, 1001, 70000]),
                "capabilities": {
                    "drop": ["ALL"] if rng.random() < 0.7 else [],
                    "add": rng.sample(
                        ["NET_BIND_SERVICE", "NET_ADMIN", "CHOWN"], rng.randint(0, 2)
                    ),
                },
            }
            if rng.random() < 0.6:
                sc["seccompProfile"] = {"type": rng.choice(["RuntimeDefault", "Unconfined"])}
        c: dict[str, Any] = {
            "name": f"{rng.choice(names)}-{n}",
            "image": image + tag,
            "securityContext": sc,
            "resources": {
                "limits": {
                    k: v
                    for k, v in (
                        ("cpu", rng.choice(["250m", "1", "2"])),
                        ("memory", rng.choice(["128Mi", "512Mi", "2Gi"])),
                    )
                    if rng.random() < 0.85
                }
            },
            "ports": [{"containerPort": 8080, "hostPort": rng.choice([8080, 80])}]
            if rng.random() < 0.1
            else [{"containerPort": 8080}],
        }
        if rng.random() < 0.7:
            c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}}
        if rng.random() < 0.6:
            c["livenessProbe"] = {"httpGet": {"path": "/live", "port": 8080}}
        return c

    containers = [container(n) for n in range(rng.randint(1, 4))]
    labels = {"app": rng.choice(["web", "Api", "worker"]), "tier": "backend"}
    if rng.random() < 0.7:
        labels["owner"] = rng.choice(["team-a", "team-b"])
    spec: dict[str, Any] = {
        "containers": containers,
        "hostPID": rng.random() < 0.03,
        "hostIPC": rng.random() < 0.03,
        "hostNetwork": rng.random() < 0.05,
        "volumes": [{"name": "data", "emptyDir": {}}]
        + ([{"name": "host", "hostPath": {"path": "/var/run"}}] if rng.random() < 0.05 else []),
    }
    if rng.random() < 0.3:
        spec["initContainers"] = [container(9)]
    if rng.random() < 0.5:
        spec["securityContext"] = {"runAsNonRoot": True}
    annotations = {}
    if rng.random() < 0.5:
        annotations[f"container.apparmor.security.beta.kubernetes.io/{containers[0]['name']}"] = (
            "runtime/default"
        )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"pod-{i}",
            "namespace": rng.choice(["default", "payments", "web"]),
            "labels": labels,
            "annotations": annotations,
        },
        "spec": spec,
    }


def review(pod: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The Gatekeeper input document for one object and one constraint."""
    return {
        "review": {
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "operation": "CREATE",
            "object": pod,
        },
        "parameters": params,
    }


def compile_templates() -> dict[str, Policy]:
    return {name: compile({f"{name}.rego": template_source(name)}) for name in TEMPLATES}


CPU_TIMES: list[int] = []


def run_native(pods: list[dict[str, Any]]) -> tuple[list[int], int]:
    """Per-evaluation wall nanoseconds and the number of violations found (CPU nanoseconds
    per evaluation go to CPU_TIMES: the machine is shared, wall time includes preemption).

    Each evaluation is a few microseconds, so it is timed with bare nanosecond clocks here
    rather than the shared helper's context manager, whose own cost would show."""
    policies = compile_templates()
    inputs = {name: TEMPLATES[name][1] for name in TEMPLATES}
    times: list[int] = []
    CPU_TIMES.clear()
    found = 0
    clock = time.perf_counter_ns
    cpu = time.thread_time_ns
    for pod in pods:
        for name, policy in policies.items():
            inp = review(pod, inputs[name])
            c0 = cpu()
            t0 = clock()
            res = policy.eval(f"data.bench.{name}.violation", inp)
            times.append(clock() - t0)
            CPU_TIMES.append(cpu() - c0)
            found += len(res.value) if res.defined else 0
    return times, found


def _worker(args: tuple[int, int, int]) -> tuple[list[int], int, float]:
    seed, start, count = args
    rng = random.Random(seed)
    pods = [make_pod(rng, i) for i in range(start + count)][start:]
    (times, found), timing = timed_call(lambda: run_native(pods))
    return times, found, timing.wall


REGOPY_ERRORS = [0]


def run_regopy(pods: list[dict[str, Any]]) -> tuple[list[int], int] | None:
    try:
        import regopy
    except ImportError:
        return None
    bundles = {}
    for name in TEMPLATES:
        interp = regopy.Interpreter()
        interp.add_module(f"{name}.rego", template_source(name, regopy=True))
        bundles[name] = interp.build(f"x = data.bench.{name}.violation", [])
    times: list[int] = []
    found = 0
    clock = time.perf_counter_ns
    runner = regopy.Interpreter()
    for pod in pods:
        for name, bundle in bundles.items():
            inp = review(pod, TEMPLATES[name][1])
            t0 = clock()
            try:
                runner.set_input(inp)
                out = runner.query_bundle(bundle)
            except Exception:  # regopy fails on some outputs (its own JSON quoting bugs)
                times.append(clock() - t0)
                REGOPY_ERRORS[0] += 1
                continue
            times.append(clock() - t0)
            try:
                doc = json.loads(str(out))
                x = doc.get("bindings", {}).get("x") if isinstance(doc, dict) else None
                if x is None and isinstance(doc, dict) and "result" in doc:
                    x = doc["result"][0]["bindings"]["x"]
                found += len(x or [])
            except (ValueError, KeyError, IndexError, TypeError):
                pass
    return times, found


def stats(times: list[int]) -> tuple[float, float]:
    q = statistics.quantiles(times, n=100)
    return statistics.median(times) / 1000, q[98] / 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pods", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--regopy-pods", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    pods = [make_pod(rng, i) for i in range(args.pods)]
    n_templates = len(TEMPLATES)
    print(f"workload: {len(pods)} pods x {n_templates} templates, cpu count {os.cpu_count()}")

    (times, found), timing = timed_call(lambda: run_native(pods))
    wall = timing.wall
    med, p99 = stats(times)
    cmed, cp99 = stats(CPU_TIMES)
    evals = len(times)
    print(
        f"native (1 process): {evals / wall:,.0f} evaluations/s, {len(pods) / wall:,.1f} objects/s "
        f"(x{n_templates} templates); per evaluation wall median {med:.1f} µs, p99 {p99:.1f} µs; "
        f"CPU median {cmed:.1f} µs, p99 {cp99:.1f} µs; {found} violations"
    )
    with contextlib.suppress(OSError):
        print(f"load average during run: {os.getloadavg()}")
    native_eps = evals / wall

    if args.workers > 1:
        chunk = (len(pods) + args.workers - 1) // args.workers
        jobs = [
            (args.seed, i * chunk, min(chunk, len(pods) - i * chunk)) for i in range(args.workers)
        ]
        with timed() as pool_run, ProcessPoolExecutor(max_workers=args.workers) as pool:
            parts = list(pool.map(_worker, jobs))
        wall_w = pool_run.wall
        all_times = [t for p in parts for t in p[0]]
        found_w = sum(p[1] for p in parts)
        steady = max(p[2] for p in parts)
        med_w, p99_w = stats(all_times)
        print(
            f"native ({args.workers} processes): {len(all_times) / steady:,.0f} evaluations/s, "
            f"{len(pods) / steady:,.1f} objects/s while all workers evaluate "
            f"({len(all_times) / wall_w:,.0f}/s end to end incl. process start-up); "
            f"median {med_w:.1f} µs, p99 {p99_w:.1f} µs; {found_w} violations"
        )

    sub = pods[: args.regopy_pods]
    r = run_regopy(sub)
    if r is None:
        print("regopy: not importable (pip install regopy to compare)")
        return
    rtimes, rfound = r
    t_native_sub, found_sub = run_native(sub)
    rmed, rp99 = stats(rtimes)
    r_eps = len(rtimes) / (sum(rtimes) / 1e9)
    n_eps = len(t_native_sub) / (sum(t_native_sub) / 1e9)
    print(
        f"regopy (compiled bundle, {len(sub)} pods): {r_eps:,.0f} evaluations/s, "
        f"{r_eps / n_templates:,.1f} objects/s, median {rmed:.1f} µs, p99 {rp99:.1f} µs, "
        f"{rfound} violations, {REGOPY_ERRORS[0]} evaluations raised "
        f"(native on the same pods: {found_sub} violations, 0 errors)"
    )
    print(
        f"ratio native/regopy (evaluation time only): {n_eps / r_eps:.1f}x; "
        f"native whole-run throughput {native_eps:,.0f} evaluations/s"
    )
    _ = to_json


if __name__ == "__main__":
    main()

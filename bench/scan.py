"""Benchmark: ``seccli scan`` against running checkov, bandit and semgrep by hand.

Two corpora built here: a Python corpus (the installed sources of a few large libraries) and
an IaC corpus (a synthetic Terraform tree, Kubernetes manifests, Dockerfiles and the example
estate). For each: the wall time of the three tools run one after another with their default
settings (checkov ``-d``, bandit ``-r``, semgrep with our offline rule pack), of a full
``seccli scan`` (empty cache, no checkov worker running yet), and of a re-scan after changing one
file: with the warm checkov worker the full scan left behind (a developer's loop), and without
it (``--no-worker``, as in CI, where checkov's start-up is paid again).

Goals: full scan <= 0.7 x the sequential sum (and <= checkov's default run alone where checkov
dominates); one-file re-scan <= 10 % of the full scan.

Run: ``.venv/bin/python bench/scan.py [--quick] [--only python|iac] [--repeat N]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from _timing import timed

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RULES = ROOT / "policies" / "semgrep"
OFFLINE = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
PYTHON_LIBS = ("rich", "jinja2", "requests", "click", "urllib3", "markdown_it")


def _tool(name: str) -> str:
    beside = BIN / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def run_timed(argv: list[str], cwd: Path) -> float:
    """Wall seconds of one run of ``argv`` in ``cwd`` (output discarded)."""
    with timed() as timing:
        quiet = subprocess.DEVNULL
        subprocess.run(argv, cwd=cwd, env=OFFLINE, stdout=quiet, stderr=quiet)
    return timing.wall


def python_corpus(base: Path, libs: tuple[str, ...]) -> tuple[Path, Path]:
    root = base / "python"
    site = Path(sysconfig.get_paths()["purelib"])
    for lib in libs:
        shutil.copytree(site / lib, root / lib, ignore=shutil.ignore_patterns("__pycache__"))
    return root, root / libs[-1] / "__init__.py"


def iac_corpus(base: Path, modules: int) -> tuple[Path, Path]:
    root = base / "iac"
    for index in range(modules):
        module = root / "terraform" / f"module{index:03d}"
        module.mkdir(parents=True)
        (module / "main.tf").write_text(
            f'''resource "aws_s3_bucket" "data{index}" {{
  bucket = "bench-data-{index}"
  acl    = "{"public-read" if index % 3 == 0 else "private"}"
}}

resource "aws_security_group" "sg{index}" {{
  name = "sg{index}"
  ingress {{
    from_port   = {22 if index % 2 else 443}
    to_port     = {22 if index % 2 else 443}
    protocol    = "tcp"
    cidr_blocks = ["{"0.0.0.0/0" if index % 4 == 0 else "10.0.0.0/8"}"]
  }}
}}

resource "aws_instance" "vm{index}" {{
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  monitoring    = {str(index % 2 == 0).lower()}
}}
'''
        )
        k8s = root / "k8s" / f"svc{index:03d}"
        k8s.mkdir(parents=True)
        (k8s / "deploy.yaml").write_text(
            f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc{index}
  namespace: ns{index % 7}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: svc{index}
  template:
    metadata:
      labels:
        app: svc{index}
    spec:
      containers:
        - name: app
          image: registry.example.com/svc{index}:{"latest" if index % 5 == 0 else "1.2.3"}
          securityContext:
            privileged: {str(index % 9 == 0).lower()}
            allowPrivilegeEscalation: false
"""
        )
        if index % 4 == 0:
            docker = root / "images" / f"img{index:03d}"
            docker.mkdir(parents=True)
            (docker / "Dockerfile").write_text(
                f"FROM python:{'latest' if index % 8 == 0 else '3.12-slim'}\n"
                "COPY . /app\nRUN pip install -r /app/requirements.txt\n"
                'CMD ["python", "/app/main.py"]\n'
            )
    examples = ROOT / "examples"
    if examples.is_dir():
        shutil.copytree(examples, root / "examples")
    return root, root / "terraform" / "module000" / "main.tf"


def bench(name: str, root: Path, changed: Path, workdir: Path, repeat: int = 1) -> dict[str, float]:
    """Medians over ``repeat`` rounds (the machine is shared: single runs are noisy)."""
    rounds: dict[str, list[float]] = {}
    for index in range(repeat):
        sample = {
            "checkov": run_timed([_tool("checkov"), "-d", ".", "-o", "json", "--quiet"], root),
            "bandit": run_timed([_tool("bandit"), "-r", ".", "-f", "json", "-q"], root),
            "semgrep": run_timed(
                [_tool("semgrep"), "scan", "--config", str(RULES), "--json", "--metrics=off", "."],
                root,
            ),
        }
        store = workdir / f"{name}-{index}.db"
        seccli = [
            sys.executable,
            "-m",
            "seccli",
            "--store",
            str(store),
            "scan",
            ".",
            "--no-progress",
            "-f",
            "json",
            "--rules",
            str(RULES),
        ]
        _stop_workers()
        sample["full"] = run_timed([*seccli, "--worker"], root)
        sample["unchanged"] = run_timed([*seccli, "--worker"], root)
        with changed.open("a") as handle:
            handle.write(f"\n# touched by the benchmark ({index})\n")
        sample["rescan"] = run_timed([*seccli, "--worker"], root)
        with changed.open("a") as handle:
            handle.write(f"\n# touched again by the benchmark ({index})\n")
        sample["rescan_cold"] = run_timed([*seccli, "--no-worker"], root)
        sample["sequential"] = sample["checkov"] + sample["bandit"] + sample["semgrep"]
        for key, value in sample.items():
            rounds.setdefault(key, []).append(value)
    r = {key: statistics.median(values) for key, values in rounds.items()}
    files = sum(1 for p in root.rglob("*") if p.is_file())
    print(f"\n{name}: {files} files, median of {repeat}")
    print(
        f"  checkov default {r['checkov']:6.1f} s, bandit {r['bandit']:6.1f} s, "
        f"semgrep {r['semgrep']:6.1f} s"
    )
    print(f"  sequential sum  {r['sequential']:6.1f} s")
    print(
        f"  seccli full     {r['full']:6.1f} s   ratio full/sequential "
        f"{r['full'] / r['sequential']:.2f} (goal <= 0.70)   full/checkov-default "
        f"{r['full'] / r['checkov']:.2f}"
    )
    print(f"  seccli unchanged {r['unchanged']:5.1f} s   (start-up, inventory and cache only)")
    print(
        f"  seccli re-scan  {r['rescan']:6.1f} s   ratio re-scan/full "
        f"{r['rescan'] / r['full']:.3f} (goal <= 0.10; warm checkov worker)"
    )
    print(
        f"  re-scan without the worker {r['rescan_cold']:5.1f} s   ratio "
        f"{r['rescan_cold'] / r['full']:.3f} (CI: checkov's start-up paid again)"
    )
    return r


def _stop_workers() -> None:
    subprocess.run(
        [sys.executable, "-m", "seccli", "scan-worker", "stop"],
        env=OFFLINE,
        stdout=subprocess.DEVNULL,
        check=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller corpora")
    parser.add_argument("--only", choices=("python", "iac"), help="run one corpus only")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; medians are printed")
    args = parser.parse_args()
    libs = PYTHON_LIBS[:3] if args.quick else PYTHON_LIBS
    modules = 20 if args.quick else 120
    with tempfile.TemporaryDirectory(prefix="seccli-bench-scan-") as tmp:
        base = Path(tmp)
        runtime = base / "runtime"
        runtime.mkdir(mode=0o700)
        OFFLINE["SECCLI_RUNTIME_DIR"] = str(runtime)  # our own workers, stopped at the end
        results = {}
        if args.only in (None, "python"):
            py_root, py_changed = python_corpus(base, libs)
            results["python"] = bench("python", py_root, py_changed, base, args.repeat)
        if args.only in (None, "iac"):
            iac_root, iac_changed = iac_corpus(base, modules)
            results["iac"] = bench("iac", iac_root, iac_changed, base, args.repeat)
        _stop_workers()
    print("\nsummary")
    for name, r in results.items():
        print(
            f"  {name:7s} full/sequential {r['full'] / r['sequential']:.2f}  "
            f"re-scan/full {r['rescan'] / r['full']:.3f} "
            f"(without the worker {r['rescan_cold'] / r['full']:.3f})"
        )


if __name__ == "__main__":
    main()

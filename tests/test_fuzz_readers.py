"""Fuzzing every document reader through the CLI: random bytes, random JSON and YAML structures
and mutations of valid documents.

Whatever the input, a command ends with a documented exit code (0 ok, 1 violations, 2 input
error, 3 dependency failure), one-line errors and never a traceback or an "internal error"
(an unexpected exception is a bug: bad input is exit 2); and on exit 2 nothing is written.
Each example runs under an alarm, so a hang fails the test instead of the CI job.
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seccli.cli import toplevel
from seccli.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "claytom"
SHARED = ROOT.parent / "shared"
MANIFEST = b"""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "registry.example.com/web:1.0", ports: [{containerPort: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""
SBOM = b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []}'
ALLOWED_CODES = {0, 1, 2, 3}
SECONDS_PER_EXAMPLE = 60

# --- inputs ----------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["apiVersion", "kind", "metadata", "spec", "*", "0.0.0.0/0", "{{ x }}"])
)
structures = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.text(max_size=12) | st.sampled_from(["apiVersion", "kind", "name", "services"]),
            inner,
            max_size=5,
        )
    ),
    max_leaves=30,
)


def _as_yaml(value: Any) -> bytes:
    return yaml.safe_dump(value, allow_unicode=True).encode("utf-8")


def _as_json(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8")


def _mutated(source: Path | bytes) -> st.SearchStrategy[bytes]:
    """A valid document with one random byte range replaced by random bytes."""
    original = source if isinstance(source, bytes) else source.read_bytes()

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        start = draw(st.integers(min_value=0, max_value=len(original)))
        length = draw(st.integers(min_value=0, max_value=16))
        junk = draw(st.binary(max_size=16) | st.sampled_from([b"&a", b"*a", b"\t", b"{", b"- "]))
        return original[:start] + junk + original[start + length :]

    return mutate()


def documents(valid: Path | bytes | None = None) -> st.SearchStrategy[bytes]:
    choices = [
        st.binary(max_size=300),
        structures.map(_as_yaml),
        structures.map(_as_json),
        st.sampled_from(
            [
                b"",
                b"\xff\xfe\x00",
                b"a: &a [*a]\n",
                b"{" * 300 + b"}" * 300,
                b"[" * 5000,
                b'{"k": 1, "k": 2}',
                b"k: 1\nk: 2\n",
                b"x: " + b"9" * 5000 + b"\n",
                b"---\n---\n...\n",
                b"!!python/object/apply:os.system ['true']\n",
            ]
        ),
    ]
    if valid is not None:
        choices.append(_mutated(valid))
    return st.one_of(*choices)


# --- running the CLI in-process --------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


class _Hang(Exception):
    pass


@contextlib.contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    def ring(signum: int, frame: object) -> None:
        raise _Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(args: list[str]) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    with (
        _alarm(SECONDS_PER_EXAMPLE),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = toplevel.run(
            lambda argv: app(args=argv, prog_name="seccli", standalone_mode=False), args
        )
    return Outcome(code, out.getvalue(), err.getvalue())


def check(outcome: Outcome, written: list[Path]) -> None:
    text = outcome.out + outcome.err
    assert outcome.code in ALLOWED_CODES, (outcome.code, text[-2000:])
    assert "Traceback" not in text, text[-2000:]
    assert "internal error" not in text, text[-2000:]
    # A usage error would mean the command line is wrong and the document was never read.
    assert "Usage: seccli" not in text, text[-2000:]
    if outcome.code == 2:
        present = [p for p in written if p.exists()]
        assert not present, f"exit 2 but wrote {present}"


# --- the readers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """One document-reading command: ``args(doc, out)`` builds the command line."""

    name: str
    args: Callable[[Path, Path], list[str]]
    valid: Path | bytes | None = None
    writes_output: bool = False
    examples: int = 25


def _module(tmp: Path) -> Path:
    module = tmp / "policy.rego"
    if not module.exists():
        module.write_text("package p\nimport rego.v1\nallow if input.ok == true\n")
    return module


def _pod(tmp: Path) -> Path:
    """A pod whose image lives on a port nothing listens on: no network, a fast refusal."""
    pod = tmp / "pod.yaml"
    if not pod.exists():
        pod.write_text(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
            "spec: {containers: [{name: a, image: '127.0.0.1:1/x:1'}]}\n"
        )
    return pod


def _empty(tmp: Path) -> Path:
    folder = tmp / "repo"
    folder.mkdir(exist_ok=True)
    return folder


READERS = [
    Reader("estate validate", lambda d, o: ["estate", "validate", str(d)], EXAMPLE / "estate.yaml"),
    Reader("org validate", lambda d, o: ["org", "validate", str(d)], EXAMPLE / "org.yaml"),
    Reader(
        "generate",
        lambda d, o: ["generate", str(d), "-o", str(o)],
        EXAMPLE / "estate.yaml",
        writes_output=True,
        examples=12,
    ),
    Reader(
        "policy eval --input",
        lambda d, o: ["policy", "eval", "-m", str(_module(o.parent)), "-i", str(d), "data.p.allow"],
        b'{"ok": true}',
    ),
    Reader(
        "policy eval --data",
        lambda d, o: ["policy", "eval", "-m", str(_module(o.parent)), "-d", str(d), "data.p.allow"],
        b'{"p": {}}',
    ),
    Reader(
        "policy eval --module",
        lambda d, o: ["policy", "eval", "-m", str(d), "data"],
        b"package p\nimport rego.v1\nallow if input.ok == true\n",
    ),
    Reader("policy test", lambda d, o: ["policy", "test", str(d)], MANIFEST, examples=15),
    Reader(
        "policy verify",
        lambda d, o: ["policy", "verify", str(d)],
        ROOT / "rego" / "pss-privileged" / "suite.yaml",
    ),
    Reader(
        "policy conformance",
        lambda d, o: ["policy", "conformance", str(d)],
        SHARED / "conformance" / "rego" / "rego-cpp" / "bigint.yaml",
    ),
    Reader("images list", lambda d, o: ["images", "list", str(d)], MANIFEST),
    Reader("netpol reach", lambda d, o: ["netpol", "reach", str(d)], MANIFEST),
    Reader("sbom diff", lambda d, o: ["sbom", "diff", str(d), str(d)], SBOM),
    Reader(
        "verify blob --bundle",
        lambda d, o: [
            "verify",
            "blob",
            str(EXAMPLE / "estate.yaml"),
            "--bundle",
            str(d),
            "--key",
            str(d),
        ],
    ),
    Reader(
        "images verify --policy",
        lambda d, o: [
            "images",
            "verify",
            str(_pod(o.parent)),
            "--policy",
            str(d),
            "--image-timeout",
            "5",
        ],
        examples=15,
    ),
    Reader(
        "scan --baseline",
        lambda d, o: [
            "scan",
            str(_empty(o.parent)),
            "-t",
            "bandit",
            "--no-progress",
            "--no-cache",
            "--baseline",
            str(d),
        ],
        examples=8,
    ),
    Reader(
        "scan --suppressions",
        lambda d, o: [
            "scan",
            str(_empty(o.parent)),
            "-t",
            "bandit",
            "--no-progress",
            "--no-cache",
            "--suppressions",
            str(d),
        ],
        examples=8,
    ),
    Reader("playbook validate", lambda d, o: ["playbook", "validate", str(d)]),
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state" / "state.db"))
    monkeypatch.setenv("SECCLI_CACHE_KEY", str(tmp_path / "state" / "cache.key"))
    return tmp_path


@pytest.mark.parametrize("reader", READERS, ids=[r.name for r in READERS])
def test_reader_survives_hostile_documents(reader: Reader, workdir: Path) -> None:
    suffixes = st.sampled_from([".yaml", ".json", ".yml", ""])

    @settings(
        max_examples=reader.examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(data=documents(reader.valid), suffix=suffixes)
    def one(data: bytes, suffix: str) -> None:
        case = workdir / "case"
        case.mkdir(exist_ok=True)
        doc = case / f"input{suffix}"
        doc.write_bytes(data)
        out = case / "out"
        try:
            outcome = run_cli(reader.args(doc, out))
            check(outcome, [out] if reader.writes_output else [])
        finally:
            for leftover in sorted(case.rglob("*"), reverse=True):
                if leftover.is_dir() and not leftover.is_symlink():
                    leftover.rmdir()
                else:
                    leftover.unlink()

    one()


BASELINES = [r for r in READERS if r.valid is not None]


@pytest.mark.parametrize("reader", BASELINES, ids=[r.name for r in BASELINES])
def test_reader_judges_its_valid_document(reader: Reader, workdir: Path) -> None:
    """The command lines above really reach the reader: a valid document is judged (0 or 1)."""
    valid = reader.valid
    assert valid is not None
    doc = workdir / (valid.name if isinstance(valid, Path) else "input.yaml")
    doc.write_bytes(valid.read_bytes() if isinstance(valid, Path) else valid)
    # A suite names its templates by relative path: judge it where it lives.
    target = valid if isinstance(valid, Path) and valid.name == "suite.yaml" else doc
    outcome = run_cli(reader.args(target, workdir / "out"))
    assert outcome.code in {0, 1}, (outcome.code, (outcome.out + outcome.err)[-2000:])


def test_the_harness_notices_an_internal_error(workdir: Path) -> None:
    """The checks above are only worth something if an unexpected exception fails them."""
    outcome = run_cli(["estate", "validate", str(workdir)])  # a folder, not a document
    check(outcome, [])
    broken = Outcome(3, "", "error: internal error: ValueError (run with --debug)")
    with pytest.raises(AssertionError):
        check(broken, [])
    with pytest.raises(AssertionError):
        check(Outcome(2, "", ""), [workdir])

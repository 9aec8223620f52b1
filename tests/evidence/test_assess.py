"""``seccli assess`` end to end on the example estate, offline: every step, the pack, exit codes.

The first assessment scans the example with checkov, bandit and semgrep (about 8 s on two
cores); later ones in the same store reuse the scan cache (about 3 s).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "claytom"
ESTATE = EXAMPLE / "estate.yaml"
STEPS = ["estate", "org", "generate", "prove", "policy", "images", "vault", "scan", "pack"]


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.stdout)
        return body


def seccli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    environment.update({"CI": "1", "SECCLI_ACTOR": "assess-test"}, **(env or {}))
    environment.pop("SECCLI_EVIDENCE_SIGNING_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "seccli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
        env=environment,
    )
    return Run(result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    """One assessment of the example with JSON output, in a fresh folder and store."""
    folder = tmp_path_factory.mktemp("assess")
    run = seccli(
        folder, "--store", "state.db", "assess", str(ESTATE), "-o", "pack.zip", "-f", "json"
    )
    return folder, run


def test_every_assessed_step_passes_and_vault_is_not_assessed(
    assessed: tuple[Path, Run],
) -> None:
    folder, run = assessed
    assert run.code == 0, run.stdout + run.stderr
    body = run.json()
    assert body["verdict"] == "passed" and body["exitCode"] == 0
    steps = {s["step"]: s for s in body["steps"]}
    assert [s["step"] for s in body["steps"]] == STEPS
    assert steps["vault"]["status"] == "not assessed"
    assert "VAULT_ADDR" in steps["vault"]["detail"]
    for name in STEPS:
        if name != "vault":
            assert steps[name]["status"] == "passed", steps[name]
    assert "307 declared edges" in steps["prove"]["detail"]
    assert "73 pass" in steps["images"]["detail"] and "OCI layout" in steps["images"]["detail"]
    assert "3 suppressed" in steps["scan"]["detail"]  # the example's accepted risks
    assert (folder / ".seccli" / "assess" / "generated" / "kustomization.yaml").is_file()
    pack = body["pack"]
    assert pack["path"] == "pack.zip" and (folder / "pack.zip").is_file()
    assert pack["publicKey"] == str(Path(".seccli") / "assess" / "evidence-signing.pub")
    assert set(pack["summary"]) == {"soc2", "iso27001", "gdpr"}
    # the checks assess ran are evidenced; Vault's controls are not assessed, never satisfied
    assert pack["summary"]["soc2"]["satisfied"] > 0


def test_the_pack_verifies_with_the_printed_key(assessed: tuple[Path, Run]) -> None:
    folder, run = assessed
    public = run.json()["pack"]["publicKey"]
    verified = seccli(folder, "evidence", "verify", "pack.zip", "--key", public, "-f", "json")
    assert verified.code == 0, verified.stdout + verified.stderr
    body = json.loads(verified.stdout)
    assert body["ok"] is True and body["signature"]["ok"] is True
    assert body["signature"]["keyId"] == run.json()["pack"]["keyId"]
    other = seccli(folder, "keys", "generate", "--output-key-prefix", "other")
    assert other.code == 0, other.stderr
    wrong = seccli(folder, "evidence", "verify", "pack.zip", "--key", "other.pub")
    assert wrong.code == 1  # the wrong key does not verify


def test_the_pack_holds_the_runs_of_every_step(assessed: tuple[Path, Run]) -> None:
    import zipfile

    folder, _ = assessed
    with zipfile.ZipFile(folder / "pack.zip") as archive:
        runs = json.loads(archive.read("evidence/runs/runs.json"))["runs"]
        vault_check = json.loads(archive.read("evidence/checks/vault-audit.json"))
        names = set(archive.namelist())
    commands = {r["command"] for r in runs}
    expected = {"estate validate", "org validate", "generate", "netpol prove", "policy test"}
    assert commands >= expected | {"images verify", "scan"}
    assert "vault audit" not in commands
    assert vault_check["status"] == "not-run"
    assert any(n.startswith("exceptions/") for n in names)


def test_table_summary_reruns_in_the_same_folder(assessed: tuple[Path, Run]) -> None:
    folder, first = assessed
    run = seccli(folder, "--store", "state.db", "assess", str(ESTATE), "-o", "pack.zip")
    assert run.code == 0, run.stdout + run.stderr
    assert "not assessed" in run.stdout and "PASSED" in run.stdout
    assert "seccli evidence verify pack.zip --key" in run.stdout
    assert run.stderr == ""  # no progress display off a terminal
    # the work folder's key is reused: the same signer as the first pack
    public = first.json()["pack"]["publicKey"]
    verified = seccli(folder, "evidence", "verify", "pack.zip", "--key", public, "-f", "json")
    assert verified.code == 0, verified.stdout
    assert json.loads(verified.stdout)["signature"]["keyId"] == first.json()["pack"]["keyId"]


def test_a_broken_estate_is_bad_input_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "estate.yaml"
    text = ESTATE.read_text()
    broken.write_text(text.replace("trustDomain:", "trustDomain: [1, 2]\n# was:", 1))
    run = seccli(tmp_path, "--store", "state.db", "assess", str(broken))
    assert run.code == 2, run.stdout + run.stderr
    assert str(broken) in run.stderr and "trustDomain" in run.stderr
    assert "Traceback" not in run.stderr
    as_json = seccli(tmp_path, "--store", "state.db", "assess", str(broken), "-f", "json")
    assert as_json.code == 2
    body = as_json.json()
    assert body["verdict"] == "error" and body["valid"] is False
    assert body["file"] == str(broken)
    assert body["problems"] and all(p["file"] == str(broken) for p in body["problems"])
    assert all(p["line"] for p in body["problems"])
    assert not (tmp_path / "state.db").exists()  # an invalid estate writes nothing
    assert not (tmp_path / ".seccli").exists()


def test_a_broken_org_is_bad_input_naming_the_file(tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    org.write_text("apiVersion: seccli.dev/v1alpha1\nkind: SecurityOrg\nteams: 3\n")
    run = seccli(tmp_path, "--store", "state.db", "assess", str(ESTATE), "--org", str(org))
    assert run.code == 2, run.stdout + run.stderr
    assert str(org) in run.stderr and "Traceback" not in run.stderr


def test_a_failing_gate_is_exit_1_and_the_other_steps_still_run(tmp_path: Path) -> None:
    # the release trust policy: the layout's images are signed with the demo key, not it
    policy = tmp_path / "policy.yaml"
    policy.write_text((EXAMPLE / "trust-policy.yaml").read_text())
    (tmp_path / "keys").mkdir()
    shutil.copy(EXAMPLE / "keys" / "release.pub", tmp_path / "keys" / "release.pub")
    args = ["--store", "state.db", "assess", str(ESTATE), "--trust-policy", str(policy)]
    run = seccli(tmp_path, *args, "--scan", str(tmp_path / "keys"), "-f", "json")
    assert run.code == 1, run.stdout + run.stderr
    steps = {s["step"]: s for s in run.json()["steps"]}
    assert steps["images"]["status"] == "failed", steps["images"]
    assert ": 0 pass," in steps["images"]["detail"]  # some rules warn, the rest block
    assert steps["pack"]["status"] == "passed"  # the pack records the failure
    assert run.json()["verdict"] == "failed"


def test_vault_is_assessed_when_configured(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from seccli.estate.loader import load_estate
    from tests.fakes.vault import FakeVault
    from tests.secrets.conftest import seed_estate

    server = FakeVault(now=datetime.now(UTC)).start()  # assess reads Vault on the real clock
    try:
        seed_estate(server, load_estate(ESTATE).estate, age_days=10)
        env = {"VAULT_ADDR": server.url, "VAULT_TOKEN": server.root_token}
        args = ["--store", "state.db", "assess", str(ESTATE), "--scan", str(EXAMPLE / "keys")]
        run = seccli(tmp_path, *args, "-f", "json", env=env)
    finally:
        server.stop()
    assert run.code == 0, run.stdout + run.stderr
    steps = {s["step"]: s for s in run.json()["steps"]}
    assert steps["vault"]["status"] == "passed"
    assert "74 secrets, 0 overdue" in steps["vault"]["detail"]
    assert server.root_token not in run.stdout + run.stderr


def test_a_terminal_gets_progress_on_stderr(tmp_path: Path) -> None:
    """stderr on a pseudo-terminal: a line per finished step; stdout stays the JSON document."""
    import threading

    master, slave = os.openpty()
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "seccli", "--store", "s.db", "assess", str(ESTATE)]
            + ["--scan", str(EXAMPLE / "keys"), "-f", "json"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=slave,
            env={**environment, "CI": "1", "COLUMNS": "120"},
            timeout=300,
            check=False,
        )
    finally:
        os.close(slave)
        reader.join(timeout=10)
    os.close(master)
    progress = b"".join(chunks).decode(errors="replace")
    assert done.returncode == 0, progress
    assert json.loads(done.stdout)["verdict"] == "passed"  # stdout untouched by the display
    assert "ok   estate validated" in progress
    assert "n/a  Vault secrets audited" in progress
    assert "ok   evidence pack built and verified" in progress


@pytest.mark.parametrize(
    ("outcomes", "code"),
    [
        ([("passed", 0), ("not assessed", 0)], 0),
        ([("passed", 0), ("failed", 1), ("not assessed", 0)], 1),
        ([("failed", 1), ("error", 2)], 2),
        ([("failed", 1), ("error", 2), ("error", 3)], 3),
        ([("error", 130)], 3),  # anything else that stopped a step is a failure to run
        ([("not assessed", 0)], 0),
    ],
)
def test_the_exit_code_is_the_worst_assessed_outcome(
    outcomes: list[tuple[str, int]], code: int
) -> None:
    from seccli.assess.model import AssessResult, StepResult, StepStatus

    result = AssessResult(Path("estate.yaml"), Path("work"))
    result.steps = [StepResult("scan", StepStatus(status), "detail", rc) for status, rc in outcomes]
    assert result.exit_code == code
    assert result.verdict == {0: "passed", 1: "failed"}.get(code, "error")


def test_a_folder_is_read_as_its_estate_and_org(tmp_path: Path) -> None:
    """A folder stands for the estate.yaml in it, and its org.yaml is used over the default."""
    folder = tmp_path / "estate-folder"
    folder.mkdir()
    shutil.copy(ESTATE, folder / "estate.yaml")
    (folder / "org.yaml").write_text(
        "apiVersion: seccli.dev/v1alpha1\nkind: SecurityOrg\nteams: 3\n"
    )
    run = seccli(tmp_path, "--store", "state.db", "assess", str(folder))
    assert run.code == 2, run.stdout + run.stderr
    assert str(folder / "org.yaml") in run.stderr  # the folder's org, not the default one
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = seccli(tmp_path, "--store", "state.db", "assess", str(empty))
    assert missing.code == 2
    assert str(empty / "estate.yaml") in missing.stderr and "Traceback" not in missing.stderr

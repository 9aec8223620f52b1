"""SIGKILL at every step boundary of a multi-step run, then ``playbook resume``: no step twice.

Each run is a real ``seccli playbook run --execute`` process that kills itself with SIGKILL at
the N-th boundary (before the action, after it, after its record); listing, resuming and
verifying the audit chain afterwards run ``seccli`` in the test process (a process other than
the killed one, reading only what it left in the store). A local HTTP server counts what each
step sent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.inprocess import run_seccli
from tests.soar.helpers import chain, write_playbook
from tests.soar.recording_server import RecordingServer

STEPS = 3  # first, middle and last step, each at every boundary
POINTS = ("started", "executed", "recorded")
KILLER = """
import os, signal, sys
import seccli.soar.engine as engine
target = int(os.environ["KILL_AT"])
seen = [0]
def reached(point, key):
    seen[0] += 1
    if seen[0] == target:
        os.kill(os.getpid(), signal.SIGKILL)
engine._reached = reached
from seccli.cli.app import main
main(sys.argv[1:])
"""


def _killed_run(
    args: list[str], env: dict[str, str], kill_at: int
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", KILLER, *args],
        env={**env, "KILL_AT": str(kill_at)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _seccli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_seccli(args, cwd=cwd, env=env)


@pytest.mark.parametrize("kill_at", range(1, STEPS * len(POINTS) + 1))
def test_sigkill_then_resume_repeats_no_completed_step(
    kill_at: int, tmp_path: Path, server: RecordingServer
) -> None:
    paths = [f"/step{i}" for i in range(1, STEPS + 1)]
    folder = tmp_path / "playbooks"
    write_playbook(folder, "chain", chain(paths))
    incident = tmp_path / "incident.json"
    incident.write_text("{}")
    env = {
        **os.environ,
        "SECCLI_STORE": str(tmp_path / "state.db"),
        "SECCLI_SOAR_WORKDIR": str(tmp_path / "work"),
        "SECCLI_ACTOR": "tester",
    }
    common = ["--playbooks", str(folder), "--endpoint", f"edge={server.url}/edge"]
    killed = _killed_run(
        ["playbook", "run", "chain", "--incident", str(incident), "--execute", *common],
        env,
        kill_at,
    )
    assert killed.returncode == -9, killed.stderr
    listed = _seccli(["playbook", "runs", "--format", "json"], env, tmp_path)
    (run,) = json.loads(listed.stdout)["runs"]
    assert run["state"] == "running"
    resumed = _seccli(
        ["playbook", "resume", run["run"], *common, "--format", "json"], env, tmp_path
    )
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["state"] == "completed"
    step, point = divmod(kill_at - 1, len(POINTS))
    for index, path in enumerate(paths):
        sent = [r for r in server.received if r.path == "/edge" + path]
        if index == step and POINTS[point] == "executed":
            # the action ran but its record was not written: it runs again, same key
            assert len(sent) == 2, (path, server.paths())
            assert sent[0].headers["Idempotency-Key"] == sent[1].headers["Idempotency-Key"]
        else:
            assert len(sent) == 1, (path, server.paths())
    assert [r.path for r in server.received][-1] == "/edge" + paths[-1]
    assert all(s["state"] == "completed" for s in result["steps"])
    # every step's start and end reached the audit chain, and the chain verifies
    verify = _seccli(["audit", "verify"], env, tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr

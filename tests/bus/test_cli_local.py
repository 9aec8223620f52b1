"""The local bus end to end through the CLI: no server, the same commands and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bus.test_faults import cli

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec: {containers: [{name: a, image: "nginx:1.25", securityContext: {privileged: true}}]}
"""


def test_a_policy_test_job_gives_the_command_s_result_and_exit_code(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    words = ("policy", "test", "pod.yaml", "--format", "json")
    submitted = cli("submit", "--format", "json", *words, cwd=tmp_path)
    assert submitted.returncode == 0, submitted.stderr
    job = json.loads(submitted.stdout)
    assert job["bus"] == "local" and job["subject"] == "org.claytom.holding.command.policy.test"
    again = cli("submit", "--format", "json", *words, cwd=tmp_path)
    assert json.loads(again.stdout)["duplicate"] is True
    worked = cli("worker", "--idle-exit", "1", cwd=tmp_path)
    assert worked.returncode == 0, worked.stderr
    assert "1 done" in worked.stderr
    waited = cli("jobs", "wait", job["jobId"], "--format", "json", cwd=tmp_path)
    assert waited.returncode == 1, "the job's exit code: violations found"
    result = json.loads(waited.stdout)
    assert result["state"] == "done" and result["exitCode"] == 1
    direct = cli("policy", "test", "pod.yaml", "--format", "json", cwd=tmp_path)
    assert json.loads(result["stdout"])["summary"] == json.loads(direct.stdout)["summary"]


def test_jobs_that_would_write_on_the_worker_are_refused_at_submit(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    refused = cli("submit", "policy", "test", "pod.yaml", "-o", "/tmp/x", cwd=tmp_path)
    assert refused.returncode == 2 and "not allowed in a job" in refused.stderr
    unknown = cli("submit", "rm", "-rf", "/", cwd=tmp_path)
    assert unknown.returncode == 2 and "jobs are:" in unknown.stderr


def test_an_unknown_job_and_a_bad_bus_url_are_input_errors(tmp_path: Path) -> None:
    missing = cli("jobs", "status", "job-0000", cwd=tmp_path)
    assert missing.returncode == 2 and "unknown" in missing.stderr
    bad = cli("jobs", "status", "--bus", "http://user:pw@host", cwd=tmp_path)
    assert bad.returncode == 2 and "pw@" not in bad.stderr

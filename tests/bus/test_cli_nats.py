"""A real command as a job over a real nats-server: the file travels through the object store,
the worker runs the command, ``jobs wait`` gives its output and exit code."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bus.conftest import NatsServer
from tests.bus.test_cli_local import POD
from tests.bus.test_faults import cli, start_worker


def test_a_policy_test_job_over_nats_gives_the_command_s_result(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "pod.yaml").write_text(POD)
    worker = start_worker(tmp_path, nats_server.url, "--max-jobs", "1", "--idle-exit", "20")
    try:
        waited = cli(
            "submit",
            "--wait",
            "--timeout",
            "60",
            "--format",
            "json",
            "--subsidiary",
            "shop",
            "policy",
            "test",
            "shop",
            "--format",
            "json",
            cwd=tmp_path,
            env={"SECCLI_BUS": nats_server.url},  # the bus chosen by the environment
        )
        _out, worker_err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert waited.returncode == 1, waited.stderr  # the command's own exit code: violations
    result = json.loads(waited.stdout)
    assert result["state"] == "done" and result["subsidiary"] == "shop"
    assert "done:" in worker_err and "policy.test exit 1" in worker_err
    direct = cli("policy", "test", "shop", "--format", "json", cwd=tmp_path)
    assert json.loads(result["stdout"])["summary"] == json.loads(direct.stdout)["summary"]
    # The folder went through the object store: the job message carries only a reference.
    import asyncio

    import nats

    async def payloads() -> list[str]:
        nc = await nats.connect(nats_server.url)
        try:
            store = await nc.jetstream().object_store("seccli-payloads")
            return [info.name for info in await store.list()]
        finally:
            await nc.close()

    assert len(asyncio.run(payloads())) == 1

"""Start Debian's ``docker-registry`` (distribution 2.8) on 127.0.0.1 with a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

CONFIG = """\
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:{port}
  secret: seccli-tests-only
"""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RegistryServer:
    """A running registry process; ``stop()`` ends it."""

    def __init__(self, workdir: Path, extra_config: str = "") -> None:
        binary = shutil.which("docker-registry")
        if binary is None:
            raise FileNotFoundError("docker-registry")
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        storage = workdir / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        config = workdir / "config.yml"
        config.write_text(
            CONFIG.format(root=storage, port=self.port) + extra_config, encoding="utf-8"
        )
        self._log = (workdir / "registry.log").open("wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        self.process = subprocess.Popen(
            [binary, "serve", str(config)], stdout=self._log, stderr=subprocess.STDOUT, env=env
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"docker-registry exited: {(workdir / 'registry.log').read_text()}"
                )
            try:
                with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code == 401:  # up, and asking for a token
                    return
                time.sleep(0.05)
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("docker-registry did not start within 15 s")

    def stop(self) -> None:
        """Terminate the process (kill after 5 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()

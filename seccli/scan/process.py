"""Finding and running the scanner executables: lookup, timeouts, killing a whole process group."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from seccli.scan.interface import ToolFailure

_OUTPUT_TAIL = 400


@dataclass(frozen=True, slots=True)
class Completed:
    """A finished process: exit code and captured output."""

    returncode: int
    stdout: bytes
    stderr: bytes

    def stderr_tail(self) -> str:
        """The last few hundred characters of stderr, for error messages."""
        text = self.stderr.decode("utf-8", "replace").strip()
        return text[-_OUTPUT_TAIL:]


def find_executable(name: str, override: str | Path | None = None) -> Path | None:
    """The tool's executable: an explicit override, next to ``sys.executable``, or on PATH."""
    if override is not None:
        candidate = Path(override)
        return candidate if candidate.is_file() else None
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which(name)
    return Path(found) if found else None


def run_tool(
    tool: str,
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
) -> Completed:
    """Run ``argv`` in its own process group; kill the whole group when ``timeout`` passes.

    Raises ``ToolFailure`` (kind ``missing`` or ``timeout``) instead of returning.
    """
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    try:
        process = subprocess.Popen(  # noqa: S603 - argv is built by the adapters, no shell
            list(argv),
            cwd=str(cwd),
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise ToolFailure(tool, "missing", f"cannot start {argv[0]}: {exc.strerror}") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.communicate()
        raise ToolFailure(tool, "timeout", f"did not finish within {timeout:g} s") from None
    except BaseException:
        _kill_group(process)
        process.communicate()
        raise
    return Completed(process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()

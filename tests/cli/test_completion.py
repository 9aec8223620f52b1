"""Shell completion: Typer's ``--show-completion`` / ``--install-completion`` on the root, and
the completion protocol answering from the real console script.

The shell is detected from the parent process (as Typer does, with shellingham), so each
command runs under a real ``bash`` (``; true`` keeps bash from exec-ing the command itself).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SECCLI = Path(sys.executable).parent / "seccli"
BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed")


def under_bash(command: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "SHELL": BASH or "bash"}
    return subprocess.run(
        [BASH or "bash", "-c", f"{command}; true"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_help_lists_the_completion_options() -> None:
    done = subprocess.run(
        [str(SECCLI), "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    assert "--install-completion" in done.stdout and "--show-completion" in done.stdout


@needs_bash
def test_show_completion_prints_a_bash_script_for_seccli(tmp_path: Path) -> None:
    done = under_bash(f"{shlex.quote(str(SECCLI))} --show-completion", tmp_path)
    assert done.returncode == 0, done.stderr
    script = done.stdout
    assert "_seccli_completion()" in script
    assert "_SECCLI_COMPLETE=complete_bash" in script
    assert "complete -o default -F _seccli_completion seccli" in script
    assert not (tmp_path / ".bashrc").exists()  # showing installs nothing


@needs_bash
def test_install_completion_writes_the_script_and_sources_it(tmp_path: Path) -> None:
    done = under_bash(f"{shlex.quote(str(SECCLI))} --install-completion", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "bash completion installed" in done.stdout
    installed = tmp_path / ".bash_completions" / "seccli.sh"
    assert "_seccli_completion" in installed.read_text()
    assert str(installed) in (tmp_path / ".bashrc").read_text()


@pytest.mark.parametrize(
    ("words", "cword", "expected", "absent"),
    [
        ("seccli ima", 1, "images", "netpol"),
        ("seccli images list --ex", 3, "--exclude", "--policy"),
        ("seccli netpol prove --ver", 3, "--verbose", "--exclude"),
    ],
)
def test_the_console_script_answers_completion_requests(
    words: str, cword: int, expected: str, absent: str
) -> None:
    env = {
        **os.environ,
        "_SECCLI_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
    }
    done = subprocess.run(
        [str(SECCLI)], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    answers = done.stdout.split()
    assert expected in answers and absent not in answers

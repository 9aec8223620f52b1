"""``generate --out`` killed at every file-system step: the tree is wholly old or wholly new.

A forked child runs the write with every mutating ``os`` call (and the directory exchange)
counted; at the N-th it SIGKILLs itself, for N = 1, 2, ... until a run completes. After each
kill the tree must be byte-for-byte the old one or the new one (foreign files included),
``kubectl kustomize`` must build exactly the old or the new output, and a rerun must converge
to the new tree with nothing left beside it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from seccli.core import tree_swap
from seccli.estate.loader import load_estate
from seccli.zerotrust.generate.tree import GeneratedTree, generate_tree, write_tree

FIXTURES = Path(__file__).parent / "fixtures"
MUTATING = (
    "mkdir",
    "open",
    "write",
    "fchmod",
    "chmod",
    "link",
    "symlink",
    "rename",
    "replace",
    "unlink",
    "rmdir",
    "fsync",
    "sync",
)
KUBECTL = shutil.which("kubectl")

pytestmark = pytest.mark.slow


def snapshot(root: Path) -> dict[str, bytes] | None:
    """Every file and link below ``root`` (links as their target text); None if absent."""
    if not os.path.lexists(root):
        return None
    found: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[relative] = b"-> " + os.readlink(path).encode()
        elif path.is_file():
            found[relative] = path.read_bytes()
        elif path.is_dir():
            found[relative + "/"] = b""
    return found


def build(root: Path, cache: dict[str, str]) -> str:
    """``kubectl kustomize`` output of the tree (memoised by the tree's exact bytes)."""
    assert KUBECTL is not None
    state = snapshot(root)
    key = hashlib.sha256(repr(sorted((state or {}).items())).encode()).hexdigest()
    if key not in cache:
        done = subprocess.run(
            [KUBECTL, "kustomize", str(root)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        cache[key] = done.stdout
    return cache[key]


def killed_at(step: int, action: Callable[[], Any], *, exchange: bool) -> bool:
    """Run ``action`` in a child that SIGKILLs itself at mutating call ``step``."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            count = [0]

            def counted(function: Callable[..., Any]) -> Callable[..., Any]:
                def call(*args: Any, **kwargs: Any) -> Any:
                    count[0] += 1
                    if count[0] == step:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return function(*args, **kwargs)

                return call

            for name in MUTATING:
                setattr(os, name, counted(getattr(os, name)))
            if exchange:
                tree_swap.exchange = counted(tree_swap.exchange)
            else:
                tree_swap._RENAMEAT2[:] = [None]
            action()
            os._exit(0)
        except BaseException:
            os._exit(70)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.waitstatus_to_exitcode(status) == 0, "the write failed instead of being killed"
    return False


def prepare(root: Path, old: GeneratedTree) -> None:
    """The old tree, as a user has it: a foreign file, a git folder, an old version's litter."""
    write_tree(old, root)
    (root / "README.md").write_text("our notes\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / "namespaces" / "core" / ".namespace.yaml.ab12cd34.tmp").write_text("half")


@pytest.fixture(scope="module")
def trees() -> tuple[GeneratedTree, GeneratedTree]:
    estate = load_estate(FIXTURES / "mini-estate.yaml").estate
    return generate_tree(estate, mesh="istio"), generate_tree(estate, mesh="linkerd")


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_killed_at_every_step(
    exchange: bool, trees: tuple[GeneratedTree, GeneratedTree], tmp_path: Path
) -> None:
    old, new = trees
    builds: dict[str, str] = {}
    reference = tmp_path / "reference"
    reference.mkdir()
    prepare(reference / "tree", old)
    old_state = snapshot(reference / "tree")
    old_build = build(reference / "tree", builds)
    write_tree(new, reference / "tree")
    new_state = snapshot(reference / "tree")
    new_build = build(reference / "tree", builds)
    assert old_state is not None and new_state is not None
    assert old_build != new_build and old_state != new_state
    assert "README.md" in new_state and ".git/HEAD" in new_state  # foreign files survive
    assert "namespaces/core/istio-authorization.yaml" not in new_state  # stale ones go
    assert "namespaces/core/.namespace.yaml.ab12cd34.tmp" not in new_state

    outcomes: dict[str, int] = {"old": 0, "new": 0, "absent": 0}
    step = 0
    while True:
        step += 1
        assert step < 2000, "the write never completed"
        parent = tmp_path / f"run{step}"
        parent.mkdir()
        root = parent / "tree"
        prepare(root, old)
        assert snapshot(root) == old_state
        if not killed_at(step, functools.partial(write_tree, new, root), exchange=exchange):
            assert snapshot(root) == new_state
            break
        state = snapshot(root)
        if state is None:
            # only the two-rename fallback has a moment without the folder; never half of it
            assert not exchange, f"step {step}: the tree vanished"
            outcomes["absent"] += 1
        else:
            assert state in (old_state, new_state), f"step {step}: a mixed tree"
            outcomes["old" if state == old_state else "new"] += 1
            assert build(root, builds) == (old_build if state == old_state else new_build)
        _converges(root, new, new_state, write_tree)
        shutil.rmtree(parent)
    assert step > 50, "too few steps were interrupted for this test to mean anything"
    assert outcomes["old"] > 10 and outcomes["new"] >= 1
    assert outcomes["absent"] >= (0 if exchange else 1)


def _converges(
    root: Path,
    new: GeneratedTree,
    new_state: Mapping[str, bytes],
    write: Callable[[GeneratedTree, Path], Any],
) -> None:
    write(new, root)
    assert snapshot(root) == new_state
    assert sorted(os.listdir(root.parent)) == ["tree"], "leftovers beside the tree"
    again = write(new, root)
    assert not again.switched and again.written == () and again.removed == ()


HOOKED_CLI = """
import os, signal, sys
from seccli.core import tree_swap
where = sys.argv[1]
original = tree_swap.exchange
def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
if where == "before-switch":
    tree_swap.switch = lambda names: die()
else:
    def exchange_then_die(first, second):
        original(first, second)
        die()
    tree_swap.exchange = exchange_then_die
from seccli.cli.app import main
main(sys.argv[2:])
"""


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
@pytest.mark.parametrize(("where", "expected"), [("before-switch", "old"), ("after", "new")])
def test_the_cli_killed_around_the_switch(where: str, expected: str, tmp_path: Path) -> None:
    env = {**os.environ, "SECCLI_STORE": str(tmp_path / "state" / "db"), "SECCLI_ACTOR": "t"}
    out = tmp_path / "tree"
    base = [str(FIXTURES / "mini-estate.yaml"), "--out", str(out)]

    def seccli(*args: str, hook: str | None = None) -> subprocess.CompletedProcess[str]:
        start = ["-m", "seccli"] if hook is None else ["-c", HOOKED_CLI, hook]
        return subprocess.run(
            [sys.executable, *start, "generate", *base, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            cwd=tmp_path,
        )

    assert seccli("--mesh", "istio").returncode == 0
    builds: dict[str, str] = {}
    old_build = build(out, builds)
    killed = seccli("--mesh", "linkerd", hook=where)
    assert killed.returncode == -signal.SIGKILL
    assert (tmp_path / ".tree.seccli-stage").is_dir()  # the interrupted run's staging folder
    after_kill = build(out, builds)
    check = seccli("--mesh", "linkerd", "--check")
    assert check.returncode == (1 if expected == "old" else 0), check.stdout
    assert "interrupted run" in check.stdout
    rerun = seccli("--mesh", "linkerd")
    assert rerun.returncode == 0, rerun.stderr
    new_build = build(out, builds)
    assert new_build != old_build
    assert after_kill == (old_build if expected == "old" else new_build)
    assert sorted(os.listdir(tmp_path)) == ["state", "tree"]
    assert seccli("--mesh", "linkerd", "--check").returncode == 0

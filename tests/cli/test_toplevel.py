"""Top-level outcomes of the real console script: every failure is one exit code and one line.

Output that cannot be written (a full device, a closed pipe), an output encoding without the
characters to print, an unexpected exception inside a command and Ctrl-C each end in a
documented exit code without a traceback; ``--debug`` adds the traceback and keeps the code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from seccli.cli import toplevel
from seccli.cli.app import main
from seccli.core.errors import DependencyError, InputError
from seccli.core.redaction import REDACTED, Secret

ROOT = Path(__file__).resolve().parents[2]
SECCLI = Path(sys.executable).parent / "seccli"
EXAMPLE_ESTATE = ROOT / "examples" / "claytom" / "estate.yaml"
UNICODE_NAME = "Cl\u00e0yT\u00f6m\u2014Syst\u00e8mes"

# Installed only in tests: raises the exception SECCLI_TEST_RAISE names inside the estate
# capability (seccli.estate.summary.summarise), i.e. in the middle of a real command.
SITECUSTOMIZE = textwrap.dedent(
    """
    import builtins, os
    name = os.environ.get("SECCLI_TEST_RAISE")
    if name:
        import seccli.estate.summary as summary

        def summarise(estate):
            error = getattr(builtins, name)
            if error is UnicodeEncodeError:
                raise error("ascii", "\\u00e0", 0, 1, "ordinal not in range(128)")
            raise error("injected " + name)

        summary.summarise = summarise
    """
)


def run_seccli(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdout: int | None = subprocess.PIPE,
    stderr: int | None = subprocess.PIPE,
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(SECCLI), *args],
        cwd=cwd,
        stdout=stdout,
        stderr=stderr,
        env={**os.environ, "SECCLI_ACTOR": "tester", **(env or {})},
        timeout=60,
        check=False,
    )


@pytest.fixture
def unicode_estate(tmp_path: Path) -> Path:
    text = EXAMPLE_ESTATE.read_text(encoding="utf-8")
    assert "organisation: ClayTomSystems" in text
    path = tmp_path / "estate.yaml"
    path.write_text(text.replace("ClayTomSystems", UNICODE_NAME), encoding="utf-8")
    return path


@pytest.fixture
def hook(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "hook"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return {"PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)])}


def assert_quiet(stderr: bytes) -> None:
    text = stderr.decode("utf-8", "replace")
    assert "Traceback" not in text and "Exception ignored" not in text, text


def test_console_script_is_the_one_under_test() -> None:
    assert SECCLI.is_file(), SECCLI


# --- output encodings without the characters to print ---------------------------------------


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_table_output_degrades_to_escapes(
    tmp_path: Path, unicode_estate: Path, encoding: str
) -> None:
    result = run_seccli(
        "estate",
        "validate",
        str(unicode_estate),
        cwd=tmp_path,
        env={"PYTHONIOENCODING": encoding},
    )
    assert result.returncode == 0, result.stderr
    assert_quiet(result.stderr)
    assert b"\\u2014" in result.stdout  # the em dash no encoding here has
    assert UNICODE_NAME.encode("utf-8") not in result.stdout
    result.stdout.decode(encoding)  # every byte is in the declared encoding


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_json_output_stays_valid_and_lossless(
    tmp_path: Path, unicode_estate: Path, encoding: str
) -> None:
    result = run_seccli(
        "estate",
        "validate",
        "-f",
        "json",
        str(unicode_estate),
        cwd=tmp_path,
        env={"PYTHONIOENCODING": encoding},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.isascii()
    payload = json.loads(result.stdout.decode("ascii"))
    assert UNICODE_NAME in json.dumps(payload, ensure_ascii=False)


def test_rich_tables_and_unicode_error_lines_under_ascii(tmp_path: Path) -> None:
    table = run_seccli(
        "org", "report", "headcount", cwd=tmp_path, env={"PYTHONIOENCODING": "ascii"}
    )
    assert table.returncode == 0, table.stderr
    assert table.stdout.isascii() and b"appsec" in table.stdout
    missing = tmp_path / "caf\u00e9-\u2603.yaml"
    error = run_seccli(
        "estate", "validate", str(missing), cwd=tmp_path, env={"PYTHONIOENCODING": "ascii"}
    )
    assert error.returncode == 2
    assert_quiet(error.stderr)
    assert error.stderr.isascii() and b"caf\\xe9-\\u2603.yaml: file not found" in error.stderr


# --- output that cannot be written ----------------------------------------------------------

WRITERS = [
    pytest.param(("estate", "validate"), id="rich-table"),
    pytest.param(("estate", "validate", "-f", "json"), id="json"),
    pytest.param(("org", "roster"), id="typer-echo-160kB"),
    pytest.param(("--version",), id="version"),
]


@pytest.mark.parametrize("args", WRITERS)
def test_full_device_is_exit_3_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    with open("/dev/full", "wb") as full:
        result = run_seccli(*args, cwd=tmp_path, stdout=full.fileno())
    assert result.returncode == 3, result.stderr
    assert_quiet(result.stderr)
    assert result.stderr.decode().splitlines() == [
        "error: cannot write output: No space left on device"
    ]


@pytest.mark.parametrize("args", WRITERS)
def test_closed_pipe_is_exit_3_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = run_seccli(*args, cwd=tmp_path, stdout=write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 3, result.stderr
    assert_quiet(result.stderr)
    assert result.stderr.decode().splitlines() == ["error: cannot write output: Broken pipe"]


def test_pipe_into_head_exits_quietly(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {SECCLI} org roster | head -1"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.startswith(b"id,name,team") and result.stdout.count(b"\n") == 1
    assert result.returncode in (0, 3)  # 3 once head has gone before the last write
    assert_quiet(result.stderr)


def test_full_device_with_debug_keeps_exit_3(tmp_path: Path) -> None:
    with open("/dev/full", "wb") as full:
        result = run_seccli("--debug", "org", "roster", cwd=tmp_path, stdout=full.fileno())
    assert result.returncode == 3
    assert b"Traceback" in result.stderr
    assert result.stderr.rstrip().endswith(b"error: cannot write output: No space left on device")


# --- unexpected exceptions inside a command -------------------------------------------------


@pytest.mark.parametrize(
    "name", ["RuntimeError", "KeyError", "MemoryError", "RecursionError", "UnicodeEncodeError"]
)
def test_unexpected_exception_is_exit_3_with_one_line(
    tmp_path: Path, hook: dict[str, str], name: str
) -> None:
    result = run_seccli("estate", "validate", cwd=tmp_path, env={**hook, "SECCLI_TEST_RAISE": name})
    assert result.returncode == 3, result.stderr
    assert_quiet(result.stderr)
    lines = result.stderr.decode().splitlines()
    assert lines[0].startswith(f"error: internal error: {name}"), lines
    assert lines[1].startswith("hint: ") and "--debug" in lines[1]
    assert len(lines) == 2
    debug = run_seccli(
        "--debug", "estate", "validate", cwd=tmp_path, env={**hook, "SECCLI_TEST_RAISE": name}
    )
    assert debug.returncode == 3
    assert b"Traceback" in debug.stderr and name.encode() in debug.stderr


def test_interrupt_is_exit_130_with_one_line(tmp_path: Path, hook: dict[str, str]) -> None:
    env = {**hook, "SECCLI_TEST_RAISE": "KeyboardInterrupt"}
    result = run_seccli("estate", "validate", cwd=tmp_path, env=env)
    assert result.returncode == 130
    assert_quiet(result.stderr)
    assert result.stderr.decode().splitlines() == ["error: interrupted"]
    assert run_seccli("--debug", "estate", "validate", cwd=tmp_path, env=env).returncode == 130


def test_unwritable_stderr_does_not_change_the_code(tmp_path: Path, hook: dict[str, str]) -> None:
    with open("/dev/full", "wb") as full:
        result = run_seccli(
            "estate",
            "validate",
            cwd=tmp_path,
            env={**hook, "SECCLI_TEST_RAISE": "KeyError"},
            stderr=full.fileno(),
        )
    assert result.returncode == 3


# --- usage and seccli errors keep their codes, with and without --debug ---------------------


@pytest.mark.parametrize(
    "args",
    [
        ("estate", "nope"),
        ("estate", "validate", "--format", "bogus"),
        ("--no-such-option",),
        (),
    ],
)
@pytest.mark.parametrize("debug", [False, True])
def test_usage_errors_stay_exit_2(tmp_path: Path, args: tuple[str, ...], debug: bool) -> None:
    result = run_seccli(*(("--debug", *args) if debug else args), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert_quiet(result.stderr)


def test_input_error_with_debug_keeps_exit_2(tmp_path: Path) -> None:
    plain = run_seccli("estate", "validate", str(tmp_path / "missing.yaml"), cwd=tmp_path)
    assert plain.returncode == 2
    assert_quiet(plain.stderr)
    debug = run_seccli(
        "--debug", "estate", "validate", str(tmp_path / "missing.yaml"), cwd=tmp_path
    )
    assert debug.returncode == 2
    assert b"Traceback" in debug.stderr and b"error: " in debug.stderr


# --- in-process main() ----------------------------------------------------------------------


def _raising(error: BaseException) -> object:
    def summarise(*_args: object, **_kwargs: object) -> object:
        raise error

    return summarise


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (RuntimeError("boom"), 3),
        (KeyError("services"), 3),
        (MemoryError(), 3),
        (RecursionError("maximum recursion depth exceeded"), 3),
        (OSError(28, "No space left on device"), 3),
        (DependencyError("registry down"), 3),
        (InputError("bad input"), 2),
        (KeyboardInterrupt(), 130),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
@pytest.mark.parametrize("debug", [False, True])
def test_main_maps_every_exception_to_its_code(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    error: BaseException,
    code: int,
    debug: bool,
) -> None:
    import seccli.estate.summary

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SECCLI_ESTATE", str(EXAMPLE_ESTATE))
    monkeypatch.setattr(seccli.estate.summary, "summarise", _raising(error))
    argv = ["estate", "validate"]
    with pytest.raises(SystemExit) as stopped:
        main(["--debug", *argv] if debug else argv)
    assert stopped.value.code == code
    err = capsys.readouterr().err
    assert ("Traceback" in err) is (debug and code != 130)
    assert err.strip(), "a failure always says what happened"


def test_internal_error_message_is_redacted_and_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import seccli.estate.summary

    token = Secret("s3cr3t-token-value")
    long_tail = "x" * 1000
    error = RuntimeError(f"failed with {token.reveal()} {long_tail}\nsecond line")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SECCLI_ESTATE", str(EXAMPLE_ESTATE))
    monkeypatch.setattr(seccli.estate.summary, "summarise", _raising(error))
    with pytest.raises(SystemExit) as stopped:
        main(["estate", "validate"])
    assert stopped.value.code == 3
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert token.reveal() not in lines[0] and REDACTED in lines[0]
    assert len(lines[0]) < 400 and "second line" not in lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--debug", "estate", "validate"], True),
        (["--store", "db", "--debug", "org"], True),
        (["--store=db", "--debug"], True),
        (["--store", "--debug", "estate"], False),  # --debug is the store's path here
        (["estate", "validate", "--debug"], False),  # not a root option: a usage error
        (["policy", "eval", "--query", "--debug"], False),
        (["--", "--debug"], False),
        ([], False),
    ],
)
def test_debug_is_read_from_root_options_only(args: list[str], expected: bool) -> None:
    assert toplevel.debug_requested(args) is expected


def test_describe_survives_a_broken_str() -> None:
    class Broken(Exception):
        def __str__(self) -> str:
            raise ValueError("no")

    assert toplevel.describe(Broken()) == "Broken"
    assert toplevel.describe(KeyError("k")) == "KeyError: 'k'"

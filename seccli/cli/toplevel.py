"""Running the Typer app: every outcome becomes one exit code and a few lines on stderr.

- a ``SeccliError``: its lines and hint, and its exit code;
- a usage error of the parser: the parser's message, exit 2;
- output that cannot be written (a closed pipe, a full device): one line, exit 3;
- Ctrl-C: one line, exit 130;
- any other exception is a bug: one line naming it and a ``--debug`` hint, exit 3 (the code
  of a failed dependency, so a gate treats it as a denial, never as "violations found").

``--debug`` adds the traceback and never changes the exit code. Standard output degrades
instead of failing when its encoding lacks a character (``PYTHONIOENCODING=ascii``): the
character is written as a backslash escape (JSON documents use ``\\uXXXX`` escapes instead).
"""

from __future__ import annotations

import errno
import io
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from seccli.core.errors import ExitCode, SeccliError

INTERRUPTED = 130
# errno values that mean "this output cannot be written", whichever stream it was.
OUTPUT_ERRNOS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})
_MESSAGE_LIMIT = 300
# Root options that take a value (skipped when looking for --debug before the command).
_VALUED_ROOT_OPTIONS = frozenset({"--store"})


def run(invoke: Callable[[list[str]], object], args: Sequence[str]) -> int:
    """Call ``invoke(args)`` (the app in non-standalone mode) and return the exit code."""
    arguments = list(args)
    debug = debug_requested(arguments)
    degrade_unencodable_output()
    try:
        code = _exit_code_of(invoke(arguments))
        sys.stdout.flush()
    except KeyboardInterrupt:
        code = INTERRUPTED
    except SystemExit as stop:
        # Typer answers a broken pipe itself with sys.exit(1), the code for "violations
        # found"; that is an output error (exit 3). Any other SystemExit stands.
        closed = _broken_pipe_behind(stop)
        if closed is None:
            raise
        code = _report(closed, debug=debug)
    except Exception as exc:  # every exception ends here: none may escape as a traceback
        try:
            code = _report(exc, debug=debug)
        except Exception:  # reporting itself failed (e.g. out of memory): still one line
            _say(f"error: internal error: {type(exc).__name__}")
            code = int(ExitCode.DEPENDENCY)
    if code == INTERRUPTED:
        _say("error: interrupted")
    return _flush_output(code)


def debug_requested(args: Sequence[str]) -> bool:
    """Whether ``--debug`` is among the root options (those before the command name)."""
    skip_value = False
    for arg in args:
        if skip_value:
            skip_value = False
            continue
        if arg == "--debug":
            return True
        if arg in _VALUED_ROOT_OPTIONS:
            skip_value = True
        elif arg == "--" or not arg.startswith("-"):
            return False
    return False


def degrade_unencodable_output() -> None:
    """Let stdout and stderr write characters their encoding lacks as backslash escapes."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="backslashreplace")


def _exit_code_of(result: object) -> int:
    # In non-standalone mode the app returns the code of a ``typer.Exit`` (or the command's
    # return value, which is None for every seccli command).
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def _broken_pipe_behind(stop: SystemExit) -> OSError | None:
    """The broken-pipe error Typer turned into ``stop`` (restoring the streams it wrapped)."""
    cause = stop.__context__
    if not (isinstance(cause, OSError) and cause.errno == errno.EPIPE):
        return None
    sys.stdout = getattr(sys.stdout, "wrapped", sys.stdout)
    sys.stderr = getattr(sys.stderr, "wrapped", sys.stderr)
    return cause


def _report(exc: Exception, *, debug: bool) -> int:
    """Print what went wrong (with the traceback under ``--debug``); return the exit code."""
    from typer import Abort
    from typer._click.exceptions import ClickException  # typer's vendored Click

    if isinstance(exc, ClickException):
        exc.show()  # the parser's own usage message
        return int(ExitCode.INPUT)
    if debug:
        _print_traceback(exc)
    if isinstance(exc, SeccliError):
        from seccli.cli.output import print_error

        _guarded(lambda: print_error(exc))
        return int(exc.exit_code)
    if isinstance(exc, Abort):
        _say("error: aborted")
        return int(ExitCode.INPUT)
    if isinstance(exc, OSError) and exc.errno in OUTPUT_ERRNOS:
        _say(f"error: cannot write output: {exc.strerror or errno.errorcode[exc.errno]}")
        _silence(sys.stdout)
        return int(ExitCode.DEPENDENCY)
    _say(f"error: internal error: {describe(exc)}")
    hint = "this is a bug in seccli; a gate treats it as a denial (exit 3)"
    _say(f"hint: {hint}" if debug else f"hint: {hint}; rerun with --debug for the traceback")
    return int(ExitCode.DEPENDENCY)


def describe(exc: BaseException) -> str:
    """One line naming an unexpected exception: its type and the first line of its message."""
    name = type(exc).__name__
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not hide the original failure
        text = ""
    from seccli.core.redaction import DEFAULT_REDACTOR
    from seccli.core.urls import redact_urls

    first = redact_urls(DEFAULT_REDACTOR.redact(text)).strip().splitlines()[:1]
    if not first:
        return name
    line = first[0]
    if len(line) > _MESSAGE_LIMIT:
        line = line[: _MESSAGE_LIMIT - 1] + "…"
    return f"{name}: {line}"


def _flush_output(code: int) -> int:
    """Flush what is still buffered for stdout; output that cannot be written is exit 3."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        _silence(sys.stdout)
        if code in (ExitCode.OK, ExitCode.VIOLATIONS):
            _say(f"error: cannot write output: {exc.strerror or exc}")
            return int(ExitCode.DEPENDENCY)
    except ValueError:  # stdout closed by the command itself: nothing left to flush
        pass
    return code


def _print_traceback(exc: BaseException) -> None:
    import traceback

    from seccli.core.redaction import DEFAULT_REDACTOR
    from seccli.core.urls import redact_urls

    # Registered secrets and credentials in URLs stay out of the traceback too.
    text = "".join(traceback.format_exception(exc))
    _guarded(lambda: sys.stderr.write(redact_urls(DEFAULT_REDACTOR.redact(text))))


def _say(line: str) -> None:
    """Write one line on stderr; a stderr that cannot be written is silenced, not fatal."""
    _guarded(lambda: sys.stderr.write(line + "\n"))


def _guarded(write: Callable[[], object]) -> None:
    try:
        write()
        sys.stderr.flush()
    except (OSError, ValueError):
        _silence(sys.stderr)


def _silence(stream: TextIO) -> None:
    """Point a real stream's descriptor at /dev/null, so the interpreter's final flush of
    what is still buffered succeeds instead of printing "Exception ignored" (and exit 120)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not backed by a descriptor (a test capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)

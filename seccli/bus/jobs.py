"""Turning a command line into a job and back: which arguments travel as files, which are refused.

A job runs the same code path as the CLI command. Its file and folder arguments travel as
payloads in the bus's object store; options that would write files on the worker, and paths
that would read the worker's own files, are refused: results go to the results subject.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from seccli.bus.model import FileRef, Job, JobVerb, MalformedJob
from seccli.bus.payloads import pack, unpack
from seccli.core.errors import InputError

#: Options that would write files on the worker or change where it keeps state.
REFUSED_OPTIONS = frozenset(
    {
        "-o",
        "--output",
        "--out",
        "--sarif-output",
        "--write-baseline",
        "--svg",
        "--dot",
        "--store",
        "--interactive",
        "--html",
        "--report",
        "--gitops",
    }
)
#: The CLI words a submitted command may start with, and the verb they make.
VERBS: dict[tuple[str, ...], JobVerb] = {verb.command: verb for verb in JobVerb if verb.command}
VERBS[("noop",)] = JobVerb.NOOP


@dataclass(frozen=True, slots=True)
class PreparedJob:
    """A job and the payloads it needs uploaded first."""

    job: Job
    payloads: tuple[tuple[str, bytes], ...]


def prepare(words: Sequence[str], subsidiary: str, cwd: Path) -> PreparedJob:
    """The job for a command line (``["policy", "test", "tree/"]``); paths become payloads."""
    verb, rest = _split_verb(words)
    check_arguments(rest)
    files: list[FileRef] = []
    payloads: dict[str, bytes] = {}
    args: list[str] = []
    for index, arg in enumerate(rest):
        candidate = Path(arg) if Path(arg).is_absolute() else cwd / arg
        if not arg.startswith("-") and candidate.exists():
            payload = pack(candidate)
            files.append(FileRef(index, payload.name, payload.object_name, len(payload.data)))
            payloads[payload.object_name] = payload.data
            args.append(payload.name)
        elif arg.startswith(("/", "~")) or ".." in Path(arg).parts:
            raise InputError(f"{arg}: not found (a job can only carry files that exist here)")
        else:
            args.append(arg)
    job = Job(verb, tuple(args), tuple(files), subsidiary)
    return PreparedJob(job, tuple(sorted(payloads.items())))


def _split_verb(words: Sequence[str]) -> tuple[JobVerb, list[str]]:
    for length in (2, 1):
        verb = VERBS.get(tuple(words[:length]))
        if verb is not None:
            return verb, list(words[length:])
    known = ", ".join(sorted(" ".join(k) for k in VERBS))
    raise InputError(f"cannot submit {' '.join(words[:2]) or 'nothing'!r}; jobs are: {known}")


def check_arguments(args: Sequence[str]) -> None:
    """Refuse options that would write on the worker (``InputError``)."""
    for arg in args:
        option = arg.split("=", 1)[0]
        if option in REFUSED_OPTIONS:
            raise InputError(
                f"option {option} is not allowed in a job: its result goes to the results "
                "subject (read it with seccli jobs wait)"
            )


async def materialise(
    job: Job, workdir: Path, fetch: Callable[[str], Awaitable[bytes]]
) -> list[str]:
    """The command line to run for ``job`` in ``workdir``, its payloads unpacked there."""
    try:
        check_arguments(job.args)
    except InputError as exc:
        raise MalformedJob(exc.message) from None
    args = list(job.args)
    carried = {ref.argument for ref in job.files}
    for index, arg in enumerate(args):
        if index not in carried and (arg.startswith(("/", "~")) or ".." in Path(arg).parts):
            raise MalformedJob(f"argument {index} ({arg!r}) names a path on the worker")
    for ref in job.files:
        data = await fetch(ref.object)
        target = workdir / f"arg{ref.argument}"
        target.mkdir(parents=True, exist_ok=True)
        args[ref.argument] = str(unpack(data, target))
    return [*job.verb.command, *args]

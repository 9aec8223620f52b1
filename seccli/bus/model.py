"""Jobs, results and the subjects they travel on.

A job's id is derived from what it does (verb, arguments, digests of the files it carries), so
submitting the same work twice is one job: the id is the ``Nats-Msg-Id`` of its message.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from seccli.core.documents import parse_json_bytes
from seccli.core.errors import InputError

JOB_API_VERSION = "seccli.io/v1"
SUBJECT_PREFIX = "org.claytom"
HOLDING = "holding"
_TOKEN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_JOB_MESSAGE = 1024 * 1024


class JobVerb(StrEnum):
    """What a job runs: the CLI command of the same name, through the same code path."""

    SCAN = "scan"
    IMAGES_VERIFY = "images.verify"
    POLICY_TEST = "policy.test"
    PLAYBOOK_RUN = "playbook.run"
    DRILL_SIMULATE = "drill.simulate"
    NOOP = "noop"

    @property
    def command(self) -> tuple[str, ...]:
        """The CLI words of the verb (``images.verify`` → ``images verify``)."""
        return () if self is JobVerb.NOOP else tuple(self.value.split("."))


class JobState(StrEnum):
    """Where a job stands, as ``jobs status`` shows it."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file or folder argument carried as a tar archive in the object store."""

    argument: int
    name: str
    object: str
    size: int

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "argument": self.argument,
            "name": self.name,
            "object": self.object,
            "size": self.size,
        }


@dataclass(frozen=True, slots=True)
class Job:
    """One unit of work: a verb, its arguments (paths replaced by ``FileRef``s) and where it
    belongs (``subsidiary``: one of the holding's subsidiaries, or ``holding``)."""

    verb: JobVerb
    args: tuple[str, ...]
    files: tuple[FileRef, ...] = ()
    subsidiary: str = HOLDING
    id: str = field(default="")

    def __post_init__(self) -> None:
        if not _TOKEN.match(self.subsidiary):
            raise InputError(
                f"subsidiary {self.subsidiary!r} is not a subject token "
                "(lower-case letters, digits and '-')"
            )
        if not self.id:
            object.__setattr__(
                self, "id", job_id(self.verb, self.args, self.files, self.subsidiary)
            )

    def subject(self, prefix: str = SUBJECT_PREFIX) -> str:
        """``org.claytom.<subsidiary>.command.<verb>``."""
        return f"{prefix}.{self.subsidiary}.command.{self.verb.value}"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping (the message body)."""
        return {
            "apiVersion": JOB_API_VERSION,
            "kind": "Job",
            "id": self.id,
            "verb": self.verb.value,
            "subsidiary": self.subsidiary,
            "args": list(self.args),
            "files": [f.to_json() for f in self.files],
        }

    def encode(self) -> bytes:
        """The message body: canonical JSON."""
        return canonical(self.to_json())


def job_id(
    verb: JobVerb, args: tuple[str, ...], files: tuple[FileRef, ...], subsidiary: str
) -> str:
    """The content-derived id: the same work gives the same id."""
    content = {
        "verb": verb.value,
        "args": list(args),
        "subsidiary": subsidiary,
        "files": [[f.argument, f.object] for f in files],
    }
    return "job-" + hashlib.sha256(canonical(content)).hexdigest()[:32]


def canonical(value: Any) -> bytes:
    """Sorted, compact, ASCII JSON."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


class MalformedJob(InputError):
    """A job message that is not a job (it is dead-lettered with this reason)."""


def decode_job(body: bytes) -> Job:
    """The job in a message body, or ``MalformedJob`` naming what is wrong."""
    if len(body) > MAX_JOB_MESSAGE:
        raise MalformedJob(f"job message of {len(body)} bytes is over {MAX_JOB_MESSAGE}")
    try:
        data = parse_json_bytes(body, "job message")
    except InputError as exc:
        raise MalformedJob(exc.message) from None
    if not isinstance(data, dict) or data.get("kind") != "Job":
        raise MalformedJob("not a Job document")
    if data.get("apiVersion") != JOB_API_VERSION:
        raise MalformedJob(f"apiVersion must be {JOB_API_VERSION}")
    try:
        verb = JobVerb(str(data.get("verb")))
    except ValueError:
        raise MalformedJob(f"unknown verb {data.get('verb')!r}") from None
    args = data.get("args")
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise MalformedJob("args must be a list of strings")
    files = []
    for item in data.get("files") or []:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("argument"), int)
            and isinstance(item.get("name"), str)
            and isinstance(item.get("object"), str)
            and isinstance(item.get("size"), int)
        ):
            raise MalformedJob("files[] entries need argument, name, object and size")
        if not 0 <= item["argument"] < len(args):
            raise MalformedJob(f"file argument {item['argument']} is out of range")
        files.append(FileRef(item["argument"], item["name"], item["object"], item["size"]))
    subsidiary = data.get("subsidiary")
    if not isinstance(subsidiary, str):
        raise MalformedJob("subsidiary must be a string")
    try:
        job = Job(verb, tuple(args), tuple(files), subsidiary)
    except InputError as exc:
        raise MalformedJob(exc.message) from None
    if data.get("id") != job.id:
        raise MalformedJob("id does not match the job's content")
    return job


@dataclass(frozen=True, slots=True)
class JobResult:
    """What became of a job: the command's exit code and output, or why it was dead-lettered."""

    job_id: str
    verb: str
    subsidiary: str
    state: JobState
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    attempts: int = 1
    worker: str = ""
    finished_at: str = ""
    error: str | None = None
    output_object: str | None = None

    def subject(self, prefix: str = SUBJECT_PREFIX) -> str:
        """``org.claytom.<subsidiary>.results.<verb>`` (``deadletter`` for dead jobs)."""
        kind = "deadletter" if self.state is JobState.DEAD else "results"
        return f"{prefix}.{self.subsidiary}.{kind}.{self.verb}"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "jobId": self.job_id,
            "verb": self.verb,
            "subsidiary": self.subsidiary,
            "state": self.state.value,
            "exitCode": self.exit_code,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "attempts": self.attempts,
            "worker": self.worker,
            "finishedAt": self.finished_at,
            "error": self.error,
            "outputObject": self.output_object,
        }


def decode_result(body: bytes) -> JobResult:
    """A result message (written by a seccli worker)."""
    data = parse_json_bytes(body, "job result")
    if not isinstance(data, dict):
        raise InputError("job result is not an object")
    try:
        return JobResult(
            job_id=str(data["jobId"]),
            verb=str(data["verb"]),
            subsidiary=str(data["subsidiary"]),
            state=JobState(data["state"]),
            exit_code=data["exitCode"] if isinstance(data["exitCode"], int) else None,
            stdout=str(data.get("stdout") or ""),
            stderr=str(data.get("stderr") or ""),
            attempts=int(data.get("attempts") or 1),
            worker=str(data.get("worker") or ""),
            finished_at=str(data.get("finishedAt") or ""),
            error=data.get("error") if isinstance(data.get("error"), str) else None,
            output_object=data.get("outputObject")
            if isinstance(data.get("outputObject"), str)
            else None,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise InputError(f"job result is malformed ({exc})") from None


def audit_subject(prefix: str = SUBJECT_PREFIX) -> str:
    """The organisation's audit subject."""
    return f"{prefix}.corporate.audit"


def metrics_subject(subsidiary: str, prefix: str = SUBJECT_PREFIX) -> str:
    """``org.claytom.<subsidiary>.metrics.security``."""
    if not _TOKEN.match(subsidiary):
        raise InputError(f"subsidiary {subsidiary!r} is not a subject token")
    return f"{prefix}.{subsidiary}.metrics.security"
